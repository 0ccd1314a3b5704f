/**
 * The engine requests behind the Neurons view (rankNeurons, matchSelection,
 * neuronTrace) through EngineServer.handle, as the host sends them:
 * validation, UTF-16 offsets around astral characters, the trace against the
 * document's own activations, windows of long texts, and a model file
 * replaced or deleted between requests.
 */
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineServer } from '../../src/engine/server';
import { ActivationDocument } from '../../src/engine/activations/activationDocument';
import { writeOnnxModel } from '../../src/engine/onnx/onnxExport';
import { Vocabulary } from '../../src/core/vocabulary';
import type { EngineMethod, EngineMethods, EngineResponse } from '../../src/protocol/engine';
import { MAX_TRACE_CHARACTERS } from '../../src/protocol/neurons';
import { randomModel } from './support/onnxModels';
import { tempDir } from './support/tempDir';

const dir = tempDir('rnnlab-neuron-requests-');
/** Enough characters for code; ☃ and 😀 stay outside the vocabulary. */
const VOCAB = Vocabulary.buildChar(['const x = \'ab\'; // c\n{ y: "de" }\t()[]0123456789']);

async function modelFile(name: string, seed = 11, cell: 'lstm' | 'gru' | 'rnn' = 'lstm'): Promise<string> {
  const spec = { cell, layers: 2, hidden: 6, embedding: 0, dropout: 0, vocabSize: VOCAB.size, bidirectional: false };
  const model = randomModel(spec, seed, 0.8);
  const file = path.join(dir, `${name}.onnx`);
  writeOnnxModel(file, { spec, weights: await model.readWeights(), vocab: VOCAB });
  model.dispose();
  return file;
}

const server = new EngineServer((message) => {
  if (message.kind === 'response') waiting.get(message.id)?.(message);
});
const waiting = new Map<number, (r: EngineResponse) => void>();
let nextId = 1;

function call(method: EngineMethod, params: unknown): Promise<EngineResponse> {
  const id = nextId++;
  const response = new Promise<EngineResponse>((resolve) => waiting.set(id, resolve));
  void server.handle({ kind: 'request', id, method, params });
  return response;
}

