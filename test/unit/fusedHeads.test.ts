/**
 * Taggers and classifiers on the fused kernels (issue 13 item 7) against the
 * tfjs model of the same spec and weights (whose heads taskModels.test.ts
 * checks against PyTorch and onnxruntime): one window's loss and every
 * gradient, with padded classifier batches, dropout masks shared as
 * fusedEquivalence.test.ts shares them, and a classifier's shorter batches on
 * the prefix of its plan; then several clipped Adam steps give the same
 * parameters, and the step runner picks the kernels for both tasks.
 */
import { after, before, test, type TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { crossEntropy, RecurrentModel } from '../../src/engine/model';
import { FusedStepper } from '../../src/engine/fused/fusedStepper';
import { dropoutKeeps, dropoutStream } from '../../src/engine/fused/dropoutMask';
import { fusedTrainStep } from '../../src/engine/fused/fusedTraining';
import type { RecurrenceSplit } from '../../src/engine/fused/layout';
import { createOptimizer } from '../../src/engine/training/optimizers';
import { trainStep } from '../../src/engine/training/tfjsStep';
import { chooseStepRunner } from '../../src/engine/training/stepRunner';
import { disposeState } from '../../src/engine/recurrentState';
import type { StepInput, StepSettings } from '../../src/engine/training/stepTypes';
import type { CellType, ModelSpec, Pooling } from '../../src/core/spec';
import type { BackendInfo } from '../../src/core/runFormat';
import { SeededRandom } from '../../src/core/random';
import { relativeError } from './support/arrays';

let wasm: BackendInfo;
before(async () => {
  wasm = await initBackend('wasm');
});

const steppers: FusedStepper[] = [];
after(() => steppers.forEach((s) => s.dispose()));

type Head = 'tag' | Pooling;

interface Case {
  cell: CellType;
  layers: number;
  head: Head;
  bidirectional: boolean;
  hidden: number;
  embedding: number;
  threads: number;
  simd: 'plain' | 'relaxed';
  dropout?: number;
  /** A classifier's plan for more steps than the window has: the window runs on its prefix. */
  planTime?: number;
  /** Force how the threads share a recurrent step (the plan chooses units for a batch this small). */
  recurrence?: RecurrenceSplit;
}

const VOCAB = 13;
const CLASSES = 5;
const BATCH = 6;
const TIME = 7;
const DROPOUT_SEED = 424242;

function specOf(c: Pick<Case, 'cell' | 'layers' | 'head' | 'bidirectional' | 'hidden' | 'embedding' | 'dropout'>): ModelSpec {
  const base = { cell: c.cell, layers: c.layers, hidden: c.hidden, embedding: c.embedding, dropout: c.dropout ?? 0, vocabSize: VOCAB };
  if (c.head === 'tag') return { ...base, bidirectional: c.bidirectional, task: 'tag', classes: CLASSES };
  return { ...base, bidirectional: c.bidirectional, task: 'classify', classes: CLASSES, pooling: c.head };
}

/**
 * A tagger's window (a tag per token), or a classifier's padded batch: rows
 * of 1 … TIME real tokens (one full row), id 0 after them, a class per row.
 */
function windowOf(head: Head, rng: SeededRandom, batch = BATCH, time = TIME): StepInput {
  const inputs = Int32Array.from({ length: batch * time }, () => 1 + rng.nextInt(VOCAB - 1));
  if (head === 'tag') return { inputs, targets: Int32Array.from({ length: batch * time }, () => rng.nextInt(CLASSES)), batch, time };
  const lengths = Int32Array.from({ length: batch }, (_, b) => (b === 1 ? time : 1 + rng.nextInt(time)));
  lengths.forEach((n, b) => inputs.fill(0, b * time + n, (b + 1) * time));
  return { inputs, targets: Int32Array.from({ length: batch }, () => rng.nextInt(CLASSES)), batch, time, lengths };
}

/**
 * The kernels' dropout multipliers for the tfjs model: per layer [rows b·T + t,
 * directions·hidden], and a classifier's pooled rows [batch, directions·hidden].
 */
function dropoutMasks(s: ModelSpec, batch: number, time: number): { layers: tf.Tensor2D[]; pooled: tf.Tensor2D } {
  const directions = s.bidirectional ? 2 : 1;
  const scale = Math.fround(1 / Math.fround(1 - s.dropout));
  const width = directions * s.hidden;
  const multiplier = (stream: number, row: number, u: number) => (dropoutKeeps(DROPOUT_SEED, stream, row, u, s.hidden, s.dropout) ? scale : 0);
  const layers = Array.from({ length: s.layers }, (_, l) => {
    const values = new Float32Array(batch * time * width);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < time; t++) {
        for (let d = 0; d < directions; d++) {
          for (let u = 0; u < s.hidden; u++) values[(b * time + t) * width + d * s.hidden + u] = multiplier(dropoutStream(l, d), t * batch + b, u);
        }
      }
    }
    return tf.tensor2d(values, [batch * time, width]);
  });
  const pooled = new Float32Array(batch * width);
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < directions; d++) {
      for (let u = 0; u < s.hidden; u++) pooled[b * width + d * s.hidden + u] = multiplier(dropoutStream(s.layers, d), b, u);
    }
  }
  return { layers, pooled: tf.tensor2d(pooled, [batch, width]) };
}

