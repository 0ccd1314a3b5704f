/**
 * Activations from an exported model: hidden states from the graph's h_<l>
 * outputs and, for LSTM and GRU, the cell state and gates from the probe,
 * against tfjs (RecurrentModel's own computation, step by step); chunked
 * computation against one-shot; edits recompute only from the changed chunk.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { CELL_TYPES } from '../../src/core/spec';
import { ActivationDocument, DocumentChangedError } from '../../src/engine/activations/activationDocument';
import { ActivationModel, activationKinds, type ActivationKind } from '../../src/engine/activations/activationModel';
import { Vocabulary } from '../../src/core/vocabulary';
import { writeOnnxModel } from '../../src/engine/onnx/onnxExport';
import { OnnxModelError } from '../../src/engine/onnx/onnxModelError';
import { tempDir } from './support/tempDir';
import { TINY_VOCAB, exportModel, maxAbsDiff, randomModel, tinySpec } from './support/onnxModels';
import { tfjsInternals } from './support/tfjsInternals';
import { matchSelection, rankDocumentNeurons, strongestNeuronsAt } from '../../src/engine/activations/neuronAnalysis';

const dir = tempDir('rnnlab-activations-');
const TOL = 1e-4;
const worst: Record<string, number> = {};

before(async () => {
  await initBackend('wasm');
});

/** TINY_VOCAB has "abc de\n"; x, y, ☃ and 😀 are outside it. */
const TEXT = 'ab cd\nade x☃ b\nedcba 😀 dd\n  abc';

let seed = 100;
for (const cell of CELL_TYPES) {
  for (const embedding of [0, 3]) {
    const caseSeed = ++seed;
    test(`${cell} ${embedding ? 'embedding' : 'one-hot'}: h${cell === 'lstm' ? ', c and gates i, f, o' : cell === 'gru' ? ' and gates z, r' : ''} equal tfjs's to 1e-4 over chunks of 4 tokens`, async () => {
      const spec = tinySpec(cell, 2, embedding, false);
      const model = randomModel(spec, caseSeed);
      const file = path.join(dir, `${cell}-${embedding}.onnx`);
      await exportModel(model, file);
      const ids = Array.from(TINY_VOCAB.encode('\n' + TEXT));
      const expected = tfjsInternals(model, ids);
      // The reference is the model's own computation: its h equals RecurrentModel.forward's.
      const forward = tf.tidy(() => model.forward(tf.tensor2d(ids, [1, ids.length], 'int32'), undefined).layerOutputs.map((t) => t.dataSync().slice()));
      for (let l = 0; l < 2; l++) assert.ok(maxAbsDiff(forward[l], expected[l].h) < 1e-6, 'reference h equals forward');
      model.dispose();

      const doc = await ActivationDocument.open(file, TEXT, { chunkTokens: 4 });
      const range = await doc.range(0, doc.length);
      assert.equal(range.count, [...TEXT].length);
      const H = spec.hidden;
      for (let l = 0; l < 2; l++) {
        for (const kind of activationKinds(cell)) {
          const want = expected[l][kind]!.subarray(H); // drop the starting newline's step
          const got = range.layers[l][kind]!;
          const diff = maxAbsDiff(got, want);
          worst[kind] = Math.max(worst[kind] ?? 0, diff);
          assert.ok(diff <= TOL, `layer ${l} ${kind} differs by ${diff}`);
        }
      }
      await doc.close();
    });
  }
}

test('the largest differences from tfjs stay within 1e-4', () => {
  console.log(
    `activations, max |onnxruntime − tfjs|: ${Object.entries(worst)
      .map(([k, v]) => `${k} ${v.toExponential(2)}`)
      .join(', ')}`,
  );
  for (const v of Object.values(worst)) assert.ok(v <= TOL);
});

