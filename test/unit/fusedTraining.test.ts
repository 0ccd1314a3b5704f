/**
 * Training on the fused kernels, end to end: several optimizer steps agree
 * with the tfjs reference path (fusedEquivalence.test.ts covers one batch's
 * loss and gradients), results do not depend on the thread count, models
 * the kernels cannot train fall back to tfjs ops with a notice, the run
 * records which path trained it, and a worker thread that dies mid-step
 * fails the run with a checkpoint it can resume from.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import workerThreads = require('node:worker_threads');
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { RecurrentModel, type RecurrentState } from '../../src/engine/model';
import { createOptimizer } from '../../src/engine/training/optimizers';
import { trainStep } from '../../src/engine/training/tfjsStep';
import { disposeState } from '../../src/engine/recurrentState';
import type { StepInput, StepOutcome, StepSettings } from '../../src/engine/training/stepTypes';
import { fusedTrainStep } from '../../src/engine/fused/fusedTraining';
import { FusedStepper } from '../../src/engine/fused/fusedStepper';
import type { NamedArrays, StateArrays } from '../../src/engine/fused/weights';
import type { RecurrenceSplit } from '../../src/engine/fused/layout';
import { chooseStepRunner } from '../../src/engine/training/stepRunner';
import { startTraining, resumeTraining, type TrainRequest } from '../../src/engine/training/trainingRun';
import type { BackendInfo } from '../../src/core/runFormat';
import { DEFAULT_MODEL, DEFAULT_TRAINING, type CellType, type ClipMode, type ModelSpec, type OptimizerName } from '../../src/core/spec';
import { SeededRandom } from '../../src/core/random';
import { relativeError } from './support/arrays';
import { evaluationWindows } from '../../src/core/batching';
import { evaluateLoss } from '../../src/engine/training/evaluate';
import { uniformLoss } from '../../src/core/units';
import { tempDir, writeTinyCorpus } from './support/tempDir';

// Every worker thread started in this file, until it exits: FusedStepper
// reads `Worker` from the (CommonJS) module object at construction time, so a
// subclass put there sees each one. A thread left running would also keep this file's
// process from exiting (node:test would hang).
const liveWorkers = new Set<workerThreads.Worker>();
const OriginalWorker = workerThreads.Worker;
class TrackedWorker extends OriginalWorker {
  constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
    super(...args);
    liveWorkers.add(this);
    this.once('exit', () => liveWorkers.delete(this));
  }
}
(workerThreads as { Worker: typeof OriginalWorker }).Worker = TrackedWorker;

async function assertNoLiveWorkers(what: string): Promise<void> {
  for (let waited = 0; liveWorkers.size > 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(liveWorkers.size, 0, `${liveWorkers.size} fused worker thread(s) still running after ${what}`);
}

let wasm: BackendInfo;
before(async () => {
  wasm = await initBackend('wasm'); // the trainer's tfjs backend where tfjs-node is absent
});

const steppers: FusedStepper[] = [];
after(async () => {
  steppers.forEach((s) => s.dispose());
  (workerThreads as { Worker: typeof OriginalWorker }).Worker = OriginalWorker;
  await assertNoLiveWorkers('the last test');
});

async function newStepper(spec: ModelSpec, threads: number, batch: number, time: number, recurrence?: RecurrenceSplit): Promise<FusedStepper> {
  const stepper = await FusedStepper.create(spec, { threads, batch, time, recurrence });
  steppers.push(stepper);
  return stepper;
}

function modelSpec(cell: CellType, layers: number, hidden: number, embedding: number, vocabSize: number): ModelSpec {
  return { cell, layers, hidden, embedding, dropout: 0, vocabSize, bidirectional: false };
}

function randomWindow(batch: number, time: number, vocab: number, rng: SeededRandom): StepInput {
  const n = batch * time;
  return { inputs: Int32Array.from({ length: n }, () => rng.nextInt(vocab)), targets: Int32Array.from({ length: n }, () => rng.nextInt(vocab)), batch, time };
}

function randomStateArrays(spec: ModelSpec, batch: number, rng: SeededRandom): { h: Float32Array[]; c?: Float32Array[] } {
  const width = spec.hidden * (spec.bidirectional ? 2 : 1);
  const make = () => Array.from({ length: spec.layers }, () => Float32Array.from({ length: batch * width }, () => rng.next() - 0.5));
  return spec.cell === 'lstm' ? { h: make(), c: make() } : { h: make() };
}

function toState(arrays: { h: Float32Array[]; c?: Float32Array[] }, batch: number, hidden: number): RecurrentState {
  const t = (a: Float32Array) => tf.tensor2d(a, [batch, hidden]);
  return { h: arrays.h.map(t), c: arrays.c?.map(t) };
}

function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

// ---- 1. several optimizer steps, Adam and norm clipping: the same parameters ----

interface TrainingCase {
  cell: CellType;
  layers: number;
  embedding: number;
  threads: number;
  optimizer?: OptimizerName;
  clipMode?: ClipMode;
  bidirectional?: boolean;
}

const HIDDEN = 20; // not a multiple of 8: the kernels' padding is exercised
const VOCAB = 13;
const BATCH = 6;
const TIME = 8;
const STEPS = 5;
const CLIP = 0.05;
const LEARNING_RATE = 5e-3;

const trainingCases: TrainingCase[] = [];
for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  trainingCases.push({ cell, layers: 1, embedding: 0, threads: 1 });
  trainingCases.push({ cell, layers: 2, embedding: 0, threads: 2 });
  trainingCases.push({ cell, layers: 2, embedding: 12, threads: cell === 'gru' ? 1 : 2 });
}
// The other optimizers and clipping modes the fused update implements.
trainingCases.push({ cell: 'lstm', layers: 2, embedding: 0, threads: 2, optimizer: 'rmsprop', clipMode: 'value' });
trainingCases.push({ cell: 'gru', layers: 1, embedding: 12, threads: 2, optimizer: 'sgd', clipMode: 'norm' });
trainingCases.push({ cell: 'rnn', layers: 1, embedding: 0, threads: 1, optimizer: 'adam', clipMode: 'none' });
// Bidirectional layers (issue 13).
trainingCases.push({ cell: 'lstm', layers: 2, embedding: 0, threads: 2, bidirectional: true });
trainingCases.push({ cell: 'gru', layers: 1, embedding: 12, threads: 1, bidirectional: true });
trainingCases.push({ cell: 'rnn', layers: 2, embedding: 12, threads: 2, bidirectional: true });

async function compareTraining(c: TrainingCase): Promise<void> {
  const spec = { ...modelSpec(c.cell, c.layers, HIDDEN, c.embedding, VOCAB), bidirectional: c.bidirectional ?? false };
  const width = HIDDEN * (spec.bidirectional ? 2 : 1);
  const reference = new RecurrentModel(spec, 7);
  const fused = new RecurrentModel(spec, 7);
  for (const name of reference.weightNames) {
    assert.ok(bitIdentical(fused.variable(name).dataSync() as Float32Array, reference.variable(name).dataSync() as Float32Array), `${name} starts identical`);
  }
  const referenceOptimizer = createOptimizer(c.optimizer ?? 'adam', LEARNING_RATE);
  const fusedOptimizer = createOptimizer(c.optimizer ?? 'adam', LEARNING_RATE);
  const stepper = await newStepper(spec, c.threads, BATCH, TIME);
  const clipMode = c.clipMode ?? 'norm';
  // Clipping by value bounds elements, not the norm: a threshold some elements exceed.
  const settings: StepSettings = { clipMode, clipValue: clipMode === 'value' ? CLIP / 10 : CLIP, dropoutSeed: 0 };
  const rng = new SeededRandom(29);
  const initial = randomStateArrays(spec, BATCH, rng);
  let referenceState: RecurrentState | undefined = toState(initial, BATCH, width);
  let fusedState: RecurrentState | undefined = toState(initial, BATCH, width);
  let clipped = 0;
  try {
    for (let step = 1; step <= STEPS; step++) {
      const window = randomWindow(BATCH, TIME, VOCAB, rng);
      const expected: StepOutcome = trainStep(reference, referenceOptimizer, window, referenceState, settings);
      const actual: StepOutcome = await fusedTrainStep(stepper, fused, fusedOptimizer, window, fusedState, settings);
      assert.ok(expected.applied && actual.applied, `step ${step} applied on both paths`);
      disposeState(referenceState);
      disposeState(fusedState);
      referenceState = expected.finalState;
      fusedState = actual.finalState;
      const close = (a: number, e: number) => Math.abs(a - e) <= 1e-4 * Math.abs(e);
      assert.ok(close(actual.loss, expected.loss), `step ${step}: loss ${actual.loss} vs tfjs ${expected.loss}`);
      assert.ok(close(actual.gradNorm, expected.gradNorm), `step ${step}: gradNorm ${actual.gradNorm} vs tfjs ${expected.gradNorm}`);
      assert.ok(
        close(actual.clippedGradNorm, expected.clippedGradNorm),
        `step ${step}: clippedGradNorm ${actual.clippedGradNorm} vs tfjs ${expected.clippedGradNorm}`,
      );
      if (clipMode === 'norm' && expected.gradNorm > CLIP) {
        clipped++;
        assert.ok(Math.abs(actual.clippedGradNorm - CLIP) < 1e-6, `step ${step}: the clipped norm is the threshold`);
      }
      if (clipMode === 'value' && expected.clippedGradNorm < expected.gradNorm) clipped++;
      for (const name of reference.weightNames) {
        const err = relativeError(fused.variable(name).dataSync() as Float32Array, reference.variable(name).dataSync() as Float32Array);
        assert.ok(err < 1e-4, `after step ${step}, ${name} differs by ${err.toExponential(2)} (relative to its largest entry)`);
      }
    }
    if (clipMode !== 'none') assert.ok(clipped > 0, `clipping (${clipMode}) triggered in at least one step`);
    // The carried states agree too (they feed the next window).
    referenceState!.h.forEach((h, l) => {
      const err = relativeError(fusedState!.h[l].dataSync() as Float32Array, h.dataSync() as Float32Array);
      assert.ok(err < 1e-4, `final h of layer ${l} differs by ${err.toExponential(2)}`);
    });
  } finally {
    disposeState(referenceState);
    disposeState(fusedState);
    referenceOptimizer.dispose();
    fusedOptimizer.dispose();
    reference.dispose();
    fused.dispose();
    stepper.dispose();
  }
}

for (const c of trainingCases) {
  const input = `${c.bidirectional ? 'bidirectional, ' : ''}${c.embedding ? `embedding ${c.embedding}` : 'one-hot'}`;
  const label = `${c.cell} ${c.layers}×${HIDDEN} ${input}, ${c.threads} thread${c.threads > 1 ? 's' : ''}`;
  test(`${STEPS} ${c.optimizer ?? 'adam'} steps, clipping ${c.clipMode ?? 'norm'}: fused = tfjs parameters, gradNorm and clippedGradNorm (${label})`, () =>
    compareTraining(c));
}

// ---- 2. determinism: the thread count and repetition change no bit ----

/** A model whose biases and output layer are not zero, so every gradient is exercised. */
function perturbedModel(spec: ModelSpec): RecurrentModel {
  const model = new RecurrentModel(spec, 3);
  const rng = new SeededRandom(17);
  for (const name of model.weightNames) {
    const v = model.variable(name);
    v.assign(
      tf.tensor(
        (v.dataSync() as Float32Array).map((x) => x + (rng.next() - 0.5) * 0.2),
        v.shape,
      ),
    );
  }
  return model;
}

