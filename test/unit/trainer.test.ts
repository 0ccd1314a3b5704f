import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { startTraining, resumeTraining, type TrainRequest } from '../../src/engine/training/trainingRun';
import { CheckpointError, loadCheckpoint } from '../../src/engine/checkpoint';
import { loadRunModel } from '../../src/engine/runModel';
import { sampleText } from '../../src/engine/sampler';
import { DEFAULT_MODEL, DEFAULT_TRAINING } from '../../src/core/spec';
import { uniformLoss } from '../../src/core/units';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { readJsonLines } from '../../src/core/runStore';
import type { GradFlowRecord } from '../../src/core/runFormat';

const dir = tempDir();
const corpus = writeTinyCorpus(dir);

before(async () => {
  await initBackend('wasm');
});

function request(overrides: { model?: Partial<TrainRequest['model']>; training?: Partial<TrainRequest['training']> } = {}): TrainRequest {
  return {
    inputs: [corpus],
    model: { ...DEFAULT_MODEL, layers: 1, hidden: 32, ...overrides.model },
    training: {
      ...DEFAULT_TRAINING,
      seqLength: 16,
      batchSize: 8,
      steps: 10,
      evalEvery: 5,
      sampleEvery: 5,
      checkpointEvery: 5,
      learningRate: 1e-2,
      ...overrides.training,
    },
    outDir: path.join(dir, 'runs'),
    backend: 'wasm',
  };
}

test('an LSTM learns a small repetitive corpus: loss after 150 steps is below a third of ln(vocab)', async () => {
  const started = await startTraining(request({ training: { steps: 150, evalEvery: 50, sampleEvery: 150, checkpointEvery: 150 } }));
  const outcome = await started.outcome;
  assert.equal(outcome.status, 'completed');
  const initial = uniformLoss(started.info.model.vocabSize); // ln(20) ≈ 3.0 nats for this corpus
  const metrics = started.run.readMetrics().filter((m) => m.kind === 'step');
  const lastTen = metrics.slice(-10).reduce((s, m) => s + m.loss, 0) / 10;
  assert.ok(lastTen < initial / 3, `mean loss of the last 10 steps ${lastTen.toFixed(3)} should be < ${(initial / 3).toFixed(3)} (ln V / 3)`);
  assert.ok(metrics[0].loss > initial * 0.8, 'training starts near the uniform loss');
});