/** An exported 2-layer model of `cell` (hidden 8) and its file. */
async function lstmFile(name: string, cell: 'lstm' | 'gru' | 'rnn' = 'lstm', vocab = TINY_VOCAB): Promise<string> {
  const spec = { ...tinySpec(cell, 2, 0, false, 8), vocabSize: vocab.size };
  const model = randomModel(spec, name.length * 31 + 7, 0.5);
  const file = path.join(dir, `${name}.onnx`);
  writeOnnxModel(file, { spec, weights: await model.readWeights(), vocab });
  model.dispose();
  return file;
}

function maxRangeDiff(a: Awaited<ReturnType<ActivationDocument['range']>>, b: typeof a): number {
  assert.equal(a.count, b.count);
  assert.deepEqual(a.starts, b.starts);
  let m = 0;
  for (let l = 0; l < a.layers.length; l++)
    for (const kind of Object.keys(a.layers[l]) as ActivationKind[]) m = Math.max(m, maxAbsDiff(a.layers[l][kind]!, b.layers[l][kind]!));
  return m;
}

const LONG = Array.from({ length: 12 }, (_, i) => `${'abcde'.slice(i % 5)} ${TEXT}\n`).join('');

test('chunked computation (7 tokens a chunk) equals one-shot, every kind', async () => {
  const file = await lstmFile('chunks');
  const chunked = await ActivationDocument.open(file, LONG, { chunkTokens: 7 });
  const oneShot = await ActivationDocument.open(file, LONG, { chunkTokens: 100_000 });
  const a = await chunked.range(0, chunked.length);
  const b = await oneShot.range(0, oneShot.length);
  const diff = maxRangeDiff(a, b);
  console.log(`chunked (7) vs one-shot: max diff ${diff.toExponential(2)} over ${a.count} tokens, ${chunked.stats.runs} vs ${oneShot.stats.runs} runs`);
  assert.ok(diff <= 1e-6, `differs by ${diff}`);
  // A range in the middle computed alone equals the same tokens of the whole.
  const fresh = await ActivationDocument.open(file, LONG, { chunkTokens: 7 });
  const middle = await fresh.range(100, 130);
  assert.equal(middle.firstToken, 100);
  assert.ok(maxAbsDiff(middle.layers[1].c!, a.layers[1].c!.subarray(100 * 8, 130 * 8)) <= 1e-6);
  assert.equal(fresh.stats.computedTokens, 133, 'a range computes the chunks up to its end, not the text after it');
  for (const d of [chunked, oneShot, fresh]) await d.close();
});

test('without internals a document computes h alone; the first request for c turns them on, keeps boundary states and gives the values of a full document', async () => {
  const file = await lstmFile('lazy-internals');
  const lazy = await ActivationDocument.open(file, LONG, { chunkTokens: 16, internals: false });
  const full = await ActivationDocument.open(file, LONG, { chunkTokens: 16 });
  assert.deepEqual(lazy.kinds, full.kinds, 'it can still give every kind');
  const h = await lazy.range(0, lazy.length);
  assert.deepEqual(Object.keys(h.layers[0]), ['h'], 'a request naming no kind gets what is computed: h');
  const expected = await full.range(0, full.length);
  assert.ok(maxAbsDiff(h.layers[1].h, expected.layers[1].h) <= 1e-6);
  const states = lazy.stats.computedTokens;
  // The first request for the cell state: chunks are computed again from kept boundary states, only those asked for.
  const c = await lazy.range(200, 230, ['c']);
  assert.deepEqual(Object.keys(c.layers[0]), ['c']);
  assert.equal(lazy.stats.computedTokens - states, 48, 'the three chunks of 16 covering tokens 200…229 (192…239), not the text before them');
  assert.ok(maxAbsDiff(c.layers[1].c!, expected.layers[1].c!.subarray(200 * 8, 230 * 8)) <= 1e-6);
  const gates = await lazy.range(0, lazy.length, ['h', 'f']);
  assert.ok(maxAbsDiff(gates.layers[0].f!, expected.layers[0].f!) <= 1e-6);
  assert.ok(maxAbsDiff(gates.layers[1].h, expected.layers[1].h) <= 1e-6);
  await assert.rejects(lazy.range(0, 5, ['z']), /kind z: the model has h, c, i, f, o/);
  for (const d of [lazy, full]) await d.close();
});

