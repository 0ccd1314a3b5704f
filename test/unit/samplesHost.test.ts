/**
 * The host side of the Samples view that needs no VS Code: batching streamed
 * text, one generation against a fake engine, the model list, the command's
 * arguments and the view's messages.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunSummary } from '../../src/core/runIndex';
import type { RunInfo } from '../../src/core/runFormat';
import { DEFAULT_TRAINING } from '../../src/core/spec';
import type { EngineEvent, GenerateResult } from '../../src/protocol/engine';
import { parseHostToSamplesMessage, parseSamplesMessage, parseSamplesState, type GenerationSettings } from '../../src/protocol/samples';
import { contentSecurityPolicy, webviewHtml } from '../../src/extension/webview/webviewHtml';
import { TextBatcher } from '../../src/extension/samples/textBatcher';
import { Generation, type GenerationEngine } from '../../src/extension/samples/generation';
import {
  MAX_REMEMBERED_FILES,
  inspectableRunChoices,
  modelSourceOf,
  onnxFileChoices,
  rememberFile,
  runModelChoices,
} from '../../src/extension/samples/modelChoices';
import { MAX_SELECTION_PRIME, parseGenerateSampleArgs, primeFromSelection, settingsFromArgs } from '../../src/extension/samples/generateArgs';
import { tempDir } from './support/tempDir';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('TextBatcher sends a burst of pieces as one message after the interval, then the rest on flush', async () => {
  const sent: string[][] = [];
  const batcher = new TextBatcher((texts) => sent.push(texts), 30);
  for (const c of 'hello') batcher.push([c]);
  batcher.push(['']);
  assert.deepEqual(sent, [], 'nothing before the interval');
  await sleep(60);
  assert.deepEqual(sent, [['hello']]);
  batcher.push([' world']);
  batcher.flush();
  assert.deepEqual(sent, [['hello'], [' world']], 'flush sends at once');
  batcher.flush();
  assert.equal(sent.length, 2, 'an empty flush sends nothing');
  batcher.push(['dropped']);
  batcher.dispose();
  await sleep(60);
  assert.equal(sent.length, 2, 'dispose drops what waits');
});

test('TextBatcher keeps continuations apart: each index collects its own text', async () => {
  const sent: string[][] = [];
  const batcher = new TextBatcher((texts) => sent.push(texts), 1000);
  batcher.push(['a', 'x', '']);
  batcher.push(['b', '', 'p']);
  batcher.push(['', 'y', 'q']);
  batcher.flush();
  assert.deepEqual(sent, [['ab', 'xy', 'pq']]);
});

test('TextBatcher turns 10,000 one-character events into a handful of messages', async () => {
  const sent: string[][] = [];
  const batcher = new TextBatcher((texts) => sent.push(texts), 20);
  for (let i = 0; i < 10_000; i++) {
    batcher.push(['x', 'y']);
    if (i % 1000 === 999) await sleep(5);
  }
  batcher.flush();
  assert.equal(sent.map((t) => t[0]).join('').length, 10_000);
  assert.equal(sent.map((t) => t[1]).join(''), 'y'.repeat(10_000));
  assert.ok(sent.length <= 10, `${sent.length} messages`);
});

/** An engine that answers `generate` when the test says so, and records every request. */
class FakeEngine {
  readonly requests: { method: string; params: unknown }[] = [];
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private answer!: { resolve: (r: GenerateResult) => void; reject: (e: Error) => void };

  readonly client = this as unknown as GenerationEngine;

