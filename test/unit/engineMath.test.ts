/**
 * The engine's numerical building blocks on the wasm backend, each checked
 * against a hand-computed or plain-JavaScript reference: gradient clipping,
 * the patched BatchMatMul kernel, evaluation loss, optimizer updates, weight
 * initialisers, bidirectional layers, weight loading and dropout.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { clipGradients } from '../../src/engine/training/clipping';
import { evaluateLoss } from '../../src/engine/training/evaluate';
import { createOptimizer, setLearningRate } from '../../src/engine/training/optimizers';
import { blockOrthogonal, glorotUniform } from '../../src/engine/initializers';
import { RecurrentModel } from '../../src/engine/model';
import { SeededRandom } from '../../src/core/random';
import type { Window } from '../../src/core/batching';
import type { CellType, ModelSpec } from '../../src/core/spec';

let matMulPatched: boolean | undefined;

before(async () => {
  const info = await initBackend('wasm');
  matMulPatched = info.matMulPatched;
});

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol)) assert.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (|diff| ${err.toExponential(2)} > ${tol})`);
  }
}

// ---------------------------------------------------------------- clipping

/** Runs clipGradients on [3, 4] and [12] (global norm √(9+16+144) = 13) and downloads everything. */
function clipOf(mode: 'norm' | 'value' | 'none', threshold: number) {
  const grads = [tf.tensor1d([3, 4]), tf.tensor1d([12])];
  const r = clipGradients(grads, mode, threshold);
  const values = r.gradients.map((g) => Array.from(g.dataSync()));
  tf.dispose(grads);
  tf.dispose(r.gradients);
  return { values, norm: r.norm, clippedNorm: r.clippedNorm };
}

test('clipGradients norm mode with τ=5 scales [3,4],[12] (norm 13) by 5/13 and reports norms 13 and 5', () => {
  const start = tf.memory().numTensors;
  const r = clipOf('norm', 5);
  assert.ok(Math.abs(r.norm - 13) < 1e-5, `norm ${r.norm}`);
  assert.ok(Math.abs(r.clippedNorm - 5) < 1e-5, `clippedNorm ${r.clippedNorm}`);
  assertClose(r.values[0], [15 / 13, 20 / 13], 1e-6, 'first tensor');
  assertClose(r.values[1], [60 / 13], 1e-6, 'second tensor');
  assert.equal(tf.memory().numTensors, start, 'no tensor leaks');
});

test('clipGradients norm mode with τ=20 (above the norm 13) leaves the gradients unchanged', () => {
  const start = tf.memory().numTensors;
  const r = clipOf('norm', 20);
  assert.deepEqual(r.values, [[3, 4], [12]]);
  assert.ok(Math.abs(r.norm - 13) < 1e-5);
  assert.ok(Math.abs(r.clippedNorm - 13) < 1e-5);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaks');
});

test('clipGradients value mode with τ=3.5 clamps each element: [3,3.5],[3.5], clipped norm √(9+12.25+12.25)', () => {
  const start = tf.memory().numTensors;
  const r = clipOf('value', 3.5);
  assert.deepEqual(r.values, [[3, 3.5], [3.5]]);
  assert.ok(Math.abs(r.norm - 13) < 1e-5);
  assert.ok(Math.abs(r.clippedNorm - Math.sqrt(9 + 12.25 + 12.25)) < 1e-5, `clippedNorm ${r.clippedNorm}`);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaks');
});

test('clipGradients none mode returns unchanged copies and the same norm before and after', () => {
  const start = tf.memory().numTensors;
  const r = clipOf('none', 1e-3);
  assert.deepEqual(r.values, [[3, 4], [12]]);
  assert.ok(Math.abs(r.norm - 13) < 1e-5);
  assert.equal(r.clippedNorm, r.norm);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaks');
});

// ---------------------------------------------------------------- matMul

/** Plain triple loop over row-major arrays; a is [m,k] (or [k,m] when transposed), b is [k,n] (or [n,k]). */
function referenceMatMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transposeA ? a[p * m + i] : a[i * k + p];
        const bv = transposeB ? b[j * k + p] : b[p * n + j];
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