test('an edit recomputes only from the chunk that holds it, and equals a full recompute', async () => {
  const file = await lstmFile('edits');
  const doc = await ActivationDocument.open(file, LONG, { chunkTokens: 16 });
  const n = doc.tokenCount;
  await doc.range(0, doc.length);
  assert.equal(doc.stats.computedTokens, n);
  const at = 200;
  const chars = [...LONG];
  chars[at] = chars[at] === 'a' ? 'b' : 'a';
  const edited = chars.join('');
  const change = doc.update(edited);
  assert.deepEqual(change, { firstChangedPosition: at, firstChangedToken: at, keptStates: Math.floor(at / 16) + 1 });

  let before = doc.stats.computedTokens;
  await doc.range(at - 10, at + 5); // the visible lines around the edit
  assert.equal(doc.stats.computedTokens - before, 16, 'one chunk: the one holding the edit');
  before = doc.stats.computedTokens;
  const after = await doc.range(0, doc.length);
  assert.equal(doc.stats.computedTokens - before, n - 16 * (Math.floor(at / 16) + 1), 'then only the chunks after it');

  const full = await ActivationDocument.open(file, edited, { chunkTokens: 16 });
  const expected = await full.range(0, full.length);
  const diff = maxRangeDiff(after, expected);
  assert.ok(diff <= 1e-6, `differs from a full recompute by ${diff}`);
  assert.deepEqual(await doc.predictions(at - 1), await full.predictions(at - 1), 'the token before the edit predicts the new character');
  assert.deepEqual(await doc.predictions(at + 40), await full.predictions(at + 40));

  // Appending and deleting at the end.
  doc.update(edited + 'ab');
  assert.equal(doc.tokenCount, n + 2);
  const grown = await doc.range(0, doc.length);
  assert.equal(grown.count, n + 2);
  doc.update([...edited].slice(0, 50).join(''));
  assert.equal((await doc.range(0, 1000)).count, 50);
  for (const d of [doc, full]) await d.close();
});

test('code-token resolution: an edit that merges tokens ("ab" + "c" → "abc") gives the same as a fresh document', async () => {
  const vocab = Vocabulary.buildToken(['abc abc abc de de\nab ed ed\n'], { minCount: 2 });
  assert.ok(vocab.tokens.includes('abc') && !vocab.tokens.includes('ab'));
  const file = await lstmFile('tokens', 'lstm', vocab);
  const text = 'de ab de abc\n'.repeat(6);
  const doc = await ActivationDocument.open(file, text, { chunkTokens: 5 });
  await doc.range(0, doc.length);
  const edited = text.slice(0, 31) + 'c' + text.slice(31); // the third line's "ab" (spelled a, b) becomes the token "abc"
  const a = doc.tokenAt(29);
  assert.equal(doc.spanOf(a)[1] - doc.spanOf(a)[0], 1);
  const change = doc.update(edited);
  assert.equal(change.firstChangedPosition, 31);
  assert.equal(change.firstChangedToken, a, 'the first changed token is the a, before the edit');
  const after = await doc.range(0, doc.length);
  const fresh = await ActivationDocument.open(file, edited, { chunkTokens: 5 });
  const expected = await fresh.range(0, fresh.length);
  assert.deepEqual(after.ids, expected.ids);
  assert.ok(maxRangeDiff(after, expected) <= 1e-6);
  const abc = after.ids.indexOf(vocab.idOf('abc'));
  assert.equal(after.ends[abc] - after.starts[abc], 3, 'a whole token spans its characters');
  for (const d of [doc, fresh]) await d.close();
});

