/**
 * The engine requests behind the editor overlay (openDocument, updateDocument,
 * closeDocument, activationRange, hoverInfo) through EngineServer.handle, as
 * the host sends them: validation, UTF-16 spans, unknown characters, the
 * 'stale' answer to a request overtaken by an edit, and a model file deleted
 * while its document is open.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineServer } from '../../src/engine/server';
import { ActivationDocument } from '../../src/engine/activations/activationDocument';
import { commonPrefixUtf16 } from '../../src/engine/activations/openDocuments';
import { writeOnnxModel } from '../../src/engine/onnx/onnxExport';
import type { EngineMethod, EngineMethods, EngineResponse } from '../../src/protocol/engine';
import { TINY_VOCAB, randomModel, tinySpec } from './support/onnxModels';
import { tempDir } from './support/tempDir';

const dir = tempDir('rnnlab-overlay-');

async function modelFile(name: string): Promise<string> {
  const spec = { ...tinySpec('lstm', 2, 0, false, 6), vocabSize: TINY_VOCAB.size };
  const model = randomModel(spec, 11, 0.5);
  const file = path.join(dir, `${name}.onnx`);
  writeOnnxModel(file, { spec, weights: await model.readWeights(), vocab: TINY_VOCAB });
  model.dispose();
  return file;
}

/** A server and a `call` that resolves with the response (ok or not). */
function engine() {
  const waiting = new Map<number, (r: EngineResponse) => void>();
  const server = new EngineServer((message) => {
    if (message.kind === 'response') waiting.get(message.id)?.(message);
  });
  let nextId = 1;
  const call = <M extends EngineMethod>(method: M, params: EngineMethods[M]['params'] | Record<string, unknown>): Promise<EngineResponse> => {
    const id = nextId++;
    const response = new Promise<EngineResponse>((resolve) => waiting.set(id, resolve));
    void server.handle({ kind: 'request', id, method, params });
    return response;
  };
  const ok = async <M extends EngineMethod>(method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> => {
    const r = await call(method, params);
    if (!r.ok) assert.fail(`${method} failed: ${r.error.code} ${r.error.message}`);
    return r.result as EngineMethods[M]['result'];
  };
  return { server, call, ok };
}

const neuron = { layer: 1, kind: 'c' as const, unit: 2 };
/** x, ☃ and 😀 are outside TINY_VOCAB ("abc de\n"); 😀 is two UTF-16 code units. */
const TEXT = 'ab 😀 cd\nx☃ dea\n';

test('openDocument answers the layers and kinds; activationRange gives UTF-16 spans, values equal to the document, unknown flags', async () => {
  const file = await modelFile('range');
  const { ok, server } = engine();
  const opened = await ok('openDocument', { documentId: 'd1', source: { onnxFile: file }, text: TEXT });
  assert.equal(opened.tokenCount, [...TEXT].length);
  assert.equal(opened.version, 0);
  assert.deepEqual(opened.layers, [
    { hidden: 6, kinds: ['h', 'c', 'i', 'f', 'o'] },
    { hidden: 6, kinds: ['h', 'c', 'i', 'f', 'o'] },
  ]);
  assert.equal(opened.resolution, 'char');

  const all = await ok('activationRange', { documentId: 'd1', version: 0, from: 0, to: TEXT.length, ...neuron });
  assert.equal(all.values.length, [...TEXT].length);
  assert.deepEqual(all.spans.slice(0, 10), [0, 1, 1, 2, 2, 3, 3, 5, 5, 6], 'the emoji spans two UTF-16 code units');
  const unknownText = all.unknown.map((u, t) => (u ? TEXT.slice(all.spans[2 * t], all.spans[2 * t + 1]) : '')).join('');
  assert.equal(unknownText, '😀x☃');

  const reference = await ActivationDocument.open(file, TEXT);
  const expected = (await reference.range(0, reference.length)).layers[1].c!;
  all.values.forEach((v, t) => assert.ok(Math.abs(v - expected[t * 6 + 2]) < 1e-6));
  await reference.close();

  // A range inside the text: every token overlapping it, even one it cuts (offset 4 is inside the emoji).
  const middle = await ok('activationRange', { documentId: 'd1', version: 0, from: 4, to: 7, ...neuron });
  assert.deepEqual(middle.spans, [3, 5, 5, 6, 6, 7]);
  assert.deepEqual(middle.values, all.values.slice(3, 6));
  // Clamped to the text; an empty range has no tokens.
  assert.equal((await ok('activationRange', { documentId: 'd1', version: 0, from: 10, to: 10_000, ...neuron })).values.length, [...TEXT.slice(10)].length);
  assert.equal((await ok('activationRange', { documentId: 'd1', version: 0, from: 5, to: 5, ...neuron })).values.length, 0);
  assert.equal(server.documents.size, 1);
  await ok('closeDocument', { documentId: 'd1' });
  assert.equal(server.documents.size, 0);
});

test('hoverInfo: the value, the token, the 5 strongest neurons and the 5 most likely next characters with probabilities', async () => {
  const file = await modelFile('hover');
  const { ok } = engine();
  await ok('openDocument', { documentId: 'h', source: { onnxFile: file }, text: TEXT });
  const range = await ok('activationRange', { documentId: 'h', version: 0, from: 0, to: TEXT.length, ...neuron });
  const hover = await ok('hoverInfo', { documentId: 'h', offset: 1, ...neuron });
  assert.deepEqual(hover.token, { span: [1, 2], text: 'b', unknown: false, value: range.values[1] });
  assert.equal(hover.topNeurons.length, 5);
  assert.ok(hover.topNeurons.every((n, i) => n.kind === 'c' && (i === 0 || Math.abs(n.value) <= Math.abs(hover.topNeurons[i - 1].value))));
  assert.equal(hover.predictions.length, 5);
  assert.ok(hover.predictions.every((p, i) => p.probability > 0 && p.probability <= 1 && (i === 0 || p.probability <= hover.predictions[i - 1].probability)));
  assert.equal(hover.actual?.text, ' ', 'what really follows "b"');

  // The second half of the emoji is the emoji; gates list the h neurons.
  const emoji = await ok('hoverInfo', { documentId: 'h', offset: 4, layer: 0, kind: 'i', unit: 0 });
  assert.deepEqual(emoji.token && { span: emoji.token.span, text: emoji.token.text, unknown: emoji.token.unknown }, {
    span: [3, 5],
    text: '😀',
    unknown: true,
  });
  assert.ok(emoji.topNeurons.every((n) => n.kind === 'h'));
  // At the end of the text there is no actual next character.
  assert.equal((await ok('hoverInfo', { documentId: 'h', offset: TEXT.length, ...neuron })).actual, undefined);
});

test('an empty text: no tokens, and a hover shows what the model expects first', async () => {
  const file = await modelFile('empty');
  const { ok } = engine();
  const opened = await ok('openDocument', { documentId: 'e', source: { onnxFile: file }, text: '' });
  assert.equal(opened.tokenCount, 0);
  const range = await ok('activationRange', { documentId: 'e', version: 0, from: 0, to: 100, ...neuron });
  assert.deepEqual(range, { version: 0, spans: [], values: [], unknown: [] });
  const hover = await ok('hoverInfo', { documentId: 'e', offset: 0, ...neuron });
  assert.equal(hover.token, null);
  assert.equal(hover.predictions.length, 5);
});

test('updateDocument bumps the version and says where the text changed; requests for the old version answer "stale"', async () => {
  const file = await modelFile('update');
  const { ok, call } = engine();
  await ok('openDocument', { documentId: 'u', source: { onnxFile: file }, text: 'abc abc abc\n' });
  const pending = call('activationRange', { documentId: 'u', version: 0, from: 0, to: 12, ...neuron });
  const update = await ok('updateDocument', { documentId: 'u', text: 'abc abd abc\n' });
  assert.deepEqual(update, { version: 1, firstChangedPosition: 6 });
  const overtaken = await pending;
  assert.equal(overtaken.ok ? 'ok' : overtaken.error.code, 'stale', 'a range asked for before the edit');
  const old = await call('activationRange', { documentId: 'u', version: 0, from: 0, to: 12, ...neuron });
  assert.equal(old.ok ? 'ok' : old.error.code, 'stale');
  const oldHover = await call('hoverInfo', { documentId: 'u', version: 0, offset: 0, ...neuron });
  assert.equal(oldHover.ok ? 'ok' : oldHover.error.code, 'stale');
  assert.equal((await ok('activationRange', { documentId: 'u', version: 1, from: 0, to: 12, ...neuron })).version, 1);
  assert.deepEqual(
    await ok('updateDocument', { documentId: 'u', text: 'abc abd abc\n' }),
    { version: 1, firstChangedPosition: 12 },
    'the same text changes nothing',
  );
});

test('bad requests are refused as invalid, with what is wrong', async () => {
  const file = await modelFile('invalid');
  const { ok, call } = engine();
  await ok('openDocument', { documentId: 'v', source: { onnxFile: file }, text: 'abc' });
  const cases: [EngineMethod, Record<string, unknown>, RegExp][] = [
    ['activationRange', { documentId: 'v', version: 0, from: 2, to: 1, ...neuron }, /to must not be before/],
    ['activationRange', { documentId: 'v', version: 0, from: -1, to: 1, ...neuron }, /from must be a whole number/],
    ['activationRange', { documentId: 'v', version: 0, from: 0, to: 1, layer: 2, kind: 'h', unit: 0 }, /layer 2: the model has 2 layers/],
    ['activationRange', { documentId: 'v', version: 0, from: 0, to: 1, layer: 0, kind: 'z', unit: 0 }, /kind z: a LSTM has h, c, i, f, o/],
    ['activationRange', { documentId: 'v', version: 0, from: 0, to: 1, layer: 0, kind: 'q', unit: 0 }, /kind must be one of/],
    ['activationRange', { documentId: 'v', version: 0, from: 0, to: 1, layer: 0, kind: 'h', unit: 6 }, /unit 6: layers have 6 units/],
    ['hoverInfo', { documentId: 'nope', offset: 0, ...neuron }, /no open document "nope"/],
    ['updateDocument', { documentId: 'v', text: 3 }, /text must be a string/],
    ['openDocument', { documentId: '', source: { onnxFile: file }, text: '' }, /documentId must be a non-empty string/],
    ['openDocument', { documentId: 'w', source: { onnxFile: file }, text: '', extra: 1 }, /extra is not expected/],
  ];
  for (const [method, params, message] of cases) {
    const r = await call(method, params);
    assert.ok(!r.ok, `${method} ${JSON.stringify(params)} was accepted`);
    assert.equal(r.error.code, 'invalid', r.error.message);
    assert.match(r.error.message, message);
  }
  const missing = await call('openDocument', { documentId: 'm', source: { onnxFile: path.join(dir, 'missing.onnx') }, text: '' });
  assert.ok(!missing.ok && missing.error.code === 'failed' && /missing\.onnx not found/.test(missing.error.message));
});

test('a model file deleted while its document is open: the document keeps working; opening another says the file is gone', async () => {
  const file = await modelFile('deleted');
  const { ok, call, server } = engine();
  await ok('openDocument', { documentId: 'a', source: { onnxFile: file }, text: 'abc\n' });
  fs.rmSync(file);
  await ok('updateDocument', { documentId: 'a', text: 'abcd\n' });
  assert.equal((await ok('activationRange', { documentId: 'a', version: 1, from: 0, to: 5, ...neuron })).values.length, 5);
  const other = await call('openDocument', { documentId: 'b', source: { onnxFile: file }, text: 'abc\n' });
  assert.ok(!other.ok && other.error.code === 'failed');
  assert.match(other.error.message, /not found/);
  server.stopAll();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.documents.size, 0, 'shutdown closes every document');
});

test('commonPrefixUtf16 never splits a surrogate pair', () => {
  assert.equal(commonPrefixUtf16('abc', 'abd'), 2);
  assert.equal(commonPrefixUtf16('abc', 'abc'), 3);
  assert.equal(commonPrefixUtf16('abc', 'abcd'), 3);
  assert.equal(commonPrefixUtf16('a😀', 'a😁'), 1, 'both emojis start with the same high surrogate');
  assert.equal(commonPrefixUtf16('', 'x'), 0);
});
