/**
 * Protocol fuzzing (issue 14): the engine's request check and every webview
 * message parser of src/protocol/ get random and adversarial messages — valid
 * messages with one value of the wrong type somewhere inside, inherited
 * property names (`__proto__`, `constructor`, …) as extra keys or method
 * names, huge strings, deep nesting, and random values. Each is invalid by
 * construction: the engine must answer every one with an error (and still
 * answer a ping after all of them), a parser must return undefined, a state
 * parser must keep only fields that pass their checks. Nothing may throw.
 * Seeded: a failure names the seed and the message to reproduce it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { SeededRandom } from '../../src/core/random';
import { EngineServer } from '../../src/engine/server';
import type { EngineEvent, EngineResponse } from '../../src/protocol/engine';
import { parseDashboardMessage, parseDashboardState, parseHostToDashboardMessage } from '../../src/protocol/dashboard';
import { parseHostToNeuronsMessage, parseNeuronsMessage, parseNeuronsState } from '../../src/protocol/neuronsView';
import { parseHostToSamplesMessage, parseSamplesMessage, parseSamplesState } from '../../src/protocol/samples';
import { MAX_DOCUMENT_LENGTH } from '../../src/protocol/limits';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const INHERITED = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', 'propertyIsEnumerable'];
const MUTATIONS_PER_TEMPLATE = 400;

const model = { cell: 'lstm', layers: 1, hidden: 8, embedding: 0, dropout: 0, bidirectional: false };
const trainingSpec = {
  resolution: 'char',
  seqLength: 8,
  batchSize: 2,
  steps: 3,
  optimizer: 'adam',
  learningRate: 0.01,
  lrDecay: 1,
  lrDecayEvery: 100,
  clipMode: 'norm',
  clipValue: 5,
  evalEvery: 3,
  sampleEvery: 3,
  checkpointEvery: 3,
  seed: 1,
  validationFraction: 0.1,
  minTokenCount: 2,
  maxFileBytes: 1000,
};
const source = { runDir: '/nonexistent/run' };
const neuron = { layer: 0, kind: 'h', unit: 1 };

/** One valid request per method (never run: each is mutated into an invalid one first). */
const ENGINE_TEMPLATES: Record<string, Json> = {
  ping: {},
  train: { inputs: ['/nonexistent'], model, training: trainingSpec, outDir: '/nonexistent/runs', backend: 'wasm', threads: 1 },
  resume: { runDir: '/nonexistent/run', steps: 5, backend: 'wasm', allowChangedCorpus: true },
  stop: { runDir: '/nonexistent/run' },
  generate: { requestId: 'g1', source, prime: 'a', length: 5, temperature: 1, topK: 0, seed: 1 },
  stopGeneration: { requestId: 'g1' },
  export: { runDir: '/nonexistent/run', out: '/nonexistent/out.onnx' },
  openDocument: { documentId: 'd1', source: { onnxFile: '/nonexistent.onnx' }, text: 'abc' },
  updateDocument: { documentId: 'd1', text: 'abcd' },
  closeDocument: { documentId: 'd1' },
  activationRange: { documentId: 'd1', version: 0, from: 0, to: 2, ...neuron },
  hoverInfo: { documentId: 'd1', version: 0, offset: 1, ...neuron },
  rankNeurons: { source, text: 'abc', language: 'python', top: 3 },
  matchSelection: { source, text: 'abcdef', start: 1, end: 3 },
  neuronTrace: { source, text: 'abc', ...neuron, start: 0 },
};

const step = { kind: 'step', step: 1, epoch: 0, loss: 1, gradNorm: 1, clippedGradNorm: 1, lr: 0.01, charsPerSec: 10, time: 1 };
const runInfo = {
  id: 'r',
  label: 'r',
  status: 'running',
  cell: 'lstm',
  clipMode: 'norm',
  clipValue: 5,
  totalSteps: 3,
  backend: 'wasm',
  resolution: 'char',
  layers: 1,
  variant: 'v',
  message: 'm',
  stoppedAt: 2,
};
const settings = { modelId: 'm', prime: 'p', length: 5, temperature: 1, topK: 0, seed: 1, count: 2, precision: 'int8' };
const subject = { document: 'd', model: 'm', characters: 3, totalCharacters: 3 };
const ranked = { ...neuron, label: 'h0[1]', score: 0.9, sign: 1, r: 0.5, auc: 0.9 };
const ranking = {
  subject,
  parser: 'python',
  features: [{ feature: 'inString', kind: 'binary', positives: 2, top: [ranked], note: 'n' }],
  gates: [{ layer: 0, gate: 'i', steps: 3, units: 1, left: [0.1], right: [0.2], meanLeft: 0.1, meanRight: 0.2, mostlyLeft: 0, mostlyRight: 0 }],
};
const span = { start: 0, end: 1, line: 0, character: 0, preview: 'a' };
const selection = {
  subject,
  selected: span,
  neurons: [{ ...neuron, label: 'l', inside: 1, outside: 0, effect: 2 }],
  matches: [{ ...span, score: 1, firing: 1 }],
};
const gradFlow = { step: 1, layer: 0, lastLoss: [1, 0.5, 0.25], windowLoss: [2, 1, 0.5] };
const trace = {
  neuron: { ...neuron, label: 'l' },
  text: 'ab',
  offset: 0,
  values: [0.1, 0.2],
  centre: 0,
  half: 1,
  characters: 2,
  totalCharacters: 2,
  highlights: [],
};

