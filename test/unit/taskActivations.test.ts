/**
 * Activations of taggers and classifiers, uni- and bidirectional, against an
 * independent reference: each direction recomputed here with tfjs ops step by
 * step from the model's variables, the backward direction by running its own
 * weights over the reversed window and reversing the result back. A task
 * model's text is read in windows of its training window from zero states
 * (as predict reads it), so the reference restarts at every window too.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import type { CellType, ModelSpec } from '../../src/core/spec';
import type { RecurrentModel } from '../../src/engine/model';
import { ActivationDocument } from '../../src/engine/activations/activationDocument';
import { activationKinds } from '../../src/engine/activations/activationModel';
import { characterTrace, gateSaturations, rankDocumentNeurons, strongestNeuronsAt } from '../../src/engine/activations/neuronAnalysis';
import { gateSaturation } from '../../src/core/neurons/gateSaturation';
import { writeOnnxModel } from '../../src/engine/onnx/onnxExport';
import { neuronLabel } from '../../src/core/neurons/neuronLabel';
import { tempDir } from './support/tempDir';
import { TINY_VOCAB, maxAbsDiff, randomModel } from './support/onnxModels';
import { Vocabulary } from '../../src/core/vocabulary';

const dir = tempDir('rnnlab-task-activations-');
const TOL = 1e-4;
const LABELS = ['alpha', 'beta', 'gamma'];
const WINDOW = 6;
/** 17 characters: two full windows of 6 and one of 5. */
const TEXT = 'ab cd\nade b\nedcba';

before(async () => {
  await initBackend('wasm');
});

function spec(cell: CellType, task: 'tag' | 'classify', bidirectional: boolean, embedding = 0): ModelSpec {
  const head = task === 'tag' ? { task } : { task, pooling: 'last' as const };
  return { cell, layers: 2, hidden: 4, embedding, dropout: 0, vocabSize: TINY_VOCAB.size, bidirectional, classes: LABELS.length, ...head };
}

async function exported(model: RecurrentModel, name: string, vocab = TINY_VOCAB): Promise<string> {
  const file = path.join(dir, `${name}.onnx`);
  writeOnnxModel(file, {
    spec: model.spec,
    weights: await model.readWeights(),
    vocab,
    step: 1,
    runId: 'test',
    task: { labels: LABELS, window: WINDOW },
  });
  return file;
}

type Values = Record<string, number[][]>; // kind → per step, the direction's units

/** One direction of one layer over `inputs` ([time, in] rows, or token ids for a one-hot first layer), from zero state. */
function direction(model: RecurrentModel, prefix: string, inputs: tf.Tensor2D | number[], reverse: boolean): Values {
  const { cell, hidden: H } = model.spec;
  return tf.tidy(() => {
    const W = model.variable(`${prefix}kernel`) as tf.Tensor2D;
    const U = model.variable(`${prefix}recurrentKernel`) as tf.Tensor2D;
    const b = model.variable(`${prefix}bias`);
    let projected = tf.add<tf.Tensor2D>(Array.isArray(inputs) ? tf.gather(W, tf.tensor1d(inputs, 'int32')) : tf.matMul(inputs, W), b);
    const time = projected.shape[0];
    if (reverse) projected = tf.reverse(projected, 0); // the backward direction reads the window from its end
    let h = tf.zeros<tf.Rank.R2>([1, H]);
    let c = tf.zeros<tf.Rank.R2>([1, H]);
    const out: Values = { h: [], c: [], i: [], f: [], o: [], z: [], r: [] };
    const keep = (kind: string, t: tf.Tensor2D) => out[kind].push(Array.from(t.dataSync()));
    for (let t = 0; t < time; t++) {
      const xt = tf.slice(projected, [t, 0], [1, -1]);
      if (cell === 'rnn') h = tf.tanh(tf.add(xt, tf.matMul(h, U))) as tf.Tensor2D;
      else if (cell === 'lstm') {
        const [i, f, g, o] = tf.split<tf.Tensor2D>(tf.add(xt, tf.matMul(h, U)), 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
        keep('i', tf.sigmoid(i));
        keep('f', tf.sigmoid(f));
        keep('o', tf.sigmoid(o));
        keep('c', c);
      } else {
        const [xzr, xh] = tf.split<tf.Tensor2D>(xt, [2 * H, H], 1);
        const [z, r] = tf.split<tf.Tensor2D>(tf.sigmoid(tf.add(xzr, tf.matMul(h, tf.slice(U, [0, 0], [H, 2 * H])))), 2, 1);
        const candidate = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, h), tf.slice(U, [0, 2 * H], [H, H]))));
        h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
        keep('z', z);
        keep('r', r);
      }
      keep('h', h);
    }
    if (reverse) for (const kind of Object.keys(out)) out[kind].reverse(); // back to text order
    return out;
  });
}