/** Weights perturbed from the initial ones, so biases and the output layer are not zero. */
function perturbedModel(spec: ModelSpec): RecurrentModel {
  const model = new RecurrentModel(spec, 7);
  const rng = new SeededRandom(11);
  for (const name of model.weightNames) {
    const v = model.variable(name);
    const values = (v.dataSync() as Float32Array).map((x) => x + (rng.next() - 0.5) * 0.2);
    const t = tf.tensor(values, v.shape);
    v.assign(t);
    t.dispose();
  }
  return model;
}

async function compare(c: Case, t: TestContext): Promise<void> {
  const spec = specOf(c);
  const model = perturbedModel(spec);
  const window = windowOf(c.head, new SeededRandom(3));
  const tokens = tf.tensor2d(window.inputs, [BATCH, TIME], 'int32');
  const targets = tf.tensor1d(window.targets, 'int32');
  const masks = c.dropout ? dropoutMasks(spec, BATCH, TIME) : undefined;
  const { value, grads } = tf.variableGrads(() => {
    const options = { lengths: window.lengths, ...(masks && { training: true, dropoutMasks: masks.layers, pooledDropoutMask: masks.pooled }) };
    return crossEntropy(model.forward(tokens, undefined, options).logits, targets);
  }, model.trainableVariables);

  const stepper = await FusedStepper.create(spec, { threads: c.threads, simd: c.simd, batch: BATCH, time: c.planTime ?? TIME, recurrence: c.recurrence });
  steppers.push(stepper);
  stepper.loadParameters({ weights: new Map(model.weightNames.map((name) => [name, model.variable(name).dataSync() as Float32Array])) });
  const fused = await stepper.step(window.inputs, window.targets, BATCH, TIME, undefined, undefined, masks && DROPOUT_SEED, window.lengths);
  const gradients = stepper.readGradients();
  assert.deepEqual(stepper.windowShape, { batch: BATCH, time: c.planTime ?? TIME }, 'a shorter window runs on the plan it has');

  const loss = value.dataSync()[0];
  assert.ok(Math.abs(fused.loss - loss) / loss < 1e-5, `loss ${fused.loss} vs tfjs ${loss}`);
  let worst = 0;
  for (const name of model.weightNames) {
    const expected = grads[model.variable(name).name].dataSync() as Float32Array;
    const err = relativeError(gradients.get(name)!, expected);
    worst = Math.max(worst, err);
    assert.ok(err < 1e-4, `${name}: gradient differs by ${err.toExponential(2)} (relative to its largest entry)`);
  }
  t.diagnostic(`loss differs by ${(Math.abs(fused.loss - loss) / loss).toExponential(1)}, the worst gradient by ${worst.toExponential(1)}`);
  tf.dispose([tokens, targets, value, ...Object.values(grads), ...(masks ? [...masks.layers, masks.pooled] : [])]);
  model.dispose();
}