test('characters outside the vocabulary are unknown tokens, not errors; positions are code points, UTF-16 spans given too', async () => {
  const file = await lstmFile('unknown', 'gru');
  const text = 'a☃😀b';
  const doc = await ActivationDocument.open(file, text);
  assert.equal(doc.length, 4);
  const r = await doc.range(0, 4);
  assert.deepEqual([...r.unknown], [0, 1, 1, 0]);
  assert.deepEqual([...r.starts], [0, 1, 2, 3]);
  assert.deepEqual([...r.utf16Starts], [0, 1, 2, 4]);
  assert.deepEqual([...r.utf16Ends], [1, 2, 4, 5]);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((o) => doc.tokenAtUtf16(o)),
    [0, 1, 2, 2, 3],
    'both halves of 😀 are its token',
  );
  assert.ok(r.layers[0].h.every(Number.isFinite));
  const p = await doc.predictions(2, 3);
  assert.equal(p.token, 2);
  assert.equal(p.top.length, 3);
  assert.equal(p.actual?.text, 'b');
  assert.ok(p.top[0].probability >= p.top[1].probability && p.top[1].probability >= p.top[2].probability);
  await doc.close();
});

test("predictions are the softmax of the model's logits (tfjs), most likely first", async () => {
  const spec = tinySpec('lstm', 2, 0, false, 6);
  const model = randomModel(spec, 77);
  const file = path.join(dir, 'predictions.onnx');
  await exportModel(model, file);
  const text = 'abc de';
  const ids = Array.from(TINY_VOCAB.encode('\n' + text));
  const probs = tf.tidy(() =>
    tf
      .softmax(model.forward(tf.tensor2d(ids, [1, ids.length], 'int32'), undefined).logits)
      .dataSync()
      .slice(),
  );
  model.dispose();
  const doc = await ActivationDocument.open(file, text);
  const V = TINY_VOCAB.size;
  for (let position = -1; position < text.length; position++) {
    const p = await doc.predictions(Math.max(position, 0), V);
    const row = position === -1 ? probs.subarray(0, V) : probs.subarray((p.token + 1) * V, (p.token + 2) * V);
    if (position === -1) continue;
    const order = [...row.keys()].sort((a, b) => row[b] - row[a]);
    assert.deepEqual(
      p.top.map((t) => t.id),
      order,
    );
    for (const t of p.top) assert.ok(Math.abs(t.probability - row[t.id]) < 1e-5);
    if (p.token + 1 < text.length) assert.ok(Math.abs(p.actual!.probability - row[ids[p.token + 2]]) < 1e-5);
    else assert.equal(p.actual, undefined, 'nothing follows the last token');
  }
  await doc.close();
  const empty = await ActivationDocument.open(file, '');
  const before = await empty.predictions(0, V);
  assert.equal(before.token, -1);
  for (const t of before.top) assert.ok(Math.abs(t.probability - probs[t.id]) < 1e-5, 'before the text: after the starting newline');
  await empty.close();
});

test('an empty text has no tokens and no activations; it can grow and shrink back', async () => {
  const file = await lstmFile('empty');
  const doc = await ActivationDocument.open(file, '');
  assert.equal(doc.tokenCount, 0);
  const r = await doc.range(0, 10);
  assert.equal(r.count, 0);
  assert.equal(r.layers.length, 2);
  assert.equal(r.layers[0].c!.length, 0);
  doc.update('abc');
  assert.equal((await doc.range(0, 3)).count, 3);
  doc.update('');
  assert.equal((await doc.range(0, 3)).count, 0);
  assert.equal(doc.stats.computedTokens, 3);
  await doc.close();
});

test('a request overtaken by an edit rejects with DocumentChangedError; the next one answers for the new text', async () => {
  const file = await lstmFile('overtaken');
  const doc = await ActivationDocument.open(file, LONG, { chunkTokens: 8 });
  const pending = doc.range(0, doc.length);
  doc.update('abc');
  await assert.rejects(pending, DocumentChangedError);
  assert.equal((await doc.range(0, 100)).count, 3);
  await doc.close();
});