function randomArray(count: number, rng: SeededRandom): Float32Array {
  return Float32Array.from({ length: count }, () => 2 * rng.next() - 1);
}

test('initBackend("wasm") reports the BatchMatMul patch as applied', () => {
  assert.equal(matMulPatched, true);
});

for (const [transposeA, transposeB] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const) {
  test(`patched wasm matMul (transposeA=${transposeA}, transposeB=${transposeB}) equals a JavaScript triple loop to 1e-4`, () => {
    const rng = new SeededRandom(11 + Number(transposeA) * 2 + Number(transposeB));
    const [m, k, n] = [7, 13, 5];
    const a = randomArray(m * k, rng);
    const b = randomArray(k * n, rng);
    const start = tf.memory().numTensors;
    const got = tf.tidy(() =>
      tf.matMul(tf.tensor2d(a, transposeA ? [k, m] : [m, k]), tf.tensor2d(b, transposeB ? [n, k] : [k, n]), transposeA, transposeB).dataSync(),
    );
    assert.equal(tf.memory().numTensors, start, 'no tensor leaks');
    assertClose(got, referenceMatMul(a, b, m, k, n, transposeA, transposeB), 1e-4, 'product');
  });
}

test('patched wasm matMul on batched 3-D tensors equals a per-batch triple loop for every transpose combination', () => {
  const rng = new SeededRandom(99);
  const [batch, m, k, n] = [3, 4, 9, 6];
  for (const [transposeA, transposeB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const a = randomArray(batch * m * k, rng);
    const b = randomArray(batch * k * n, rng);
    const got = tf.tidy(() =>
      tf
        .matMul(tf.tensor3d(a, transposeA ? [batch, k, m] : [batch, m, k]), tf.tensor3d(b, transposeB ? [batch, n, k] : [batch, k, n]), transposeA, transposeB)
        .dataSync(),
    );
    const expected = new Float64Array(batch * m * n);
    for (let i = 0; i < batch; i++) {
      expected.set(referenceMatMul(a.subarray(i * m * k, (i + 1) * m * k), b.subarray(i * k * n, (i + 1) * k * n), m, k, n, transposeA, transposeB), i * m * n);
    }
    assertClose(got, expected, 1e-4, `batched product (transposeA=${transposeA}, transposeB=${transposeB})`);
  }
});

// ---------------------------------------------------------------- evaluateLoss

function spec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return { cell: 'lstm', layers: 1, hidden: 8, embedding: 0, dropout: 0, vocabSize: 7, bidirectional: false, ...overrides };
}

test('evaluateLoss is exactly ln(vocab) when the output layer is zero (uniform prediction), whatever the windows', async () => {
  const vocab = 7;
  const model = new RecurrentModel(spec({ layers: 2, vocabSize: vocab }), 3);
  const weights = await model.readWeights();
  const outKernel = weights.get('output/kernel')!;
  const outBias = weights.get('output/bias')!;
  weights.set('output/kernel', { shape: outKernel.shape, values: new Float32Array(outKernel.values.length) });
  weights.set('output/bias', { shape: outBias.shape, values: new Float32Array(outBias.values.length) });
  model.setWeights(weights);
  const rng = new SeededRandom(5);
  const window = (batch: number, time: number, resetState: boolean, index: number): Window => ({
    inputs: Int32Array.from({ length: batch * time }, () => rng.nextInt(vocab)),
    targets: Int32Array.from({ length: batch * time }, () => rng.nextInt(vocab)),
    batch,
    time,
    resetState,
    epoch: 0,
    index,
  });
  const start = tf.memory().numTensors;
  const loss = evaluateLoss(model, [window(3, 5, true, 0), window(3, 5, false, 1), window(3, 5, true, 2)]);
  assert.ok(Math.abs(loss - Math.log(vocab)) < 1e-6, `loss ${loss} vs ln 7 = ${Math.log(vocab)}`);
  assert.equal(tf.memory().numTensors, start, 'evaluateLoss leaks no tensors');
  assert.ok(Number.isNaN(evaluateLoss(model, [])), 'no windows gives NaN');
  model.dispose();
});