const cases: Case[] = [];
const cells = ['lstm', 'gru', 'rnn'] as const;
cells.forEach((cell, i) => {
  for (const head of ['tag', 'last', 'mean'] as const) {
    for (const bidirectional of [false, true]) {
      // Hidden 20 and 13 tokens, 5 classes: none a multiple of 8, so padding columns are exercised.
      const layers = bidirectional === (head === 'last') ? 2 : 1;
      const threads = 1 + ((i + (bidirectional ? 1 : 0)) % 3);
      cases.push({ cell, layers, head, bidirectional, hidden: 20, embedding: bidirectional ? 0 : 9, threads, simd: threads === 2 ? 'relaxed' : 'plain' });
    }
    // Dropout on every layer's outputs (a classifier: on the layers below the top and on its pooled rows).
    cases.push({ cell, layers: 2, head, bidirectional: true, hidden: 16, embedding: 6, threads: 2, simd: 'relaxed', dropout: 0.4 });
  }
  // A classifier's batch shorter than its plan (the longest row of 7 in a plan for 10).
  cases.push({ cell, layers: 2, head: i === 1 ? 'mean' : 'last', bidirectional: true, hidden: 20, embedding: 0, threads: 2, simd: 'plain', planTime: 10 });
  // Recurrences split by batch rows: a classifier's padded rows (lengths) of the second thread's rows, and a thread without rows.
  for (const head of ['tag', 'last', 'mean'] as const) {
    cases.push({ cell, layers: 2, head, bidirectional: true, hidden: 20, embedding: 0, threads: head === 'tag' ? 3 : 2, simd: 'relaxed', recurrence: 'rows' });
  }
});

for (const c of cases) {
  const head = c.head === 'tag' ? 'tagger' : `classifier (${c.head} pooling)`;
  const extras = [
    c.bidirectional && 'bidirectional',
    c.dropout && `dropout ${c.dropout}`,
    c.planTime && `planned for ${c.planTime} steps`,
    c.recurrence && `recurrence split by ${c.recurrence}`,
  ].filter(Boolean);
  const input = c.embedding ? `embedding ${c.embedding}` : 'one-hot';
  const label = `${c.cell} ${c.layers}×${c.hidden} ${head}, ${[...extras, input].join(', ')}, ${c.threads} thread(s), ${c.simd} SIMD`;
  test(`fused = tfjs: loss and every gradient of a ${label}`, (t) => compare(c, t));
}

// ---- several clipped Adam steps: the same parameters ----

const STEPS = 5;
const CLIP = 0.05;

interface TrainingCase {
  cell: CellType;
  layers: number;
  head: Head;
  bidirectional: boolean;
  threads: number;
}

async function compareTraining(c: TrainingCase): Promise<void> {
  const spec = specOf({ ...c, hidden: 24, embedding: 8 });
  const reference = new RecurrentModel(spec, 5);
  const fused = new RecurrentModel(spec, 5);
  const referenceOptimizer = createOptimizer('adam', 5e-3);
  const fusedOptimizer = createOptimizer('adam', 5e-3);
  const stepper = await FusedStepper.create(spec, { threads: c.threads, batch: BATCH, time: TIME });
  steppers.push(stepper);
  const settings: StepSettings = { clipMode: 'norm', clipValue: CLIP, dropoutSeed: 0 };
  const rng = new SeededRandom(17);
  let clipped = 0;
  try {
    for (let step = 1; step <= STEPS; step++) {
      // A classifier's batches are padded to their longest row: some shorter than the plan.
      const window = windowOf(c.head, rng, BATCH, c.head === 'tag' ? TIME : 3 + (step % 5));
      const expected = trainStep(reference, referenceOptimizer, window, undefined, settings);
      const actual = await fusedTrainStep(stepper, fused, fusedOptimizer, window, undefined, settings);
      disposeState(expected.finalState);
      disposeState(actual.finalState);
      assert.ok(expected.applied && actual.applied, `step ${step} applied on both paths`);
      const close = (a: number, e: number) => Math.abs(a - e) <= 1e-4 * Math.abs(e);
      assert.ok(close(actual.loss, expected.loss), `step ${step}: loss ${actual.loss} vs tfjs ${expected.loss}`);
      assert.ok(close(actual.gradNorm, expected.gradNorm), `step ${step}: gradNorm ${actual.gradNorm} vs tfjs ${expected.gradNorm}`);
      if (expected.gradNorm > CLIP) clipped++;
      for (const name of reference.weightNames) {
        const err = relativeError(fused.variable(name).dataSync() as Float32Array, reference.variable(name).dataSync() as Float32Array);
        assert.ok(err < 1e-4, `after step ${step}, ${name} differs by ${err.toExponential(2)} (relative to its largest entry)`);
      }
    }
    assert.ok(clipped > 0, 'norm clipping triggered in at least one step');
  } finally {
    referenceOptimizer.dispose();
    fusedOptimizer.dispose();
    reference.dispose();
    fused.dispose();
  }
}