test('a training run writes the run folder of docs/architecture.md and leaks no tensors', async () => {
  const before = tf.memory().numTensors;
  const started = await startTraining(request());
  const outcome = await started.outcome;
  assert.equal(outcome.status, 'completed');
  assert.equal(tf.memory().numTensors, before, 'tensor count is back where it started');
  const files = fs.readdirSync(started.run.dir).sort();
  assert.deepEqual(files, ['checkpoints', 'gradflow.jsonl', 'metrics.jsonl', 'model.onnx', 'run.json', 'samples.jsonl', 'vocab.json']);
  const info = started.run.readInfo();
  assert.equal(info.status, 'completed');
  assert.equal(info.progress.step, 10);
  assert.equal(info.backend.name, 'wasm');
  assert.equal(info.checkpoint, path.join('checkpoints', 'step-0000010'));
  const metrics = started.run.readMetrics();
  const steps = metrics.filter((m) => m.kind === 'step');
  assert.deepEqual(
    steps.map((m) => m.step),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  for (const m of steps) {
    assert.ok(m.gradNorm > 0 && m.clippedGradNorm <= Math.min(m.gradNorm, 5) + 1e-9, 'clipped norm never exceeds the threshold or the raw norm');
    assert.ok(m.charsPerSec > 0 && m.lr === 1e-2);
  }
  assert.deepEqual(
    metrics.filter((m) => m.kind === 'eval').map((m) => m.step),
    [5, 10],
  );
  assert.deepEqual(
    started.run.readSamples().map((s) => s.step),
    [5, 10],
  );
  // The gradient-flow probe runs at each evaluation by default: one line per layer, T = seqLength values each.
  const flow = readJsonLines(started.run.file('gradflow.jsonl')) as GradFlowRecord[];
  assert.deepEqual(
    flow.map((r) => [r.step, r.layer]),
    [
      [5, 0],
      [10, 0],
    ],
  );
  for (const r of flow) {
    assert.equal(r.lastLoss.length, 16);
    assert.equal(r.windowLoss.length, 16);
    assert.ok(r.lastLoss.every((v) => v !== null && v >= 0) && r.lastLoss[0]! > 0);
  }
  assert.ok(info.timings.gradFlowMs! > 0, 'the probe time is kept apart from the training time');
});

test('--grad-flow-every sets the probe interval (0: never); resuming drops the lines past the checkpoint', async () => {
  const never = await startTraining(request({ training: { steps: 4, gradFlowEvery: 0 } }));
  await never.outcome;
  assert.ok(!fs.existsSync(never.run.file('gradflow.jsonl')));
  const every3 = await startTraining(request({ model: { layers: 2 }, training: { steps: 8, gradFlowEvery: 3, gradFlowLength: 24, checkpointEvery: 4 } }));
  await every3.outcome;
  const steps = () => (readJsonLines(every3.run.file('gradflow.jsonl')) as GradFlowRecord[]).map((r) => `${r.step}/${r.layer}:${r.lastLoss.length}`);
  assert.deepEqual(steps(), ['3/0:24', '3/1:24', '6/0:24', '6/1:24', '8/0:24', '8/1:24']);
  // Back to step 4 (a checkpoint) as a crash would leave it: resuming trains 5 … 8 again.
  const info = every3.run.readInfo();
  every3.run.writeInfo({ ...info, status: 'failed', checkpoint: path.join('checkpoints', 'step-0000004') });
  const resumed = await resumeTraining({ runDir: every3.run.dir, backend: 'wasm' });
  await resumed.outcome;
  assert.deepEqual(steps(), ['3/0:24', '3/1:24', '6/0:24', '6/1:24', '8/0:24', '8/1:24']);
});

test('gradient-norm clipping caps the applied norm at the threshold', async () => {
  const started = await startTraining(request({ training: { clipMode: 'norm', clipValue: 0.05, steps: 4 } }));
  await started.outcome;
  for (const m of started.run.readMetrics()) {
    if (m.kind !== 'step') continue;
    assert.ok(m.gradNorm > 0.05, 'the raw norm is above this tiny threshold');
    assert.ok(Math.abs(m.clippedGradNorm - 0.05) < 1e-6, `clipped norm ${m.clippedGradNorm} equals τ`);
  }
});

test('clip mode none leaves the norm alone; value mode bounds each element', async () => {
  const none = await startTraining(request({ training: { clipMode: 'none', steps: 3 } }));
  await none.outcome;
  for (const m of none.run.readMetrics()) if (m.kind === 'step') assert.equal(m.clippedGradNorm, m.gradNorm);
  const value = await startTraining(request({ training: { clipMode: 'value', clipValue: 1e-3, steps: 3 } }));
  await value.outcome;
  for (const m of value.run.readMetrics()) {
    if (m.kind !== 'step') continue;
    assert.ok(m.clippedGradNorm < m.gradNorm, 'clamping elements shrinks the norm');
    const parameters = 20 * 128 + 32 * 128 + 128 + 32 * 20 + 20; // upper bound: vocab ≤ 20 one-hot, H=32
    assert.ok(m.clippedGradNorm <= 1e-3 * Math.sqrt(parameters) + 1e-9);
  }
});

test('learning-rate decay multiplies the rate every N steps', async () => {
  const started = await startTraining(request({ training: { steps: 6, lrDecay: 0.5, lrDecayEvery: 2 } }));
  await started.outcome;
  const lrs = started.run.readMetrics().flatMap((m) => (m.kind === 'step' ? [m.lr] : []));
  assert.deepEqual(lrs, [1e-2, 1e-2, 5e-3, 5e-3, 2.5e-3, 2.5e-3]);
});

test('a NaN loss stops the run with a clear message and keeps the last good checkpoint', async () => {
  const started = await startTraining(request({ training: { optimizer: 'sgd', learningRate: 1e38, clipMode: 'none', steps: 50, checkpointEvery: 1 } }));
  const outcome = await started.outcome;
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.message!, /became (NaN|infinite) at step \d+.*Lower the learning rate/);
  const info = started.run.readInfo();
  assert.equal(info.status, 'failed');
  // run.json names the step that was not taken, for the dashboard's marker and the experiments' summary.
  const failedAt = Number(/at step (\d+)/.exec(outcome.message!)![1]);
  assert.equal(info.nonFinite?.step, failedAt);
  assert.equal(info.progress.step, failedAt - 1);
  const loaded = loadCheckpoint(path.join(started.run.dir, info.checkpoint!));
  for (const w of loaded.weights.values()) assert.ok(w.values.every(Number.isFinite), 'checkpointed weights are finite');
  assert.ok(loaded.manifest.step < 50);
});