// ---------------------------------------------------------------- optimizers

test('one SGD step with lr 0.1 moves w to w − 0.1·g', () => {
  const w = tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'sgdStepW');
  const g = tf.tensor1d([0.3, 0.4, -1]);
  const opt = createOptimizer('sgd', 0.1);
  opt.applyGradients({ [w.name]: g });
  assertClose(w.dataSync(), [1 - 0.03, -2 - 0.04, 0.5 + 0.1], 1e-6, 'w after one step');
  opt.dispose();
  g.dispose();
  w.dispose();
});

test('setLearningRate changes the next SGD step: lr 0.1 then 0.01', () => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'sgdLrW');
  const g = tf.tensor1d([2, -4]);
  const opt = createOptimizer('sgd', 0.1);
  opt.applyGradients({ [w.name]: g });
  assertClose(w.dataSync(), [0.8, -1.6], 1e-6, 'after the lr 0.1 step');
  setLearningRate(opt, 0.01);
  opt.applyGradients({ [w.name]: g });
  assertClose(w.dataSync(), [0.78, -1.56], 1e-6, 'after the lr 0.01 step');
  opt.dispose();
  g.dispose();
  w.dispose();
});

test('Adam (β1 0.9, β2 0.999, ε 1e-8): with a constant gradient every bias-corrected step is lr·g/(|g|+ε) ≈ lr·sign(g); setLearningRate changes the next one', () => {
  // Step t: m = (1−β1^t)·g, v = (1−β2^t)·g², so m̂ = g and v̂ = g² exactly: Δw = −lr·g/(|g|+ε).
  const g0 = [0.5, -2, 1e-3];
  const w = tf.variable(tf.tensor1d([0, 0, 0]), true, 'adamLrW');
  const g = tf.tensor1d(g0);
  const opt = createOptimizer('adam', 0.01);
  opt.applyGradients({ [w.name]: g });
  const first = Array.from(w.dataSync());
  assertClose(
    first,
    g0.map((x) => (-0.01 * x) / (Math.abs(x) + 1e-8)),
    1e-6,
    'first Adam step',
  );
  setLearningRate(opt, 0.001);
  opt.applyGradients({ [w.name]: g });
  const delta = Array.from(w.dataSync()).map((v, i) => v - first[i]);
  assertClose(
    delta,
    g0.map((x) => (-0.001 * x) / (Math.abs(x) + 1e-8)),
    1e-6,
    'second Adam step at lr 0.001',
  );
  opt.dispose();
  g.dispose();
  w.dispose();
});

test('RMSprop (ρ 0.95, ε 1e-8): steps are lr·g/√(ms+ε) with ms = 0.05g² then 0.0975g²; setLearningRate changes the next one', () => {
  const g0 = [0.5, -2];
  const w = tf.variable(tf.tensor1d([0, 0]), true, 'rmspropLrW');
  const g = tf.tensor1d(g0);
  const opt = createOptimizer('rmsprop', 0.01);
  opt.applyGradients({ [w.name]: g });
  const first = Array.from(w.dataSync());
  assertClose(
    first,
    g0.map((x) => (-0.01 * x) / Math.sqrt(0.05 * x * x + 1e-8)),
    1e-5,
    'first RMSprop step',
  );
  setLearningRate(opt, 0.002);
  opt.applyGradients({ [w.name]: g });
  const delta = Array.from(w.dataSync()).map((v, i) => v - first[i]);
  // ms₂ = 0.95·0.05g² + 0.05g² = 0.0975g²
  assertClose(
    delta,
    g0.map((x) => (-0.002 * x) / Math.sqrt(0.0975 * x * x + 1e-8)),
    1e-5,
    'second RMSprop step at lr 0.002',
  );
  opt.dispose();
  g.dispose();
  w.dispose();
});

// ---------------------------------------------------------------- initialisers

