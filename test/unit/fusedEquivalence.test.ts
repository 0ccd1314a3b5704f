import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { crossEntropy, RecurrentModel, type RecurrentState } from '../../src/engine/model';
import { FusedStepper } from '../../src/engine/fused/fusedStepper';
import { dropoutKeeps, dropoutStream } from '../../src/engine/fused/dropoutMask';
import type { CellType, ModelSpec } from '../../src/core/spec';
import { SeededRandom } from '../../src/core/random';
import { relativeError } from './support/arrays';

// The fused kernels against the tfjs reference path (the model's own ops,
// whose cells match PyTorch: cells.*.test.ts): same weights, same window,
// same carried state → same loss, gradients and final state.

before(async () => {
  await initBackend('cpu');
});

const steppers: FusedStepper[] = [];
after(() => steppers.forEach((s) => s.dispose()));

interface Case {
  cell: CellType;
  layers: number;
  hidden: number;
  embedding: number;
  vocab: number;
  batch: number;
  time: number;
  threads: number;
  simd: 'plain' | 'relaxed';
  bidirectional?: boolean;
  /** Dropout rate: both paths drop out with the same mask (drawn as the fused kernels draw it, from DROPOUT_SEED). */
  dropout?: number;
}

const DROPOUT_SEED = 987654321;

function spec(c: Case): ModelSpec {
  return {
    cell: c.cell,
    layers: c.layers,
    hidden: c.hidden,
    embedding: c.embedding,
    dropout: c.dropout ?? 0,
    vocabSize: c.vocab,
    bidirectional: c.bidirectional ?? false,
  };
}

/**
 * The fused kernels' dropout multipliers as the tfjs model takes them: per
 * layer [batch·time rows (row b·T + t), directions·hidden], 0 or 1/(1 − rate).
 */
function dropoutMasks(s: ModelSpec, batch: number, time: number): tf.Tensor2D[] {
  const directions = s.bidirectional ? 2 : 1;
  const scale = Math.fround(1 / Math.fround(1 - s.dropout));
  return Array.from({ length: s.layers }, (_, l) => {
    const values = new Float32Array(batch * time * directions * s.hidden);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < time; t++) {
        for (let d = 0; d < directions; d++) {
          for (let u = 0; u < s.hidden; u++) {
            const kept = dropoutKeeps(DROPOUT_SEED, dropoutStream(l, d), t * batch + b, u, s.hidden, s.dropout);
            values[(b * time + t) * directions * s.hidden + d * s.hidden + u] = kept ? scale : 0;
          }
        }
      }
    }
    return tf.tensor2d(values, [batch * time, directions * s.hidden]);
  });
}

function randomWindow(c: Case, seed: number): { inputs: Int32Array; targets: Int32Array } {
  const rng = new SeededRandom(seed);
  const n = c.batch * c.time;
  return { inputs: Int32Array.from({ length: n }, () => rng.nextInt(c.vocab)), targets: Int32Array.from({ length: n }, () => rng.nextInt(c.vocab)) };
}

function randomState(model: RecurrentModel, batch: number, seed: number): RecurrentState {
  const rng = new SeededRandom(seed);
  const width = model.spec.hidden * (model.spec.bidirectional ? 2 : 1);
  const make = () =>
    Array.from({ length: model.spec.layers }, () =>
      tf.tensor2d(
        Float32Array.from({ length: batch * width }, () => rng.next() - 0.5),
        [batch, width],
      ),
    );
  return model.spec.cell === 'lstm' ? { h: make(), c: make() } : { h: make() };
}