test('cancellation finishes the step, writes a checkpoint and marks the run cancelled', async () => {
  const controller = new AbortController();
  const started = await startTraining(request({ training: { steps: 1000 } }), { onStep: (r) => r.step === 3 && controller.abort() }, controller.signal);
  const outcome = await started.outcome;
  assert.equal(outcome.status, 'cancelled');
  assert.equal(outcome.info.progress.step, 3);
  assert.equal(started.run.readInfo().checkpoint, path.join('checkpoints', 'step-0000003'));
});

test('resuming from a checkpoint gives the same weights as training straight through', async () => {
  const straight = await startTraining(request({ model: { dropout: 0 }, training: { steps: 8, checkpointEvery: 4 } }));
  await straight.outcome;

  const controller = new AbortController();
  const first = await startTraining(
    request({ model: { dropout: 0 }, training: { steps: 8, checkpointEvery: 4 } }),
    { onStep: (r) => r.step === 4 && controller.abort() },
    controller.signal,
  );
  assert.equal((await first.outcome).status, 'cancelled');
  const resumed = await resumeTraining({ runDir: first.run.dir, backend: 'wasm' });
  assert.equal((await resumed.outcome).status, 'completed');

  const a = loadRunModel(straight.run.dir);
  const b = loadRunModel(first.run.dir);
  const wa = await a.model.readWeights();
  const wb = await b.model.readWeights();
  for (const [name, w] of wa) {
    const other = wb.get(name)!.values;
    const maxDiff = w.values.reduce((m, v, i) => Math.max(m, Math.abs(v - other[i])), 0);
    assert.ok(maxDiff < 1e-6, `${name} differs by ${maxDiff}`);
  }
  const steps = b.run
    .readMetrics()
    .filter((m) => m.kind === 'step')
    .map((m) => m.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8], 'metrics have each step once');
  assert.deepEqual(b.run.readInfo().resumedAt, [4]);
  a.model.dispose();
  b.model.dispose();
});

test('a corrupted checkpoint is refused with a clear message', async () => {
  const started = await startTraining(request({ training: { steps: 2 } }));
  await started.outcome;
  const info = started.run.readInfo();
  const weights = path.join(started.run.dir, info.checkpoint!, 'weights.bin');
  const bytes = fs.readFileSync(weights);
  bytes[10] ^= 0xff;
  fs.writeFileSync(weights, bytes);
  assert.throws(
    () => loadRunModel(started.run.dir),
    (err: Error) => err instanceof CheckpointError && /corrupted/.test(err.message),
  );
  await assert.rejects(resumeTraining({ runDir: started.run.dir, steps: 4, backend: 'wasm' }), /corrupted/);
});