/** Valid messages for each parser (checked to parse below, so a mutation is what makes them invalid). */
const PARSERS: { name: string; parse: (v: unknown) => unknown; valid: Json[] }[] = [
  {
    name: 'parseDashboardMessage',
    parse: parseDashboardMessage,
    valid: [{ type: 'ready' }, { type: 'hideRun', runId: 'r' }, { type: 'stopRun', runId: 'r' }, { type: 'resumeRun', runId: 'r', extraSteps: 2000 }],
  },
  {
    name: 'parseHostToDashboardMessage',
    parse: parseHostToDashboardMessage,
    valid: [
      {
        type: 'show',
        runs: [{ info: runInfo, steps: [step], evals: [{ kind: 'eval', step: 1, valLoss: 1, time: 1 }], samples: [], gradFlow: [gradFlow] }],
      },
      { type: 'append', runId: 'r', steps: [step], evals: [], samples: [{ step: 1, temperature: 1, prime: '', text: 't', time: 1 }], gradFlow: [gradFlow] },
      { type: 'status', runId: 'r', status: 'failed', message: 'm' },
    ],
  },
  {
    name: 'parseSamplesMessage',
    parse: parseSamplesMessage,
    valid: [
      { type: 'ready' },
      { type: 'generate', ...settings },
      { type: 'stop' },
      { type: 'insertAtCursor', text: 't' },
      { type: 'openInEditor', text: 't' },
      { type: 'copy', text: 't' },
      { type: 'browseOnnx' },
      { type: 'primeFromSelection' },
      { type: 'viewFocused' },
    ],
  },
  {
    name: 'parseHostToSamplesMessage',
    parse: parseHostToSamplesMessage,
    valid: [
      { type: 'models', models: [{ id: 'i', label: 'l', detail: 'd' }], selected: 'i' },
      { type: 'prime', text: 't' },
      { type: 'started', requestId: 'g', settings },
      { type: 'text', requestId: 'g', texts: ['t', 'u'] },
      { type: 'done', requestId: 'g', tokens: 3, charsPerSec: 10, stopped: false, precision: 'int8' },
      { type: 'error', message: 'm' },
    ],
  },
  {
    name: 'parseNeuronsMessage',
    parse: parseNeuronsMessage,
    valid: [{ type: 'ready' }, { type: 'chooseNeuron', ...neuron }, { type: 'revealSpan', start: 1, end: 2 }],
  },
  {
    name: 'parseHostToNeuronsMessage',
    parse: parseHostToNeuronsMessage,
    valid: [
      { type: 'ranking', ranking },
      { type: 'selection', selection },
      { type: 'trace', trace },
      { type: 'status', status: { kind: 'busy', message: 'm' } },
    ],
  },
];

// ---------------------------------------------------------------------------
// Generators

/** A random JSON value of another type than `v` (never null: some fields accept null on purpose). */
function otherType(rng: SeededRandom, v: Json): Json {
  const kinds = ['string', 'number', 'boolean', 'array', 'object'].filter((k) => k !== typeOf(v));
  switch (kinds[rng.nextInt(kinds.length)]) {
    case 'string':
      return ['', 'x', '__proto__', '{}', '1', rng.nextInt(3) ? 'a'.repeat(10) : HUGE][rng.nextInt(6)];
    case 'number':
      return [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2][rng.nextInt(6)];
    case 'boolean':
      return rng.nextInt(2) === 0;
    case 'array':
      return rng.nextInt(2) ? [] : rng.nextInt(2) ? deepArray(5) : DEEP_ARRAY;
    default:
      return rng.nextInt(2) ? {} : rng.nextInt(2) ? deepObject(5) : DEEP_OBJECT;
  }
}