  onEvent(listener: (e: EngineEvent) => void) {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  request(method: string, params: unknown): Promise<unknown> {
    this.requests.push({ method, params });
    if (method === 'stopGeneration') return Promise.resolve({ stopped: true });
    return new Promise((resolve, reject) => (this.answer = { resolve, reject }));
  }

  emit(requestId: string, ...texts: string[]): void {
    for (const l of [...this.listeners]) l({ kind: 'event', event: 'generated', requestId, texts });
  }

  get listening(): number {
    return this.listeners.size;
  }

  resolve(result: GenerateResult): void {
    this.answer.resolve(result);
  }

  reject(message: string): void {
    this.answer.reject(new Error(message));
  }
}

const SETTINGS: GenerationSettings = { modelId: '/runs/a', prime: 'def ', length: 5, temperature: 0, topK: 0, seed: 1, count: 1, precision: 'float32' };
const result = (texts: string[], stopped = false): GenerateResult => ({ texts, tokens: 5, charsPerSec: 1000, stopped, precision: 'float32' });

test('a generation asks the engine with its own request id, streams only its events in batches, and ends with the last batch', async () => {
  const engine = new FakeEngine();
  const batches: string[][] = [];
  const g = new Generation(engine.client, { runDir: '/runs/a' }, SETTINGS, (texts) => batches.push(texts), 20);
  const params = {
    requestId: g.requestId,
    source: { runDir: '/runs/a' },
    prime: 'def ',
    length: 5,
    temperature: 0,
    topK: 0,
    seed: 1,
    count: 1,
    precision: 'float32',
  };
  assert.deepEqual(engine.requests, [{ method: 'generate', params }]);
  assert.ok(g.running);
  engine.emit(g.requestId, 'f');
  engine.emit('someone-else', 'X');
  engine.emit(g.requestId, 'o');
  await sleep(40);
  engine.emit(g.requestId, 'o(');
  engine.emit(g.requestId, ')');
  assert.deepEqual(g.texts, ['foo()']);
  engine.resolve(result(['foo()']));
  const outcome = await g.finished;
  assert.deepEqual(outcome, { kind: 'done', result: result(['foo()']) });
  assert.deepEqual(batches, [['fo'], ['o()']], 'the rest arrives before the outcome is known');
  assert.equal(g.running, false);
  assert.deepEqual(g.outcome, outcome);
  assert.equal(engine.listening, 0, 'no listener left behind');
  assert.equal(await g.stop(), false, 'nothing to stop');
  assert.equal(engine.requests.length, 1);
});

test('a generation of several continuations keeps the text of each apart', async () => {
  const engine = new FakeEngine();
  const batches: string[][] = [];
  const g = new Generation(engine.client, { runDir: '/runs/a' }, { ...SETTINGS, count: 3, precision: 'int8' }, (texts) => batches.push(texts), 1000);
  const { prime, length, temperature, topK, seed } = SETTINGS;
  const params = { requestId: g.requestId, source: { runDir: '/runs/a' }, prime, length, temperature, topK, seed, count: 3, precision: 'int8' };
  assert.deepEqual(engine.requests[0].params, params);
  engine.emit(g.requestId, 'a', 'b', 'c');
  engine.emit(g.requestId, 'aa', '', 'cc');
  assert.deepEqual(g.texts, ['aaa', 'b', 'ccc']);
  engine.resolve(result(['aaa', 'b', 'ccc']));
  await g.finished;
  assert.deepEqual(batches, [['aaa', 'b', 'ccc']]);
});

test("a failed generation is an outcome with the engine's words, not a rejection", async () => {
  const engine = new FakeEngine();
  const g = new Generation(engine.client, { onnxFile: '/m.onnx' }, SETTINGS, () => {});
  engine.reject('run has no model.onnx yet');
  assert.deepEqual(await g.finished, { kind: 'error', message: 'run has no model.onnx yet' });
  assert.equal(engine.listening, 0);
});

test('stopping a generation sends stopGeneration for its request id', async () => {
  const engine = new FakeEngine();
  const g = new Generation(engine.client, { runDir: '/runs/a' }, SETTINGS, () => {});
  assert.equal(await g.stop(), true);
  assert.deepEqual(engine.requests[1], { method: 'stopGeneration', params: { requestId: g.requestId } });
  engine.resolve(result([''], true));
  await g.finished;
  const other = new Generation(engine.client, { runDir: '/runs/a' }, SETTINGS, () => {});
  assert.notEqual(other.requestId, g.requestId, 'each generation has its own id');
});

function run(dir: string, id: string, withOnnx: boolean): RunSummary {
  const runDir = path.join(dir, id);
  fs.mkdirSync(runDir, { recursive: true });
  if (withOnnx) fs.writeFileSync(path.join(runDir, 'model.onnx'), 'onnx');
  const info = {
    id,
    status: 'completed',
    model: { cell: 'lstm', layers: 1, hidden: 64, embedding: 0, dropout: 0, vocabSize: 80, bidirectional: false },
    training: { ...DEFAULT_TRAINING },
    progress: { step: 10, totalSteps: 10, epoch: 1, bestValLoss: Math.LN2 * 2 },
  } as unknown as RunInfo;
  return { dir: runDir, id, info };
}

test('the model list offers runs that have a model.onnx, then browsed files that still exist', () => {
  const dir = tempDir();
  const runs = [
    run(dir, 'new-lstm', true),
    run(dir, 'no-model-yet', false),
    run(dir, 'old-lstm', true),
    { dir: path.join(dir, 'broken'), id: 'broken', problem: 'bad json' },
  ];
  fs.writeFileSync(path.join(dir, 'broken-model.onnx'), 'x');
  const choices = runModelChoices(runs);
  assert.deepEqual(
    choices.map((c) => c.label),
    ['new-lstm', 'old-lstm'],
  );
  assert.deepEqual(choices[0], { id: runs[0].dir, label: 'new-lstm', detail: '1×LSTM-64 · completed · 2.00 bits/char', source: { runDir: runs[0].dir } });

  const exported = path.join(dir, 'exports', 'model.onnx');
  fs.mkdirSync(path.dirname(exported));
  fs.writeFileSync(exported, 'onnx');
  const files = onnxFileChoices([exported, path.join(dir, 'gone.onnx')]);
  assert.deepEqual(files, [{ id: exported, label: `exports${path.sep}model.onnx`, detail: exported, source: { onnxFile: exported } }]);
});

test('generation lists language models only; the neuron views list taggers and classifiers (bidirectional too) beside them', () => {
  const dir = tempDir();
  const lm = run(dir, 'lm', true);
  const tagger = run(dir, 'tagger', true);
  tagger.info!.model = { ...tagger.info!.model, task: 'tag', classes: 7, bidirectional: true };
  const classifier = run(dir, 'classifier', true);
  classifier.info!.model = { ...classifier.info!.model, task: 'classify', classes: 3, pooling: 'last' };
  const runs = [tagger, lm, classifier, run(dir, 'no-model-yet', false)];
  assert.deepEqual(
    runModelChoices(runs).map((c) => c.label),
    ['lm'],
  );
  assert.deepEqual(
    inspectableRunChoices(runs).map((c) => c.label),
    ['tagger', 'lm', 'classifier'],
  );
});

test('browsed files are remembered newest first, without repeats, at most ten', () => {
  let files: string[] = [];
  for (let i = 0; i < 12; i++) files = rememberFile(files, `/m/${i}.onnx`);
  assert.equal(files.length, MAX_REMEMBERED_FILES);
  assert.deepEqual(files.slice(0, 2), ['/m/11.onnx', '/m/10.onnx']);
  files = rememberFile(files, '/m/5.onnx');
  assert.deepEqual(files.slice(0, 2), ['/m/5.onnx', '/m/11.onnx']);
  assert.equal(files.filter((f) => f === '/m/5.onnx').length, 1);
});

test('a command names its model by run folder, run id or .onnx path', () => {
  const dir = tempDir();
  const runs = [run(dir, 'r1', true)];
  assert.deepEqual(modelSourceOf(runs[0].dir, runs), { runDir: runs[0].dir });
  assert.deepEqual(modelSourceOf('r1', runs), { runDir: runs[0].dir });
  assert.deepEqual(modelSourceOf('/x/Model.ONNX', runs), { onnxFile: '/x/Model.ONNX' });
  assert.deepEqual(modelSourceOf('/elsewhere/run', runs), { runDir: '/elsewhere/run' }, 'unknown folders go to the engine, which says what is wrong');
});

test('Generate Sample… arguments: checked, defaults filled in, prime from the selection unless given', () => {
  assert.deepEqual(parseGenerateSampleArgs(undefined), {});
  assert.deepEqual(parseGenerateSampleArgs('a string from a menu'), {});
  assert.deepEqual(parseGenerateSampleArgs({ modelId: '/r', length: 50, temperature: 0 }), { modelId: '/r', length: 50, temperature: 0 });
  assert.equal(parseGenerateSampleArgs({ length: 'long' }), 'arguments.length must be a whole number');
  assert.equal(parseGenerateSampleArgs({ temperature: Number.NaN }), 'arguments.temperature must be a finite number');
  assert.equal(parseGenerateSampleArgs({ lenght: 5 }), 'arguments.lenght is not expected');
  assert.equal(parseGenerateSampleArgs({ precision: 'int4' }), 'arguments.precision must be one of float32, int8');

  assert.deepEqual(settingsFromArgs({ length: 50, temperature: 0 }, '/r', 'selected'), {
    modelId: '/r',
    prime: 'selected',
    length: 50,
    temperature: 0,
    topK: 0,
    seed: 1,
    count: 1,
    precision: 'float32',
  });
  assert.deepEqual(
    settingsFromArgs({ prime: '', count: 4, precision: 'int8' }, '/r', 'selected'),
    { modelId: '/r', prime: '', length: 500, temperature: 0.6, topK: 0, seed: 1, count: 4, precision: 'int8' },
    'an empty prime given is kept',
  );
});

test('a long selection primes with its end, never half a surrogate pair', () => {
  assert.equal(primeFromSelection('short'), 'short');
  const long = 'a'.repeat(MAX_SELECTION_PRIME) + 'END';
  assert.equal(primeFromSelection(long), long.slice(3));
  const withEmoji = '😀' + 'b'.repeat(MAX_SELECTION_PRIME - 1);
  // The cut falls between the emoji's two halves: the lone half is dropped.
  const prime = primeFromSelection(withEmoji);
  assert.equal(prime, 'b'.repeat(MAX_SELECTION_PRIME - 1));
  assert.ok(!/^[\uDC00-\uDFFF]/.test(prime), 'no lone low surrogate first');
});

test('the host accepts every message the Samples view sends, and nothing else', () => {
  const good = [
    { type: 'ready' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: 0.5, topK: 0, seed: 3, count: 1, precision: 'float32' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: 0.5, topK: 0, seed: 3, count: 32, precision: 'int8' },
    { type: 'stop' },
    { type: 'insertAtCursor', text: 'x' },
    { type: 'openInEditor', text: 'x' },
    { type: 'copy', text: '' },
    { type: 'browseOnnx' },
    { type: 'primeFromSelection' },
    { type: 'viewFocused' },
  ];
  for (const m of good) assert.deepEqual(parseSamplesMessage(m), m, m.type);
  const bad = [
    null,
    'ready',
    { type: 'explode' },
    { type: 'generate', modelId: 'm', prime: '', length: 1.5, temperature: 0.5, topK: 0, seed: 3, count: 1, precision: 'float32' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: Infinity, topK: 0, seed: 3, count: 1, precision: 'float32' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: 0.5, topK: 0, count: 1, precision: 'float32' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: 0.5, topK: 0, seed: 3, count: 0, precision: 'float32' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: 0.5, topK: 0, seed: 3, count: 33, precision: 'float32' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: 0.5, topK: 0, seed: 3, count: 2, precision: 'int4' },
    { type: 'generate', modelId: 'm', prime: '', length: 1, temperature: 0.5, topK: 0, seed: 3 },
    { type: 'copy', text: 5 },
    { type: 'stop', extra: true },
  ];
  for (const m of bad) assert.equal(parseSamplesMessage(m), undefined, JSON.stringify(m));
});

test("the view accepts the host's messages, and restores only the valid fields of a saved state", () => {
  const settings = { modelId: 'm', prime: 'p', length: 1, temperature: 0, topK: 0, seed: 0, count: 2, precision: 'int8' };
  for (const m of [
    { type: 'models', models: [{ id: 'a', label: 'b', detail: 'c' }] },
    { type: 'models', models: [], selected: 'a' },
    { type: 'prime', text: 'x' },
    { type: 'started', requestId: 'r', settings },
    { type: 'text', requestId: 'r', texts: ['x', ''] },
    { type: 'done', requestId: 'r', tokens: 3, charsPerSec: 1.5, stopped: false, precision: 'int8' },
    { type: 'error', message: 'no' },
  ]) {
    assert.deepEqual(parseHostToSamplesMessage(m), m, m.type);
  }
  assert.equal(parseHostToSamplesMessage({ type: 'started', requestId: 'r', settings: { ...settings, length: 'x' } }), undefined);
  assert.equal(parseHostToSamplesMessage({ type: 'models', models: [{ id: 1 }] }), undefined);
  assert.equal(parseHostToSamplesMessage({ type: 'text', requestId: 'r', texts: 'x' }), undefined);
  assert.equal(parseHostToSamplesMessage({ type: 'text', requestId: 'r', texts: new Array(33).fill('') }), undefined, 'more texts than continuations');

  assert.deepEqual(parseSamplesState(undefined), { settings: {}, texts: [] });
  const saved = { settings: { prime: 'keep', length: 'bad', seed: 4, count: 0, other: 1 }, texts: 7, status: { text: 'ok', error: false }, requestId: 'r' };
  assert.deepEqual(parseSamplesState(saved), { settings: { prime: 'keep', seed: 4 }, texts: [], status: { text: 'ok', error: false }, requestId: 'r' });
  assert.deepEqual(
    parseSamplesState({ settings: {}, text: 'one', shownSeed: 5 }),
    { settings: {}, texts: ['one'], shownSeed: 5 },
    'an older view saved one text',
  );
});

test("the Samples page has the dashboard's strict CSP and one nonced script", () => {
  const html = webviewHtml({
    cspSource: 'https://cdn.example',
    nonce: 'n0nce',
    scriptUri: 'https://cdn.example/media/samples/samples.js',
    styleUris: ['https://cdn.example/media/samples/samples.css'],
    title: 'RNN Lab Samples',
  });
  assert.ok(html.includes(contentSecurityPolicy('https://cdn.example', 'n0nce').replace(/'/g, '&#39;')));
  assert.deepEqual(html.match(/<script\b[^>]*>/g), ['<script nonce="n0nce" src="https://cdn.example/media/samples/samples.js">']);
});