/** Per layer, each kind [time, D·H] (forward half first), and a tagger's per-step / a classifier's class probabilities. */
function reference(model: RecurrentModel, ids: number[]): { layers: Record<string, Float32Array>[]; probabilities: number[][] } {
  const { layers, bidirectional, embedding } = model.spec;
  const result: Record<string, Float32Array>[] = [];
  let inputs: tf.Tensor2D | number[] = embedding > 0 ? (tf.gather(model.variable('embedding'), tf.tensor1d(ids, 'int32')) as tf.Tensor2D) : ids;
  let last: Values[] = [];
  for (let l = 0; l < layers; l++) {
    last = [direction(model, `layer${l}/`, inputs, false)];
    if (bidirectional) last.push(direction(model, `layer${l}/backward/`, inputs, true));
    const layer: Record<string, Float32Array> = {};
    for (const kind of Object.keys(last[0])) {
      if (last[0][kind].length > 0) layer[kind] = Float32Array.from(last[0][kind].flatMap((row, t) => [...row, ...(last[1]?.[kind][t] ?? [])]));
    }
    result.push(layer);
    inputs = tf.tensor2d(layer.h, [ids.length, layer.h.length / ids.length]);
  }
  const top = inputs as tf.Tensor2D;
  const pooled =
    model.spec.task === 'classify'
      ? // `last` pooling: the forward direction's final state and the backward direction's state at the first token
        tf.concat([tf.slice(top, [ids.length - 1, 0], [1, 4]), ...(bidirectional ? [tf.slice(top, [0, 4], [1, 4])] : [])], 1)
      : top;
  const probabilities = tf.softmax(tf.add(tf.matMul(pooled, model.variable('output/kernel')), model.variable('output/bias'))).arraySync() as number[][];
  return { layers: result, probabilities };
}

const cases: { cell: CellType; task: 'tag' | 'classify'; bidirectional: boolean; embedding: number }[] = [
  { cell: 'lstm', task: 'tag', bidirectional: true, embedding: 0 },
  { cell: 'gru', task: 'tag', bidirectional: true, embedding: 3 },
  { cell: 'rnn', task: 'tag', bidirectional: true, embedding: 0 },
  { cell: 'lstm', task: 'tag', bidirectional: false, embedding: 0 },
  { cell: 'lstm', task: 'classify', bidirectional: true, embedding: 3 },
  { cell: 'gru', task: 'classify', bidirectional: false, embedding: 0 },
];

let seed = 300;
for (const c of cases) {
  const caseSeed = ++seed;
  const name = `${c.cell} ${c.task} ${c.bidirectional ? 'bidirectional' : 'unidirectional'}${c.embedding ? ' embedding' : ''}`;
  test(`${name}: every kind, both directions, equals tfjs ops window by window; the readout is the task's classes`, async () => {
    const model = randomModel(spec(c.cell, c.task, c.bidirectional, c.embedding), caseSeed);
    const file = await exported(model, name.replace(/ /g, '-'));
    const ids = Array.from(TINY_VOCAB.encode(TEXT));
    const windows = [0, 6, 12].map((start) => ({ start, ref: reference(model, ids.slice(start, start + WINDOW)) }));
    model.dispose();

    const doc = await ActivationDocument.open(file, TEXT, { chunkTokens: 4 }); // a task model's chunks are its windows, whatever is asked
    assert.equal(doc.options.chunkTokens, WINDOW);
    assert.equal(doc.readout, c.task === 'tag' ? 'tag' : 'class');
    const range = await doc.range(0, doc.length);
    assert.equal(range.directions, c.bidirectional ? 2 : 1);
    for (const { start, ref } of windows) {
      const count = ref.layers[0].h.length / (4 * range.directions);
      const width = 4 * range.directions;
      for (let l = 0; l < 2; l++) {
        for (const kind of activationKinds(c.cell)) {
          const got = range.layers[l][kind]!.subarray(start * width, (start + count) * width);
          const diff = maxAbsDiff(got, ref.layers[l][kind]);
          assert.ok(diff <= TOL, `window at ${start}, layer ${l} ${kind} differs by ${diff}`);
        }
      }
      for (let t = 0; t < count; t++) {
        const p = await doc.predictions(doc.spanOf(start + t)[0], 3);
        const want = c.task === 'tag' ? ref.probabilities[t] : ref.probabilities[0];
        const best = want.indexOf(Math.max(...want));
        assert.equal(p.top[0].text, LABELS[best], `token ${start + t}`);
        assert.ok(Math.abs(p.top[0].probability - want[best]) < 1e-5);
        assert.equal(p.top.length, 3);
        assert.equal(p.actual, undefined, 'a task model has no next token');
      }
    }
    await doc.close();
  });
}