/** What one gradient-only step of the fused kernels produced. */
interface FusedSnapshot {
  loss: number;
  gradients: NamedArrays;
  finalState: StateArrays;
}

function assertSameBits(actual: FusedSnapshot, expected: FusedSnapshot, what: string): void {
  assert.ok(Object.is(actual.loss, expected.loss), `${what}: loss ${actual.loss} vs ${expected.loss}`);
  assert.deepEqual([...actual.gradients.keys()], [...expected.gradients.keys()]);
  for (const [name, g] of expected.gradients) assert.ok(bitIdentical(actual.gradients.get(name)!, g), `${what}: gradient of ${name} differs`);
  expected.finalState.h.forEach((h, l) => assert.ok(bitIdentical(actual.finalState.h[l], h), `${what}: final h of layer ${l} differs`));
  expected.finalState.c?.forEach((c, l) => assert.ok(bitIdentical(actual.finalState.c![l], c), `${what}: final c of layer ${l} differs`));
}

for (const [cell, embedding, bidirectional, dropout] of [
  ['lstm', 0, false, 0],
  ['gru', 10, false, 0],
  ['rnn', 0, false, 0],
  ['lstm', 10, true, 0.25],
  ['gru', 0, true, 0.25],
] as const) {
  const extras = `${bidirectional ? ', bidirectional' : ''}${dropout ? `, dropout ${dropout}` : ''}`;
  test(`fused ${cell} (2×40, ${embedding ? `embedding ${embedding}` : 'one-hot'}${extras}): loss, gradients and final state bit-identical with 1, 2 and 3 threads, recurrences split by rows or units, and across repeated steps`, async () => {
    const spec = { ...modelSpec(cell, 2, 40, embedding, 23), bidirectional, dropout };
    const model = perturbedModel(spec);
    const weights = new Map(model.weightNames.map((name) => [name, (model.variable(name).dataSync() as Float32Array).slice()]));
    model.dispose();
    const rng = new SeededRandom(41);
    const batch = 7;
    const time = 9;
    const window = randomWindow(batch, time, spec.vocabSize, rng);
    const state = randomStateArrays(spec, batch, rng);
    const results = new Map<string, FusedSnapshot[]>();
    // Batch 7 in 4-row tiles: two threads split it 4 + 3 rows, three leave one thread without rows.
    for (const [threads, recurrence] of [1, 2, 3].flatMap((n) => (['rows', 'units'] as const).map((split) => [n, split] as const))) {
      const stepper = await newStepper(spec, threads, batch, time, recurrence);
      stepper.loadParameters({ weights });
      const run = async (): Promise<FusedSnapshot> => {
        const { loss, finalState } = await stepper.step(window.inputs, window.targets, batch, time, state, undefined, 77);
        return { loss, finalState, gradients: stepper.readGradients() };
      };
      const first = await run();
      const second = await run();
      results.set(`${threads} thread(s) split by ${recurrence}`, [first, second]);
      stepper.dispose();
    }
    const [reference] = results.get('1 thread(s) split by rows')!;
    assert.ok(Number.isFinite(reference.loss) && reference.loss > 0);
    assert.ok(
      [...reference.gradients.values()].every((g) => g.some((x) => x !== 0)),
      'every weight has a non-zero gradient',
    );
    for (const [label, [first, second]] of results) {
      assertSameBits(first, reference, `${label}, first step`);
      assertSameBits(second, reference, `${label}, repeated step`);
    }
  });
}