const trainingCases: TrainingCase[] = [
  { cell: 'lstm', layers: 2, head: 'tag', bidirectional: true, threads: 2 },
  { cell: 'lstm', layers: 2, head: 'last', bidirectional: true, threads: 2 },
  { cell: 'lstm', layers: 1, head: 'mean', bidirectional: true, threads: 1 },
  { cell: 'gru', layers: 1, head: 'tag', bidirectional: false, threads: 2 },
  { cell: 'gru', layers: 2, head: 'mean', bidirectional: true, threads: 2 },
  { cell: 'rnn', layers: 1, head: 'last', bidirectional: false, threads: 1 },
  { cell: 'rnn', layers: 2, head: 'tag', bidirectional: true, threads: 2 },
];

for (const c of trainingCases) {
  const head = c.head === 'tag' ? 'tagger' : `classifier (${c.head} pooling, padded batches)`;
  const label = `${c.cell} ${c.layers}×24 ${head}${c.bidirectional ? ', bidirectional' : ''}, ${c.threads} thread(s)`;
  test(`${STEPS} Adam steps with norm clipping: fused = tfjs parameters, loss and gradNorm (${label})`, () => compareTraining(c));
}

test('taggers and classifiers train on the fused kernels (chooseStepRunner), with nothing to explain', async () => {
  for (const head of ['tag', 'last', 'mean'] as const) {
    const spec = specOf({ cell: 'lstm', layers: 1, head, bidirectional: true, hidden: 16, embedding: 0 });
    const model = new RecurrentModel(spec, 1);
    const optimizer = createOptimizer('adam', 0.01);
    for (const preference of ['fused', 'auto'] as const) {
      const chosen = await chooseStepRunner({ model, optimizer, batch: 4, time: 8, preference, tfjsBackend: wasm, threads: 1 });
      try {
        assert.equal(chosen.backend.training, 'fused', `${head}, ${preference}`);
        assert.equal(chosen.backend.notice, undefined, `${head}, ${preference}`);
        const outcome = await chosen.runner.step(windowOf(head, new SeededRandom(2), 4, 8), undefined, { clipMode: 'norm', clipValue: 5, dropoutSeed: 0 });
        assert.ok(outcome.applied && Number.isFinite(outcome.loss), `${head}: a step on the kernels`);
        disposeState(outcome.finalState);
      } finally {
        chosen.runner.dispose();
      }
    }
    optimizer.dispose();
    model.dispose();
  }
});

test('refused clearly: a classifier window whose targets or lengths do not fit its batch; the gradient-flow probe (language models only)', async () => {
  const spec = specOf({ cell: 'gru', layers: 1, head: 'last', bidirectional: false, hidden: 8, embedding: 0 });
  const stepper = await FusedStepper.create(spec, { threads: 1, batch: 2, time: 4 });
  steppers.push(stepper);
  const inputs = new Int32Array(8);
  await assert.rejects(stepper.step(inputs, new Int32Array(8), 2, 4, undefined), /needs 8 tokens and 2 targets; got 8 and 8/);
  await assert.rejects(
    stepper.step(inputs, new Int32Array(2), 2, 4, undefined, undefined, undefined, Int32Array.from([0, 4])),
    /lengths must be 2 counts from 1 to 4/,
  );
  await assert.rejects(stepper.gradientFlow(inputs, new Int32Array(2), 2, 4, false), /the gradient-flow probe is for language models/);
});