test('sampling is deterministic for a seed, greedy at temperature 0, and never emits <unk>', async () => {
  const started = await startTraining(request({ training: { steps: 30 } }));
  await started.outcome;
  const { model, vocab } = loadRunModel(started.run.dir);
  const a = sampleText(model, vocab, { length: 40, temperature: 1, seed: 7 });
  const b = sampleText(model, vocab, { length: 40, temperature: 1, seed: 7 });
  assert.equal(a, b);
  const g1 = sampleText(model, vocab, { length: 40, temperature: 0, seed: 1 });
  const g2 = sampleText(model, vocab, { length: 40, temperature: 0, seed: 2 });
  assert.equal(g1, g2, 'greedy decoding ignores the seed');
  assert.equal([...a].length, 40);
  assert.ok(!a.includes('\uFFFD'));
  const primed = sampleText(model, vocab, { prime: 'say("☃', length: 5, temperature: 0 });
  assert.equal([...primed].length, 5, 'a prime with an unknown character still samples');
  assert.throws(() => sampleText(model, vocab, { length: -1, temperature: 1 }), /length/);
  assert.throws(() => sampleText(model, vocab, { length: 5, temperature: -1 }), /temperature/);
  model.dispose();
});

for (const cell of ['rnn', 'gru'] as const) {
  test(`a ${cell.toUpperCase()} with 2 layers, embedding and dropout trains and lowers its loss`, async () => {
    const started = await startTraining(
      request({ model: { cell, layers: 2, embedding: 8, dropout: 0.1 }, training: { steps: 60, evalEvery: 60, sampleEvery: 60, checkpointEvery: 60 } }),
    );
    assert.equal((await started.outcome).status, 'completed');
    const losses = started.run.readMetrics().flatMap((m) => (m.kind === 'step' ? [m.loss] : []));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(losses.slice(-10)) < 0.6 * mean(losses.slice(0, 5)), `loss fell from ${mean(losses.slice(0, 5))} to ${mean(losses.slice(-10))}`);
  });
}

test('token resolution trains on code tokens and samples text that round-trips through the vocabulary', async () => {
  const started = await startTraining(request({ training: { resolution: 'token', steps: 20, seqLength: 8 } }));
  assert.equal((await started.outcome).status, 'completed');
  const { model, vocab, info } = loadRunModel(started.run.dir);
  assert.equal(vocab.kind, 'token');
  assert.ok(vocab.tokens.includes('say') && vocab.tokens.includes('log'), 'frequent identifiers are whole tokens');
  assert.ok(info.corpus.trainTokens < info.corpus.characters, 'fewer tokens than characters');
  const text = sampleText(model, vocab, { length: 20, temperature: 1, seed: 3 });
  assert.equal(vocab.decode(vocab.encode(text)), text);
  model.dispose();
});

test('--epochs sets the step count from the data', async () => {
  const started = await startTraining(request({ training: { epochs: 2 } }));
  await started.outcome;
  const info = started.run.readInfo();
  // 4 files × 20 lines ≈ 1,940 characters; batch 8 × seq 16: ⌊(N − 16) / 8 / 16⌋ windows per epoch.
  const windows = Math.floor(Math.floor((info.corpus.trainTokens - 16) / 8) / 16);
  assert.equal(info.training.steps, 2 * windows);
  assert.equal(info.progress.step, 2 * windows);
});

test('a resumed run reads the same files: include and exclude filters are kept in run.json', async () => {
  const filtered = request({ training: { steps: 2 } });
  filtered.include = ['*.js'];
  filtered.exclude = ['file3.js'];
  const started = await startTraining(filtered);
  await started.outcome;
  const info = started.run.readInfo();
  assert.equal(info.corpus.documents, 3);
  assert.deepEqual([info.corpus.include, info.corpus.exclude], [['*.js'], ['file3.js']]);
  const resumed = await resumeTraining({ runDir: started.run.dir, steps: 4, backend: 'wasm' });
  assert.equal((await resumed.outcome).status, 'completed');
  assert.equal(resumed.info.corpus.documents, 3);
});