test('a step after the memory is planned again for another window shape gives the floats of a fresh stepper (the kernels keep their constants)', async () => {
  const spec = { ...modelSpec('lstm', 1, 24, 0, 13), bidirectional: false, dropout: 0 };
  const model = perturbedModel(spec);
  const weights = new Map(model.weightNames.map((name) => [name, (model.variable(name).dataSync() as Float32Array).slice()]));
  model.dispose();
  const rng = new SeededRandom(5);
  const window = randomWindow(8, 6, spec.vocabSize, rng);
  const other = randomWindow(5, 11, spec.vocabSize, rng);
  const snapshot = async (stepper: FusedStepper): Promise<FusedSnapshot> => {
    const { loss, finalState } = await stepper.step(window.inputs, window.targets, 8, 6, undefined);
    return { loss, finalState, gradients: stepper.readGradients() };
  };
  const fresh = await newStepper(spec, 2, 8, 6);
  fresh.loadParameters({ weights });
  const expected = await snapshot(fresh);
  assert.ok(Number.isFinite(expected.loss));
  const replanned = await newStepper(spec, 2, 8, 6);
  replanned.loadParameters({ weights });
  // Another shape plans the memory again, and the first shape once more.
  await replanned.step(other.inputs, other.targets, 5, 11, undefined);
  assertSameBits(await snapshot(replanned), expected, 'after two new plans');
  fresh.dispose();
  replanned.dispose();
});