/** A short description of a value for a failure message (a deeply nested one cannot be stringified whole). */
function describe(v: unknown, max = 80): string {
  if (v === DEEP_ARRAY || v === DEEP_OBJECT) return '(nested 50,000 deep)';
  if (v === HUGE) return '(a string of 1,000,000 characters)';
  try {
    return String(JSON.stringify(v, (_, x: unknown) => (x === DEEP_ARRAY || x === DEEP_OBJECT || x === HUGE ? describe(x) : x))).slice(0, max);
  } catch {
    return '(deeply nested)';
  }
}

function typeOf(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

const HUGE = 'a'.repeat(1_000_000);
const DEEP_ARRAY = deepArray(50_000);
const DEEP_OBJECT = deepObject(50_000);

function deepArray(depth: number): Json {
  let v: Json = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function deepObject(depth: number): Json {
  let v: Json = {};
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** Paths to every value inside `v` (object keys and array indices), the root excluded. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((item, i) => [[...prefix, i], ...paths(item, [...prefix, i])]);
  if (v && typeof v === 'object') return Object.keys(v).flatMap((k) => [[...prefix, k], ...paths(v[k], [...prefix, k])]);
  return [];
}

function objectPaths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((item, i) => objectPaths(item, [...prefix, i]));
  if (v && typeof v === 'object') return [prefix, ...Object.keys(v).flatMap((k) => objectPaths(v[k], [...prefix, k]))];
  return [];
}

function at(v: Json, path: (string | number)[]): Json {
  return path.reduce<Json>((node, key) => (node as Record<string, Json>)[key], v);
}

/** A copy of `v` made as JSON.parse makes it: `__proto__` becomes an own key, as it does in a message. */
function clone(v: Json): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

/**
 * An invalid variant of a valid message: one value somewhere inside of another
 * type, an unexpected own key (often an inherited name), or the whole message
 * replaced by a non-object.
 */
function mutate(rng: SeededRandom, valid: Json): { message: Json; how: string } {
  const message = clone(valid);
  const all = paths(message);
  const choice = all.length > 0 ? rng.nextInt(10) : 6 + rng.nextInt(4);
  if (choice < 6) {
    const path = all[rng.nextInt(all.length)];
    const parent = at(message, path.slice(0, -1)) as Record<string | number, Json>;
    const replacement = otherType(rng, parent[path[path.length - 1]]);
    parent[path[path.length - 1]] = replacement;
    return { message, how: `${path.join('.')} := ${describe(replacement)}` };
  }
  if (choice < 9) {
    const objects = objectPaths(message);
    const target = at(message, objects[rng.nextInt(objects.length)]) as Record<string, Json>;
    const key = rng.nextInt(4) ? INHERITED[rng.nextInt(INHERITED.length)] : `extra${rng.nextInt(100)}`;
    if (Object.hasOwn(target, key)) return mutate(rng, valid);
    Object.defineProperty(target, key, { value: otherType(rng, null), enumerable: true, writable: true, configurable: true });
    return { message, how: `extra own key ${key}` };
  }
  const replacement = [null, 0, 'x', true, [], DEEP_ARRAY][rng.nextInt(6)];
  return { message: replacement, how: `whole message := ${describe(replacement, 40)}` };
}

// ---------------------------------------------------------------------------
// The engine

test('engine: every invalid request is answered with an error, and the engine still answers a ping after all of them', async () => {
  const rng = new SeededRandom(14);
  const sent: (EngineResponse | EngineEvent)[] = [];
  const server = new EngineServer((m) => sent.push(m));
  let id = 0;
  let count = 0;
  const expectError = async (request: unknown, how: string) => {
    const before = sent.length;
    await server.handle(request);
    count++;
    const answers = sent.slice(before);
    assert.equal(answers.length, 1, `one answer to ${how}`);
    const a = answers[0];
    if (a.kind === 'response') {
      assert.equal(a.ok, false, `an error answer to ${how}`);
      assert.equal(typeof (a as { error: { message: unknown } }).error.message, 'string', how);
    } else assert.equal(a.event, 'log', `a message without an id is logged: ${how}`);
  };
  for (const [method, params] of Object.entries(ENGINE_TEMPLATES)) {
    for (let i = 0; i < MUTATIONS_PER_TEMPLATE; i++) {
      const { message, how } = mutate(rng, params);
      // The params mutated; or the envelope (kind, id, method) made wrong.
      const envelope = rng.nextInt(5) === 0 ? mutateEnvelope(rng, method, ++id) : { kind: 'request', id: ++id, method };
      await expectError({ ...envelope, params: message }, `${method}: ${how} (${describe(envelope)})`);
    }
  }
  for (const method of [...INHERITED, 'Ping', '', 'a'.repeat(100_000)])
    await expectError({ kind: 'request', id: ++id, method, params: {} }, `method ${method.slice(0, 20)}`);
  for (let i = 0; i < 500; i++) {
    const junk = otherType(rng, null);
    await expectError(junk, `junk ${describe(junk, 40)}`);
  }
  await expectError({ kind: 'request', id: ++id, method: 'openDocument', params: { documentId: 'x'.repeat(201), source, text: '' } }, 'a long documentId');
  await expectError(
    { kind: 'request', id: ++id, method: 'updateDocument', params: { documentId: 'd', text: 'x'.repeat(MAX_DOCUMENT_LENGTH + 1) } },
    'a text over the limit',
  );
  await expectError({ kind: 'request', id: ++id, method: 'rankNeurons', params: { source, text: 'a', language: 'x'.repeat(201) } }, 'a long language');
  const before = sent.length;
  await server.handle({ kind: 'request', id: id + 1, method: 'ping', params: {} });
  assert.deepEqual((sent[before] as { ok: boolean }).ok, true, 'the engine still works');
  console.log(`      ${count} invalid engine requests, each answered with an error`);
  fuzzCounts.engine = count;
});

function mutateEnvelope(rng: SeededRandom, method: string, id: number): Record<string, Json> {
  switch (rng.nextInt(4)) {
    case 0:
      return { kind: 'response', id, method };
    case 1:
      return { kind: 'request', id, method: INHERITED[rng.nextInt(INHERITED.length)] };
    case 2:
      return { kind: 'request', id: [1.5, -0.5, '1', 2 ** 60][rng.nextInt(4)], method };
    default:
      return { kind: 'request', id, method: method.toUpperCase() + 'x' };
  }
}

// ---------------------------------------------------------------------------
// The webview parsers

const fuzzCounts: { engine?: number; parsers: number; states: number } = { parsers: 0, states: 0 };

for (const { name, parse, valid } of PARSERS) {
  test(`${name}: valid messages parse, and every invalid variant is refused without throwing`, () => {
    const rng = new SeededRandom(name.length * 1000 + 14);
    for (const v of valid) assert.notEqual(parse(clone(v)), undefined, `${name} accepts ${describe(v, 100)}`);
    let count = 0;
    for (const v of valid) {
      for (let i = 0; i < MUTATIONS_PER_TEMPLATE; i++) {
        const { message, how } = mutate(rng, v);
        let parsed: unknown;
        assert.doesNotThrow(() => (parsed = parse(message)), `${name}: ${how}`);
        assert.equal(parsed, undefined, `${name} refuses ${describe(v, 60)} with ${how}`);
        count++;
      }
    }
    fuzzCounts.parsers += count;
  });
}

const STATE_PARSERS: { name: string; parse: (v: unknown) => unknown; valid: Json }[] = [
  { name: 'parseDashboardState', parse: parseDashboardState, valid: { runIds: ['a', 'b'], logScaleLoss: true } },
  {
    name: 'parseSamplesState',
    parse: parseSamplesState,
    valid: { settings, texts: ['t', 'u'], shownPrime: 'p', status: { text: 's', error: false }, requestId: 'g' },
  },
  { name: 'parseNeuronsState', parse: parseNeuronsState, valid: { ranking, selection, chosen: neuron } },
];

for (const { name, parse, valid } of STATE_PARSERS) {
  test(`${name}: restored state with a bad field never throws and keeps only fields that pass their checks`, () => {
    const rng = new SeededRandom(name.length * 7 + 1);
    const full = parse(clone(valid));
    let count = 0;
    for (let i = 0; i < 3 * MUTATIONS_PER_TEMPLATE; i++) {
      const { message, how } = mutate(rng, valid);
      let parsed: unknown;
      assert.doesNotThrow(() => (parsed = parse(message)), `${name}: ${how}`);
      // What comes out is a part of the valid state (a bad field dropped), or nothing at all: never the bad value.
      if (parsed !== undefined) assertPartOf(parsed, full, `${name} after ${how}`);
      count++;
    }
    fuzzCounts.states += count;
  });
}

/** Every field of `part` equals that field of `whole` (or is the empty default a parser starts from). */
function assertPartOf(part: unknown, whole: unknown, where: string): void {
  for (const [key, value] of Object.entries(part as Record<string, unknown>)) {
    const expected = (whole as Record<string, unknown>)[key];
    if (value === '' || value === false || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof expected === 'object') assertPartOf(value, expected, `${where}.${key}`);
    else assert.deepEqual(value, expected, `${where}: field ${key}`);
  }
}

test('fuzz totals', () => {
  console.log(`      fuzzed: ${fuzzCounts.engine ?? 0} engine requests, ${fuzzCounts.parsers} webview messages, ${fuzzCounts.states} restored states`);
  assert.ok((fuzzCounts.engine ?? 0) > 5000 && fuzzCounts.parsers > 5000 && fuzzCounts.states > 3000);
});