test('backward neurons: labelled h1←[u], ranked, traced and listed in the hover from the second half of each row', async () => {
  const model = randomModel(spec('lstm', 'tag', true), 77);
  const file = await exported(model, 'bi-lstm-tagger-neurons');
  const ids = Array.from(TINY_VOCAB.encode(TEXT));
  const ref = reference(model, ids.slice(0, WINDOW));
  model.dispose();
  const doc = await ActivationDocument.open(file, TEXT);
  const range = await doc.range(0, doc.length);
  const trace = characterTrace(range, 1, 'c', 2, 'backward');
  for (let t = 0; t < WINDOW; t++) assert.ok(Math.abs(trace[t] - ref.layers[1].c[t * 8 + 4 + 2]) < TOL, `step ${t}`);
  const forward = characterTrace(range, 1, 'c', 2);
  for (let t = 0; t < WINDOW; t++) assert.ok(Math.abs(forward[t] - ref.layers[1].c[t * 8 + 2]) < TOL, `step ${t}`);
  assert.throws(() => characterTrace(range, 1, 'c', 4, 'backward'), /unit 4 is outside 0 to 3/);

  const strongest = await strongestNeuronsAt(doc, 3, 16, 'h');
  assert.equal(strongest.length, 16, 'both layers, both directions');
  assert.ok(strongest.some((n) => n.direction === 'backward'));
  for (const n of strongest) {
    const row = ref.layers[n.layer].h.subarray(3 * 8, 4 * 8);
    assert.ok(Math.abs(row[n.unit + (n.direction ? 4 : 0)] - n.value) < TOL, neuronLabel(n));
  }

  const ranking = await rankDocumentNeurons(doc, [{ name: 'isSpace', kind: 'binary', values: Float32Array.from([...TEXT], (ch) => (ch === ' ' ? 1 : 0)) }], {
    top: 64,
  });
  const labels = ranking[0].top.map((n) => neuronLabel(n.neuron));
  assert.equal(labels.length, 2 * 2 * 2 * 4, 'h and c of 2 layers × 2 directions × 4 units');
  assert.ok(labels.includes('h0←[3]') && labels.includes('c1←[0]') && labels.includes('h1[2]'), labels.join(' '));
  await doc.close();
});

test('an edit recomputes only its window and those after it; values equal a fresh document', async () => {
  const model = randomModel(spec('gru', 'tag', true), 91);
  const file = await exported(model, 'bi-gru-edit');
  model.dispose();
  const doc = await ActivationDocument.open(file, TEXT);
  await doc.range(0, doc.length);
  const before = doc.stats.computedTokens;
  const edited = TEXT.slice(0, 8) + 'a' + TEXT.slice(9); // in the second window
  doc.update(edited);
  const after = await doc.range(0, doc.length);
  assert.equal(doc.stats.computedTokens - before, [...edited].length - WINDOW, 'the first window is kept');
  const fresh = await ActivationDocument.open(file, edited);
  const want = await fresh.range(0, fresh.length);
  for (let l = 0; l < 2; l++) assert.ok(maxAbsDiff(after.layers[l].h, want.layers[l].h) < 1e-7);
  await fresh.close();
  await doc.close();
});