test('blockOrthogonal(16, 3): each 16×16 gate block Q satisfies QᵀQ = I to 1e-5', () => {
  const n = 16;
  const blocks = 3;
  const out = blockOrthogonal(n, blocks, new SeededRandom(4));
  assert.equal(out.length, n * n * blocks);
  for (let blk = 0; blk < blocks; blk++) {
    const q = (row: number, col: number) => out[row * n * blocks + blk * n + col];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += q(r, i) * q(r, j);
        const expected = i === j ? 1 : 0;
        assert.ok(Math.abs(dot - expected) < 1e-5, `block ${blk}: (QᵀQ)[${i}][${j}] = ${dot}`);
      }
    }
  }
});

test('glorotUniform(64, 128) stays within ±√(6/192) and looks uniform: mean ≈ 0, variance ≈ a²/3, quarters equally filled', () => {
  const [rows, cols] = [64, 128];
  const limit = Math.sqrt(6 / (rows + cols));
  const values = glorotUniform(rows, cols, new SeededRandom(8));
  assert.equal(values.length, rows * cols);
  let sum = 0;
  let sumSq = 0;
  const quarters = [0, 0, 0, 0];
  for (const v of values) {
    assert.ok(Math.abs(v) <= limit, `${v} is outside ±${limit}`);
    sum += v;
    sumSq += v * v;
    quarters[Math.min(3, Math.floor(((v + limit) / (2 * limit)) * 4))]++;
  }
  const mean = sum / values.length;
  // The mean of 8192 draws of U(−a, a) has standard deviation a/√(3·8192) ≈ 0.0064a.
  assert.ok(Math.abs(mean) < 0.03 * limit, `mean ${mean}`);
  const variance = sumSq / values.length - mean * mean;
  assert.ok(Math.abs(variance - (limit * limit) / 3) < (0.05 * (limit * limit)) / 3, `variance ${variance} vs a²/3 = ${(limit * limit) / 3}`);
  for (const q of quarters) assert.ok(Math.abs(q / values.length - 0.25) < 0.02, `quarter fractions ${quarters.map((c) => c / values.length)}`);
});

test('initialisers are deterministic for a seed and differ between seeds', () => {
  assert.deepEqual(glorotUniform(10, 20, new SeededRandom(3)), glorotUniform(10, 20, new SeededRandom(3)));
  assert.notDeepEqual(glorotUniform(10, 20, new SeededRandom(3)), glorotUniform(10, 20, new SeededRandom(4)));
  assert.deepEqual(blockOrthogonal(8, 4, new SeededRandom(3)), blockOrthogonal(8, 4, new SeededRandom(3)));
  assert.notDeepEqual(blockOrthogonal(8, 4, new SeededRandom(3)), blockOrthogonal(8, 4, new SeededRandom(4)));
});

// ---------------------------------------------------------------- bidirectional