// ---- 3.–5. sessions: which path trains, fallback, and a dying worker ----

const dir = tempDir();
const corpus = writeTinyCorpus(dir);

function request(
  overrides: Partial<Omit<TrainRequest, 'model' | 'training'>> & { model?: Partial<TrainRequest['model']>; training?: Partial<TrainRequest['training']> } = {},
): TrainRequest {
  const { model, training, ...rest } = overrides;
  return {
    inputs: [corpus],
    model: { ...DEFAULT_MODEL, layers: 1, hidden: 24, ...model },
    training: {
      ...DEFAULT_TRAINING,
      seqLength: 12,
      batchSize: 6,
      steps: 4,
      evalEvery: 100,
      sampleEvery: 100,
      checkpointEvery: 100,
      learningRate: 1e-2,
      ...training,
    },
    outDir: path.join(dir, 'runs'),
    backend: 'fused',
    ...rest,
  };
}

test('a model with dropout trains on the fused kernels, with nothing to explain', async () => {
  const started = await startTraining(request({ model: { layers: 2, dropout: 0.2 } }));
  const outcome = await started.outcome;
  assert.equal(outcome.status, 'completed', outcome.message);
  const backend = started.run.readInfo().backend;
  assert.equal(backend.training, 'fused');
  assert.equal(backend.notice, undefined);
  await assertNoLiveWorkers('a run with dropout');
});