test('a word-level tagger: one token per whitespace-separated word, its span the word and the space after it; unknown words marked; values equal tfjs ops', async () => {
  const words = Vocabulary.fromJSON({ kind: 'word', tokens: ['<unk>', 'the', 'cat', 'sat', 'on', 'a', 'mat', '.'], unk: 0 });
  // Leading indentation, two spaces, a line break, an unknown word ("dog"), a trailing space.
  const text = '  the cat  sat\non a dog mat . ';
  const model = randomModel({ ...spec('lstm', 'tag', true), vocabSize: words.size }, 55);
  const file = await exported(model, 'bi-lstm-word-tagger', words);
  const tokens = ['the', 'cat', 'sat', 'on', 'a', 'dog', 'mat', '.'];
  const ids = tokens.map((w) => words.idOf(w));
  const refs = [0, WINDOW].map((start) => reference(model, ids.slice(start, start + WINDOW)));
  model.dispose();

  const doc = await ActivationDocument.open(file, text);
  assert.equal(doc.tokenCount, tokens.length);
  const range = await doc.range(0, doc.length);
  const spans = Array.from({ length: range.count }, (_, t) => text.slice(range.utf16Starts[t], range.utf16Ends[t]));
  assert.deepEqual(spans, ['  the ', 'cat  ', 'sat\n', 'on ', 'a ', 'dog ', 'mat ', '. ']);
  assert.deepEqual(Array.from(range.unknown), [0, 0, 0, 0, 0, 1, 0, 0]);
  const width = 4 * 2;
  for (const [w, ref] of refs.entries()) {
    const count = ref.layers[0].h.length / width;
    for (let l = 0; l < 2; l++) {
      const diff = maxAbsDiff(range.layers[l].c!.subarray(w * WINDOW * width, (w * WINDOW + count) * width), ref.layers[l].c);
      assert.ok(diff <= TOL, `window ${w}, layer ${l} c differs by ${diff}`);
    }
  }
  // The hover's token at a position inside a word, and in the spaces after it.
  assert.equal(doc.tokenAtUtf16(text.indexOf('cat') + 1), 1);
  assert.equal(doc.tokenAtUtf16(text.indexOf('sat') - 1), 1);
  const p = await doc.predictions(doc.spanOf(6)[0], 2);
  const want = refs[1].probabilities[0];
  assert.equal(p.top[0].text, LABELS[want.indexOf(Math.max(...want))], 'the tag of "mat", the first token of the second window');
  await doc.close();
});

test('gate saturation of a bidirectional layer: each direction counted apart, equal to the counts over tfjs ops', async () => {
  const model = randomModel(spec('lstm', 'tag', true), 123, 2); // large weights: saturated gates
  const file = await exported(model, 'bi-lstm-saturation');
  const ids = Array.from(TINY_VOCAB.encode(TEXT));
  const refs = [0, 6, 12].map((start) => reference(model, ids.slice(start, start + WINDOW)));
  model.dispose();
  const doc = await ActivationDocument.open(file, TEXT, { internals: true });
  const gates = gateSaturations([await doc.range(0, doc.length)]);
  await doc.close();
  assert.deepEqual(
    gates.map((g) => `${g.layer}${g.direction === 'backward' ? '←' : '→'}${g.gate}`),
    ['0→i', '0→f', '0→o', '0←i', '0←f', '0←o', '1→i', '1→f', '1→o', '1←i', '1←f', '1←o'],
  );
  let saturated = 0;
  for (const g of gates) {
    const offset = g.direction === 'backward' ? 4 : 0;
    const values = refs.flatMap((ref) => {
      const rows = ref.layers[g.layer][g.gate];
      return Array.from({ length: rows.length / 8 }, (_, t) => Array.from(rows.subarray(t * 8 + offset, t * 8 + offset + 4))).flat();
    });
    const want = gateSaturation(values, 4);
    assert.equal(g.saturation.steps, [...TEXT].length);
    assert.deepEqual([...g.saturation.left], [...want.left], `${g.layer} ${g.direction ?? 'forward'} ${g.gate} left`);
    assert.deepEqual([...g.saturation.right], [...want.right], `${g.layer} ${g.direction ?? 'forward'} ${g.gate} right`);
    saturated += g.saturation.meanLeft + g.saturation.meanRight;
  }
  assert.ok(saturated > 0, 'some gate saturates, so the comparison says something');
});