test('a small cache drops chunks but keeps boundary states: values are recomputed from the nearest one', async () => {
  const file = await lstmFile('cache');
  const doc = await ActivationDocument.open(file, LONG, { chunkTokens: 10, cacheBytes: 1 });
  const all = await doc.range(0, doc.length);
  const computed = doc.stats.computedTokens;
  const again = await doc.range(200, 215);
  assert.equal(doc.stats.computedTokens - computed, 20, 'two chunks, from their own boundary states');
  assert.ok(maxAbsDiff(again.layers[1].h, all.layers[1].h.subarray(200 * 8, 215 * 8)) <= 1e-6);
  await doc.close();
});

test('a garbage, truncated or missing model is refused with a clear OnnxModelError; a bidirectional one opens (taskActivations.test.ts)', async () => {
  const garbage = path.join(dir, 'garbage.onnx');
  fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
  await assert.rejects(
    ActivationModel.open(garbage),
    (err: Error) => err instanceof OnnxModelError && /garbage\.onnx is not a readable ONNX model/.test(err.message),
  );
  const good = await lstmFile('good');
  const truncated = path.join(dir, 'truncated.onnx');
  fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, 700));
  await assert.rejects(ActivationModel.open(truncated), (err: Error) => err instanceof OnnxModelError && /truncated or corrupted/.test(err.message));
  await assert.rejects(ActivationModel.open(path.join(dir, 'missing.onnx')), (err: Error) => err instanceof OnnxModelError && /not found/.test(err.message));
});

test('a model file deleted while a document uses it: the open session keeps answering', async () => {
  const file = await lstmFile('deleted');
  const doc = await ActivationDocument.open(file, LONG, { chunkTokens: 32 });
  await doc.range(0, 10);
  fs.rmSync(file);
  const r = await doc.range(0, doc.length);
  assert.equal(r.count, doc.tokenCount);
  doc.update(LONG + 'abc');
  assert.equal((await doc.range(0, doc.length)).count, doc.tokenCount);
  await doc.close();
  await assert.rejects(ActivationDocument.open(file, 'abc'), (err: Error) => err instanceof OnnxModelError && /not found/.test(err.message));
});

test('selection match and hover helpers on a document: spans in code points, strongest neurons by |value|', async () => {
  const file = await lstmFile('selection');
  const text = 'abc de\n'.repeat(20);
  const doc = await ActivationDocument.open(file, text, { chunkTokens: 16 });
  const match = await matchSelection(doc, 7, 10, { neurons: 3, agreement: 0.6 });
  assert.deepEqual(match.selection, { start: 7, end: 10, utf16Start: 7, utf16End: 10 });
  assert.equal(match.neurons.length, 3);
  for (const m of match.matches) {
    assert.ok(m.end > m.start && (m.end <= 7 || m.start >= 10), 'matches lie outside the selection');
    assert.deepEqual([m.utf16Start, m.utf16End], [m.start, m.end], 'no astral characters: UTF-16 offsets are code points');
  }
  // The text repeats every 7 characters, and so, after a few lines, do the states: the same span one line on matches.
  assert.ok(
    match.matches.some((m) => m.start % 7 === 0 && m.end - m.start === 3),
    JSON.stringify(match.matches.slice(0, 5)),
  );
  const strongest = await strongestNeuronsAt(doc, 30, 4, 'c');
  assert.equal(strongest.length, 4);
  const row = await doc.range(30, 31);
  for (const n of strongest) assert.equal(n.value, row.layers[n.layer].c![n.unit]);
  assert.ok(Math.abs(strongest[0].value) >= Math.abs(strongest[3].value));
  const ranking = await rankDocumentNeurons(doc, [{ name: 'isSpace', kind: 'binary', values: Uint8Array.from([...text], (c) => (c === ' ' ? 1 : 0)) }], {
    top: 2,
  });
  assert.equal(ranking[0].top.length, 2);
  await doc.close();
});