test('a bidirectional model trains on the fused kernels (chooseStepRunner)', async () => {
  const spec: ModelSpec = { ...modelSpec('lstm', 1, 16, 0, 11), bidirectional: true };
  const model = new RecurrentModel(spec, 1);
  const optimizer = createOptimizer('adam', LEARNING_RATE);
  for (const preference of ['fused', 'auto'] as const) {
    const chosen = await chooseStepRunner({ model, optimizer, batch: 4, time: 8, preference, tfjsBackend: wasm, threads: 1 });
    chosen.runner.dispose();
    assert.equal(chosen.backend.training, 'fused', preference);
    assert.equal(chosen.backend.notice, undefined, preference);
  }
  // Asked for tfjs ops by name: no fused kernels wanted, so nothing to explain.
  const plain = await chooseStepRunner({ model, optimizer, batch: 4, time: 8, preference: 'wasm', tfjsBackend: wasm });
  plain.runner.dispose();
  assert.equal(plain.backend.training, 'tfjs');
  assert.equal(plain.backend.notice, undefined);
  optimizer.dispose();
  model.dispose();
});

test("backend 'auto' without tfjs-node trains on the fused kernels (1 or 2 threads); 'wasm' trains on tfjs ops", async () => {
  const auto = await startTraining(request({ backend: 'auto' }));
  assert.equal((await auto.outcome).status, 'completed');
  const autoBackend = auto.run.readInfo().backend;
  assert.equal(autoBackend.name, 'wasm', 'tfjs-node is not installed here');
  assert.equal(autoBackend.training, 'fused');
  assert.ok(autoBackend.threads === 1 || autoBackend.threads === 2, `threads ${autoBackend.threads}`);
  assert.equal(autoBackend.notice, undefined);

  const plain = await startTraining(request({ backend: 'wasm' }));
  assert.equal((await plain.outcome).status, 'completed');
  const plainBackend = plain.run.readInfo().backend;
  assert.equal(plainBackend.name, 'wasm');
  assert.equal(plainBackend.training, 'tfjs');
  assert.equal(plainBackend.threads, undefined);
  assert.equal(plainBackend.notice, undefined);
  await assertNoLiveWorkers('two completed runs');
});