async function compare(c: Case): Promise<void> {
  const model = new RecurrentModel(spec(c), 7);
  // Biases and the output layer start at zero: give them values so their gradients are exercised.
  const rng = new SeededRandom(11);
  for (const name of model.weightNames) {
    const v = model.variable(name);
    const values = (v.dataSync() as Float32Array).map((x) => x + (rng.next() - 0.5) * 0.2);
    v.assign(tf.tensor(values, v.shape));
  }
  const window = randomWindow(c, 3);
  const state = randomState(model, c.batch, 5);
  const tokens = tf.tensor2d(window.inputs, [c.batch, c.time], 'int32');
  const targets = tf.tensor1d(window.targets, 'int32');
  let finalH: Float32Array[] = [];
  let finalC: Float32Array[] | undefined;
  const masks = c.dropout ? dropoutMasks(model.spec, c.batch, c.time) : undefined;
  const { value, grads } = tf.variableGrads(() => {
    const result = model.forward(tokens, state, masks && { training: true, dropoutMasks: masks });
    finalH = result.finalState.h.map((t) => t.dataSync() as Float32Array);
    finalC = result.finalState.c?.map((t) => t.dataSync() as Float32Array);
    return crossEntropy(result.logits, targets);
  }, model.trainableVariables);

  const stepper = await FusedStepper.create(model.spec, { threads: c.threads, simd: c.simd, batch: c.batch, time: c.time });
  steppers.push(stepper);
  const weights = new Map(model.weightNames.map((name) => [name, model.variable(name).dataSync() as Float32Array]));
  const stateArrays = { h: state.h.map((t) => t.dataSync() as Float32Array), c: state.c?.map((t) => t.dataSync() as Float32Array) };
  stepper.loadParameters({ weights });
  const fused = await stepper.step(window.inputs, window.targets, c.batch, c.time, stateArrays, undefined, masks && DROPOUT_SEED);
  const fusedGradients = stepper.readGradients();

  const loss = value.dataSync()[0];
  assert.ok(Math.abs(fused.loss - loss) / loss < 1e-5, `loss ${fused.loss} vs tfjs ${loss}`);
  for (const name of model.weightNames) {
    const expected = grads[model.variable(name).name].dataSync() as Float32Array;
    const actual = fusedGradients.get(name)!;
    assert.equal(actual.length, expected.length, name);
    const err = relativeError(actual, expected);
    assert.ok(err < 1e-4, `${name}: gradient differs by ${err.toExponential(2)} (relative to its largest entry)`);
  }
  finalH.forEach((h, l) => assert.ok(relativeError(fused.finalState.h[l], h) < 1e-5, `final h of layer ${l}`));
  finalC?.forEach((cs, l) => assert.ok(relativeError(fused.finalState.c![l], cs) < 1e-5, `final c of layer ${l}`));
  tf.dispose([tokens, targets, value, ...Object.values(grads), ...state.h, ...(state.c ?? []), ...(masks ?? [])]);
  model.dispose();
}

const cases: Case[] = [];
for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  for (const layers of [1, 2]) {
    for (const embedding of [0, 12]) {
      // Hidden 20 and vocabulary 13 are not multiples of 8: padding is exercised; batch 6 leaves a 2-row tail.
      cases.push({ cell, layers, hidden: 20, embedding, vocab: 13, batch: 6, time: 5, threads: 1, simd: 'plain' });
    }
  }
  cases.push({ cell, layers: 2, hidden: 40, embedding: 0, vocab: 30, batch: 8, time: 7, threads: 2, simd: 'plain' });
  cases.push({ cell, layers: 2, hidden: 40, embedding: 10, vocab: 30, batch: 8, time: 7, threads: 2, simd: 'relaxed' });
  cases.push({ cell, layers: 1, hidden: 16, embedding: 9, vocab: 11, batch: 3, time: 4, threads: 3, simd: 'relaxed' });
}

// Bidirectional layers and dropout (issue 13): one and two layers, every cell, 1–3 threads.
for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  cases.push({ cell, layers: 1, hidden: 20, embedding: 0, vocab: 13, batch: 6, time: 5, threads: 1, simd: 'plain', bidirectional: true });
  cases.push({ cell, layers: 2, hidden: 40, embedding: 10, vocab: 30, batch: 8, time: 7, threads: 2, simd: 'relaxed', bidirectional: true });
  cases.push({ cell, layers: 2, hidden: 20, embedding: 0, vocab: 13, batch: 6, time: 5, threads: 2, simd: 'plain', dropout: 0.3 });
  cases.push({ cell, layers: 2, hidden: 16, embedding: 9, vocab: 11, batch: 3, time: 4, threads: 3, simd: 'relaxed', bidirectional: true, dropout: 0.5 });
}

for (const c of cases) {
  const extras = `${c.bidirectional ? 'bidirectional, ' : ''}${c.dropout ? `dropout ${c.dropout}, ` : ''}`;
  const input = `${extras}${c.embedding ? `embedding ${c.embedding}` : 'one-hot'}`;
  const threads = `${c.threads} thread${c.threads > 1 ? 's' : ''}`;
  const label = `${c.cell} ${c.layers}×${c.hidden} ${input} vocab ${c.vocab}, batch ${c.batch} × ${c.time}, ${threads}, ${c.simd} SIMD`;
  test(`fused = tfjs reference: loss, every gradient, final state (${label})`, () => compare(c));
}