async function ok<M extends EngineMethod>(method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> {
  const r = await call(method, params);
  if (!r.ok) assert.fail(`${method} failed: ${r.error.code} ${r.error.message}`);
  return r.result as EngineMethods[M]['result'];
}

async function refused(method: EngineMethod, params: unknown): Promise<{ code: string; message: string }> {
  const r = await call(method, params);
  assert.equal(r.ok, false, `${method} ${JSON.stringify(params).slice(0, 200)} was accepted`);
  return r.error;
}

after(() => server.stopAll());

const CODE = 'const x = \'ab\'; // c 😀\n{ y: "de☃" }\n\tx = (x[0] + 12);\n';

test('rankNeurons: every feature with its top neurons (AUC or r, best first), gate saturation per layer and gate', async () => {
  const file = await modelFile('rank');
  const result = await ok('rankNeurons', { source: { onnxFile: file }, text: CODE, language: 'typescript', top: 3 });
  assert.equal(result.model.file, file);
  assert.deepEqual([result.model.cell, result.model.layers, result.model.hidden, result.model.resolution], ['lstm', 2, 6, 'char']);
  assert.equal(result.parser, 'typescript');
  assert.deepEqual(result.window, { start: 0, end: CODE.length, characters: [...CODE].length, totalCharacters: [...CODE].length });
  assert.deepEqual(
    result.features.map((f) => [f.feature, f.kind]),
    [
      ['inString', 'binary'],
      ['inComment', 'binary'],
      ['token:identifier', 'binary'],
      ['token:keyword', 'binary'],
      ['token:number', 'binary'],
      ['token:punctuation', 'binary'],
      ['token:whitespace', 'binary'],
      ['depth', 'scalar'],
      ['indent', 'scalar'],
      ['column', 'scalar'],
      ['lineLength', 'scalar'],
    ],
  );
  for (const f of result.features) {
    assert.equal(f.top.length, 3, f.feature);
    f.top.forEach((n, i) => {
      assert.match(n.label, /^[hc][01]\[[0-5]\]$/);
      assert.equal(n.label, `${n.kind}${n.layer}[${n.unit}]`);
      if (i > 0) assert.ok(n.score <= f.top[i - 1].score, 'best first');
      if (f.kind === 'binary') {
        assert.ok(n.auc !== undefined && Math.abs(n.score - Math.max(n.auc, 1 - n.auc)) < 1e-4);
        assert.equal(n.sign, n.auc >= 0.5 ? 1 : -1);
      } else {
        assert.equal(n.auc, undefined);
        assert.ok(Math.abs(n.score - Math.abs(n.r)) < 1e-4);
      }
    });
  }
  assert.equal(result.features[0].positives, 4 + 5, '\'ab\' and "de☃", quotes included');
  assert.deepEqual(
    result.gates.map((g) => `${g.layer}${g.gate}`),
    ['0i', '0f', '0o', '1i', '1f', '1o'],
  );
  for (const g of result.gates) {
    assert.equal(g.steps, [...CODE].length);
    assert.equal(g.left.length, 6);
    g.left.forEach((x, u) => assert.ok(x >= 0 && g.right[u] >= 0 && x + g.right[u] <= 1 + 1e-9));
  }
  const rnn = await ok('rankNeurons', { source: { onnxFile: await modelFile('rank-rnn', 3, 'rnn') }, text: CODE, language: 'ts' });
  assert.deepEqual(rnn.gates, [], 'a vanilla RNN has no gates');
  assert.equal(rnn.features[0].top.length, 5, 'five neurons per feature by default');
  assert.ok(
    rnn.features[0].top.every((n) => n.kind === 'h'),
    'a vanilla RNN has only h',
  );
});

test('neuronTrace: the value at every code point equals the document, in a window of at most 20,000 characters', async () => {
  const file = await modelFile('trace');
  const neuron = { layer: 1, kind: 'c' as const, unit: 4 };
  const trace = await ok('neuronTrace', { source: { onnxFile: file }, text: CODE, ...neuron });
  assert.deepEqual(trace.neuron, { ...neuron, label: 'c1[4]' });
  assert.equal(trace.values.length, [...CODE].length, 'one value per code point: the emoji is one');
  const doc = await ActivationDocument.open(file, CODE);
  const range = await doc.range(0, doc.length);
  const expected = range.layers[1].c!;
  trace.values.forEach((v, i) => assert.ok(Math.abs(v - expected[i * 6 + 4]) < 1e-4, `character ${i}`));
  await doc.close();
  assert.equal(trace.centre, 0);
  const magnitudes = trace.values.map(Math.abs).sort((a, b) => a - b);
  const p98 = magnitudes[Math.ceil(0.98 * magnitudes.length) - 1];
  assert.ok(Math.abs(trace.half - p98) < 1e-4, 'a cell state is scaled by the 98th percentile of |value| (robust to one extreme step)');

  const gate = await ok('neuronTrace', { source: { onnxFile: file }, text: CODE, layer: 0, kind: 'f', unit: 0 });
  assert.deepEqual([gate.centre, gate.half], [0.5, 0.5], 'gates are centred on ½');
  assert.ok(gate.values.every((v) => v >= 0 && v <= 1));

  const long = 'x = 1;\n'.repeat(4000); // 28,000 characters
  const from = long.length - 7 * 10;
  const head = await ok('neuronTrace', { source: { onnxFile: file }, text: long, ...neuron });
  assert.deepEqual(head.window, { start: 0, end: MAX_TRACE_CHARACTERS, characters: MAX_TRACE_CHARACTERS, totalCharacters: long.length });
  assert.equal(head.values.length, MAX_TRACE_CHARACTERS);
  const tail = await ok('neuronTrace', { source: { onnxFile: file }, text: long, ...neuron, start: from });
  assert.deepEqual(tail.window, { start: from, end: long.length, characters: 70, totalCharacters: long.length });
  // A start inside a surrogate pair moves back to the pair's first half.
  const astral = await ok('neuronTrace', { source: { onnxFile: file }, text: CODE, ...neuron, start: CODE.indexOf('😀') + 1 });
  assert.equal(astral.window.start, CODE.indexOf('😀'));
});

test('matchSelection: the neurons that set a selection apart, and other spans, in UTF-16 offsets of the whole text', async () => {
  const file = await modelFile('match');
  const text = "a = 'ab';\nb = 'de';\nc = 'ba';\nd = 0123;\n😀 = 'ed';\n";
  const start = text.indexOf("'ab'");
  const result = await ok('matchSelection', { source: { onnxFile: file }, text, start, end: start + 4 });
  assert.deepEqual(result.selection, { start, end: start + 4 });
  assert.equal(result.neurons.length, 5);
  assert.ok(
    result.neurons.every((n, i) => i === 0 || Math.abs(n.effect) <= Math.abs(result.neurons[i - 1].effect)),
    'largest effect first',
  );
  for (const n of result.neurons) assert.ok(Math.sign(n.inside - n.outside) === Math.sign(n.effect));
  for (const m of result.matches) {
    assert.ok(m.end > m.start && (m.end <= start || m.start >= start + 4), 'outside the selection');
    assert.ok(m.score > 0 && m.score <= 1 && m.firing > 0 && m.firing <= 1);
    assert.ok(!/[\uDC00-\uDFFF]/.test(text[m.start]) && !/[\uD800-\uDBFF]/.test(text[m.end - 1] ?? ''), 'never inside a surrogate pair');
  }
  assert.deepEqual(result.window, { start: 0, end: text.length, characters: [...text].length, totalCharacters: [...text].length });

  // In a long text the match looks at a window around the selection; offsets stay the whole text's.
  const long = 'x = 1;\n'.repeat(2000) + text + 'y = 2;\n'.repeat(2000);
  const at = long.indexOf("'ab'");
  const far = await ok('matchSelection', { source: { onnxFile: file }, text: long, start: at, end: at + 4 });
  assert.deepEqual(far.selection, { start: at, end: at + 4 });
  assert.equal(far.window.characters, MAX_TRACE_CHARACTERS);
  assert.ok(far.window.start < at && far.window.end > at + 4);
  for (const m of far.matches) assert.ok(m.start >= far.window.start && m.end <= far.window.end);
});

test('the requests refuse malformed parameters and neurons the model lacks, saying what is wrong', async () => {
  const file = await modelFile('refuse', 5, 'gru');
  const source = { onnxFile: file };
  const cases: [EngineMethod, unknown, RegExp][] = [
    ['rankNeurons', { source, text: CODE }, /language must be a string/],
    ['rankNeurons', { source, text: CODE, language: 'ts', top: 0 }, /top must be a whole number from 1 to 20/],
    ['rankNeurons', { source, text: 7, language: 'ts' }, /text must be a string/],
    ['matchSelection', { source, text: CODE, start: 5, end: 5 }, /the selection is empty/],
    ['matchSelection', { source, text: CODE, start: 5, end: CODE.length + 1 }, /past the end of the text/],
    ['matchSelection', { source, text: CODE, start: -1, end: 3 }, /start must be a whole number ≥ 0/],
    ['neuronTrace', { source, text: CODE, layer: 0, kind: 'q', unit: 0 }, /kind must be one of/],
    ['neuronTrace', { source, text: CODE, layer: 0, kind: 'h', unit: 0, start: CODE.length + 1 }, /past the end of the text/],
    ['neuronTrace', { source: { somewhere: 'x' }, text: CODE, layer: 0, kind: 'h', unit: 0 }, /params\.source/],
  ];
  for (const [method, params, message] of cases) {
    const error = await refused(method, params);
    assert.equal(error.code, 'invalid', `${method}: ${error.message}`);
    assert.match(error.message, message);
  }
  const model: [unknown, RegExp][] = [
    [{ layer: 2, kind: 'h', unit: 0 }, /layer 2: the model has 2 layers \(0 to 1\)/],
    [{ layer: 0, kind: 'c', unit: 0 }, /kind c: a GRU has h, z, r/],
    [{ layer: 0, kind: 'z', unit: 6 }, /unit 6: layers have 6 units \(0 to 5\)/],
  ];
  for (const [neuron, message] of model) {
    const error = await refused('neuronTrace', { source, text: CODE, ...(neuron as object) });
    assert.equal(error.code, 'invalid');
    assert.match(error.message, message);
  }
  const empty = await refused('rankNeurons', { source, text: '', language: 'ts' });
  assert.equal(empty.code, 'invalid');
  assert.match(empty.message, /the text is empty/);
  const whole = await refused('matchSelection', { source, text: 'abc', start: 0, end: 3 });
  assert.match(whole.message, /the selection is the whole text/);
});

test('a model file replaced between requests is opened again; a deleted one fails with its name', async () => {
  const file = await modelFile('replaced', 1);
  const source = { onnxFile: file };
  const neuron = { layer: 0, kind: 'h' as const, unit: 1 };
  const before = await ok('neuronTrace', { source, text: CODE, ...neuron });
  fs.copyFileSync(await modelFile('other', 2), file);
  // Same size, new content: the modification time tells them apart; make sure it moved.
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
  const after = await ok('neuronTrace', { source, text: CODE, ...neuron });
  assert.ok(
    after.values.some((v, i) => Math.abs(v - before.values[i]) > 1e-3),
    'the new weights give other values',
  );
  fs.rmSync(file);
  const gone = await refused('rankNeurons', { source, text: CODE, language: 'ts' });
  assert.equal(gone.code, 'failed');
  assert.match(gone.message, /replaced\.onnx not found/);
});