// At the start of the step (its partner waits at the first barrier), or as the update begins (its partner has written
// its share of the new parameters: into the inactive slot, so the checkpoint is still exactly step 3).
for (const phase of ['start', 'update'] as const)
  test(`a fused worker that dies mid-step (${phase}) fails the run with a checkpoint of the last good step; the run resumes to the end`, async () => {
    const steps = 8;
    const started = await startTraining(
      request({ model: { cell: 'gru', layers: 2 }, training: { steps, checkpointEvery: 1000 }, threads: 2, exitDuringStep: { thread: 1, step: 4, phase } }),
    );
    assert.equal(started.info.backend.training, 'fused');
    assert.equal(started.info.backend.threads, 2);
    const outcome = await started.outcome;
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.message!, /fused kernel thread 2 of 2 stopped unexpectedly/);
    assert.match(outcome.message!, /during step 4/);
    assert.match(outcome.message!, /weights of step 3 are saved in a checkpoint/);
    const failed = started.run.readInfo();
    assert.equal(failed.status, 'failed');
    assert.equal(failed.message, outcome.message);
    assert.equal(failed.progress.step, 3);
    assert.equal(failed.checkpoint, path.join('checkpoints', 'step-0000003'));
    const before = started.run.readMetrics().filter((m) => m.kind === 'step');
    assert.deepEqual(
      before.map((m) => m.step),
      [1, 2, 3],
    );
    await assertNoLiveWorkers('a worker died');

    const resumed = await resumeTraining({ runDir: started.run.dir, backend: 'fused', threads: 2 });
    assert.equal(resumed.info.backend.training, 'fused');
    const resumedOutcome = await resumed.outcome;
    assert.equal(resumedOutcome.status, 'completed', resumedOutcome.message);
    const info = resumed.run.readInfo();
    assert.equal(info.progress.step, steps);
    assert.deepEqual(info.resumedAt, [3]);
    assert.equal(info.message, undefined);
    const metrics = resumed.run.readMetrics().filter((m) => m.kind === 'step');
    assert.deepEqual(
      metrics.map((m) => m.step),
      [1, 2, 3, 4, 5, 6, 7, 8],
      'each step once',
    );
    const ceiling = uniformLoss(info.model.vocabSize) * 1.2;
    for (const m of metrics) {
      assert.ok(Number.isFinite(m.loss) && m.loss > 0 && m.loss < ceiling, `step ${m.step}: loss ${m.loss} finite and below ${ceiling.toFixed(2)}`);
      assert.ok(Number.isFinite(m.gradNorm));
    }
    // Resuming continues where the checkpoint left off: no jump back up to where training started.
    const lossAt = (step: number) => metrics.find((m) => m.step === step)!.loss;
    assert.ok(lossAt(4) < lossAt(1) + 0.1, `loss after resuming ${lossAt(4)} vs at step 1 ${lossAt(1)}`);
    await assertNoLiveWorkers('the resumed run');

    // The same run without the fault: the failed step is trained again on the same window from the same weights and state.
    const straight = await startTraining(request({ model: { cell: 'gru', layers: 2 }, training: { steps, checkpointEvery: 1000 }, threads: 2 }));
    assert.equal((await straight.outcome).status, 'completed');
    const straightMetrics = straight.run.readMetrics().filter((m) => m.kind === 'step');
    for (const m of straightMetrics) {
      const resumedLoss = lossAt(m.step);
      assert.ok(
        Math.abs(resumedLoss - m.loss) <= 1e-5 * m.loss,
        `step ${m.step}: loss ${resumedLoss} after failing and resuming vs ${m.loss} straight through`,
      );
    }
    await assertNoLiveWorkers('the uninterrupted run');
  });