for (const [cell, embedding] of [
  ['lstm', 0],
  ['gru', 5],
  ['rnn', 0],
] as [CellType, number][]) {
  test(`bidirectional ${cell} (embedding ${embedding}): output is [B,T,2H]; the backward half at t is a forward run on the reversed input at T−1−t`, async () => {
    const [B, T, H, V] = [2, 6, 4, 5];
    const bi = new RecurrentModel(spec({ cell, hidden: H, vocabSize: V, embedding, bidirectional: true }), 21);
    const uniSpec = spec({ cell, hidden: H, vocabSize: V, embedding, bidirectional: false });
    const forwardOnly = new RecurrentModel(uniSpec, 1);
    const backwardOnly = new RecurrentModel(uniSpec, 2);
    const biWeights = await bi.readWeights();
    const copy = async (target: RecurrentModel, dir: '' | 'backward/') => {
      const w = await target.readWeights();
      for (const part of ['kernel', 'recurrentKernel', 'bias']) w.set(`layer0/${part}`, biWeights.get(`layer0/${dir}${part}`)!);
      if (embedding > 0) w.set('embedding', biWeights.get('embedding')!);
      target.setWeights(w);
    };
    await copy(forwardOnly, '');
    await copy(backwardOnly, 'backward/');

    const rng = new SeededRandom(6);
    const tokens = Array.from({ length: B }, () => Array.from({ length: T }, () => rng.nextInt(V)));
    const reversed = tokens.map((row) => [...row].reverse());
    const start = tf.memory().numTensors;
    const [biOut, fwOut, bwOut] = tf.tidy(() => [
      bi.forward(tf.tensor2d(tokens, [B, T], 'int32'), undefined).layerOutputs[0],
      forwardOnly.forward(tf.tensor2d(tokens, [B, T], 'int32'), undefined).layerOutputs[0],
      backwardOnly.forward(tf.tensor2d(reversed, [B, T], 'int32'), undefined).layerOutputs[0],
    ]);
    assert.deepEqual(biOut.shape, [B, T, 2 * H]);
    const biArr = biOut.arraySync();
    const fwArr = fwOut.arraySync();
    const bwArr = bwOut.arraySync();
    tf.dispose([biOut, fwOut, bwOut]);
    assert.equal(tf.memory().numTensors, start, 'no tensor leaks');
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        assertClose(biArr[b][t].slice(0, H), fwArr[b][t], 1e-5, `forward half b=${b} t=${t}`);
        assertClose(biArr[b][t].slice(H), bwArr[b][T - 1 - t], 1e-5, `backward half b=${b} t=${t}`);
      }
    }
    bi.dispose();
    forwardOnly.dispose();
    backwardOnly.dispose();
  });
}

// ---------------------------------------------------------------- setWeights

test('setWeights rejects a weight of the wrong shape with a message naming the weight, and keeps the old weights', async () => {
  const model = new RecurrentModel(spec({ cell: 'gru', hidden: 4, vocabSize: 6 }), 1);
  const weights = await model.readWeights();
  const before = Float32Array.from(weights.get('layer0/kernel')!.values);
  const bad = new Map(weights);
  bad.set('layer0/kernel', { shape: [6, 9], values: new Float32Array(54) }); // needs [6, 12]
  assert.throws(() => model.setWeights(bad), /layer0\/kernel.*\[6,9\].*\[6,12\]/);
  const missing = new Map(weights);
  missing.delete('layer0/recurrentKernel');
  assert.throws(() => model.setWeights(missing), /layer0\/recurrentKernel/);
  assert.deepEqual((await model.readWeights()).get('layer0/kernel')!.values, before, 'a rejected load changes nothing');
  model.dispose();
});

// ---------------------------------------------------------------- dropout

test('dropout in training differs between dropout seeds, repeats for the same seed, and is ignored when training=false', async () => {
  const s = spec({ cell: 'lstm', layers: 2, hidden: 16, vocabSize: 6, dropout: 0.5 });
  const model = new RecurrentModel(s, 9);
  const plain = new RecurrentModel({ ...s, dropout: 0 }, 1);
  plain.setWeights(await model.readWeights());
  const tokens = [
    [0, 1, 2, 3, 4, 5],
    [5, 4, 3, 2, 1, 0],
  ];
  const logits = (m: RecurrentModel, training: boolean, dropoutSeed: number) =>
    tf.tidy(() => Array.from(m.forward(tf.tensor2d(tokens, [2, 6], 'int32'), undefined, { training, dropoutSeed }).logits.dataSync()));
  const a1 = logits(model, true, 1);
  const a2 = logits(model, true, 1);
  const b = logits(model, true, 2);
  assert.deepEqual(a1, a2, 'the same seed gives the same masks');
  assert.notDeepEqual(a1, b, 'another seed gives other masks');
  const reference = logits(plain, false, 0);
  assert.notDeepEqual(a1, reference, 'training-mode dropout changes the output');
  assertClose(logits(model, false, 1), reference, 1e-6, 'inference with seed 1 equals a dropout-free model');
  assertClose(logits(model, false, 2), reference, 1e-6, 'inference with seed 2 equals a dropout-free model');
  model.dispose();
  plain.dispose();
});