// ---- 7. tensors do not leak: steps and syncs, as the trainer runs them ----

test('the fused runner leaks no tensors: tf.memory() is flat over steps, syncs to tfjs and a second optimizer kind', async () => {
  for (const optimizerName of ['adam', 'rmsprop'] as const) {
    const spec = modelSpec('lstm', 2, 24, 0, VOCAB);
    const model = new RecurrentModel(spec, 5);
    const optimizer = createOptimizer(optimizerName, LEARNING_RATE);
    const { runner, backend } = await chooseStepRunner({ model, optimizer, batch: BATCH, time: TIME, preference: 'fused', tfjsBackend: wasm, threads: 2 });
    assert.equal(backend.training, 'fused');
    const rng = new SeededRandom(3);
    let state: RecurrentState | undefined;
    const settings: StepSettings = { clipMode: 'value', clipValue: 0.01, dropoutSeed: 0 };
    const round = async () => {
      for (let i = 0; i < 4; i++) {
        const outcome = await runner.step(randomWindow(BATCH, TIME, VOCAB, rng), state, settings);
        assert.ok(outcome.applied);
        assert.ok(outcome.clippedGradNorm < outcome.gradNorm, 'clipping by value shrinks the norm');
        disposeState(state);
        state = outcome.finalState;
      }
      await runner.sync();
    };
    await round(); // the optimizer's moments come to exist on the first sync
    const settled = tf.memory().numTensors;
    await round();
    await round();
    assert.equal(tf.memory().numTensors, settled, `${optimizerName}: tensors stay at ${settled}`);
    disposeState(state);
    runner.dispose();
    optimizer.dispose();
    model.dispose();
  }
});

test('fused kernels that cannot start (here: a missing kernel file, simulated) leave training on tfjs ops with a one-line notice', async () => {
  const spec = modelSpec('lstm', 1, 16, 0, 11);
  const model = new RecurrentModel(spec, 1);
  const optimizer = createOptimizer('adam', LEARNING_RATE);
  const create = FusedStepper.create;
  FusedStepper.create = async () => {
    throw new Error('dist/fused.wasm is missing: run `npm run build`\nat somewhere');
  };
  try {
    const chosen = await chooseStepRunner({ model, optimizer, batch: 4, time: 8, preference: 'auto', tfjsBackend: wasm, threads: 1 });
    assert.equal(chosen.backend.training, 'tfjs');
    assert.match(
      chosen.backend.notice ?? '',
      /^Fused kernels not used: they could not start \(dist\/fused\.wasm is missing: run `npm run build`\); training with tfjs wasm ops \(slower\)\.$/,
    );
    const outcome = await chosen.runner.step(randomWindow(4, 8, 11, new SeededRandom(1)), undefined, { clipMode: 'norm', clipValue: 5, dropoutSeed: 0 });
    assert.ok(outcome.applied && Number.isFinite(outcome.loss), 'the tfjs path trains');
    disposeState(outcome.finalState);
    chosen.runner.dispose();
  } finally {
    FusedStepper.create = create;
    optimizer.dispose();
    model.dispose();
  }
});

test('validation on the fused kernels equals evaluateLoss on tfjs (state carried across windows), after training steps too, and for windows of another shape', async () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const spec = modelSpec(cell, 2, HIDDEN, cell === 'gru' ? 12 : 0, VOCAB);
    const model = new RecurrentModel(spec, 8);
    const optimizer = createOptimizer('adam', LEARNING_RATE);
    const { runner, backend } = await chooseStepRunner({ model, optimizer, batch: BATCH, time: TIME, preference: 'fused', tfjsBackend: wasm, threads: 2 });
    assert.equal(backend.training, 'fused');
    const rng = new SeededRandom(13);
    const data = Int32Array.from({ length: 2000 }, () => rng.nextInt(VOCAB));
    const windows = evaluationWindows(data, BATCH, TIME, 6);
    assert.ok(windows.length === 6 && windows[0].batch === BATCH);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * b;
    try {
      const before = await runner.evaluate(windows);
      assert.ok(close(before, evaluateLoss(model, windows)), `${cell}: ${before} vs tfjs ${evaluateLoss(model, windows)}`);
      let state: RecurrentState | undefined;
      for (let i = 0; i < 3; i++) {
        const outcome = await runner.step(randomWindow(BATCH, TIME, VOCAB, rng), state, { clipMode: 'norm', clipValue: 5, dropoutSeed: 0 });
        disposeState(state);
        state = outcome.finalState;
      }
      disposeState(state);
      // The kernels evaluate their resident parameters; tfjs sees them after a sync.
      const after = await runner.evaluate(windows);
      await runner.sync();
      const reference = evaluateLoss(model, windows);
      assert.ok(close(after, reference), `${cell} after 3 steps: ${after} vs tfjs ${reference}`);
      assert.notEqual(after, before, 'the steps changed the parameters');
      // A validation split too small for the training batch: other window shapes are evaluated by tfjs.
      const small = evaluationWindows(data.subarray(0, 40), BATCH, TIME, 6);
      assert.ok(small.length > 0 && small[0].batch < BATCH);
      assert.ok(close(await runner.evaluate(small), evaluateLoss(model, small)));
    } finally {
      runner.dispose();
      optimizer.dispose();
      model.dispose();
    }
  }
});

test('a run can change paths when resumed: tfjs ops → fused kernels → tfjs ops gives the losses of a run on tfjs ops throughout (Adam moments carried both ways)', async () => {
  const mixed = await startTraining(request({ backend: 'wasm', training: { steps: 4, checkpointEvery: 4 } }));
  assert.equal((await mixed.outcome).status, 'completed');
  assert.equal(mixed.info.backend.training, 'tfjs');
  const second = await resumeTraining({ runDir: mixed.run.dir, steps: 8, backend: 'fused', threads: 2 });
  assert.equal(second.info.backend.training, 'fused');
  assert.equal((await second.outcome).status, 'completed');
  const third = await resumeTraining({ runDir: mixed.run.dir, steps: 12, backend: 'wasm' });
  assert.equal(third.info.backend.training, 'tfjs');
  assert.equal((await third.outcome).status, 'completed');
  const straight = await startTraining(request({ backend: 'wasm', training: { steps: 12, checkpointEvery: 4 } }));
  assert.equal((await straight.outcome).status, 'completed');
  const losses = (run: typeof mixed.run) => run.readMetrics().flatMap((m) => (m.kind === 'step' ? [m.loss] : []));
  const expected = losses(straight.run);
  const actual = losses(mixed.run);
  assert.equal(actual.length, 12);
  // Rounding differs between the paths (1e-7 per operation), nothing else: a lost or reset moment would show at once.
  actual.forEach((loss, i) => assert.ok(Math.abs(loss - expected[i]) <= 1e-4 * expected[i], `step ${i + 1}: ${loss} vs ${expected[i]} on tfjs ops throughout`));
  await assertNoLiveWorkers('runs that changed paths');
});
