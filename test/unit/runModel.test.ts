/**
 * Loading a trained run back (loadRunModel, resumeTraining) when its files are
 * damaged or do not belong together, and the checkpoint format's round trip.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { startTraining, resumeTraining, type TrainRequest } from '../../src/engine/training/trainingRun';
import { CheckpointError, loadCheckpoint, pruneCheckpoints, restoreOptimizer, restoreState, saveCheckpoint } from '../../src/engine/checkpoint';
import { loadRunModel } from '../../src/engine/runModel';
import { RunStoreError } from '../../src/core/runStore';
import { RecurrentModel, type RecurrentState } from '../../src/engine/model';
import { createOptimizer } from '../../src/engine/training/optimizers';
import { trainStep } from '../../src/engine/training/tfjsStep';
import { disposeState } from '../../src/engine/recurrentState';
import { SeededRandom } from '../../src/core/random';
import { DEFAULT_MODEL, DEFAULT_TRAINING, type ModelSpec } from '../../src/core/spec';
import { Vocabulary, type VocabularyJson } from '../../src/core/vocabulary';
import { tempDir, writeTinyCorpus } from './support/tempDir';

const dir = tempDir();
const corpus = writeTinyCorpus(dir);
let trainedRun: string;
let copies = 0;

function request(): TrainRequest {
  return {
    inputs: [corpus],
    model: { ...DEFAULT_MODEL, layers: 1, hidden: 16 },
    training: { ...DEFAULT_TRAINING, seqLength: 16, batchSize: 4, steps: 5, evalEvery: 5, sampleEvery: 5, checkpointEvery: 5 },
    outDir: path.join(dir, 'runs'),
    backend: 'wasm',
  };
}

before(async () => {
  await initBackend('wasm');
  const started = await startTraining(request());
  assert.equal((await started.outcome).status, 'completed');
  trainedRun = started.run.dir;
});

/** A private copy of the trained run to damage. */
function copyOfRun(): string {
  const copy = path.join(dir, 'copies', `run-${++copies}`);
  fs.cpSync(trainedRun, copy, { recursive: true });
  return copy;
}

function checkpointDir(runDir: string): string {
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { checkpoint: string };
  return path.join(runDir, info.checkpoint);
}

test('an undamaged copy of the run loads (the baseline for the damage below)', () => {
  const loaded = loadRunModel(copyOfRun());
  assert.equal(loaded.step, 5);
  assert.equal(loaded.model.spec.vocabSize, loaded.vocab.size);
  loaded.model.dispose();
});

test('a vocab.json of another size than the checkpoint is refused by loadRunModel and resumeTraining, naming both sizes', async () => {
  const run = copyOfRun();
  const vocabFile = path.join(run, 'vocab.json');
  const vocab = JSON.parse(fs.readFileSync(vocabFile, 'utf8')) as VocabularyJson;
  const size = vocab.tokens.length;
  // Drop one token that is not <unk> (keeping the unk index valid).
  const drop = vocab.unk === size - 1 ? 0 : size - 1;
  const smaller: VocabularyJson = { ...vocab, tokens: vocab.tokens.filter((_, i) => i !== drop), unk: drop < vocab.unk ? vocab.unk - 1 : vocab.unk };
  fs.writeFileSync(vocabFile, JSON.stringify(smaller));
  const namesBothSizes = (err: Error) =>
    err instanceof CheckpointError &&
    /vocabular/.test(err.message) &&
    new RegExp(`\\b${size}\\b`).test(err.message) &&
    new RegExp(`\\b${size - 1}\\b`).test(err.message);
  assert.throws(() => loadRunModel(run), namesBothSizes);
  await assert.rejects(resumeTraining({ runDir: run, steps: 10, backend: 'wasm' }), namesBothSizes);
});

test('a vocab.json of the same size but other tokens is refused as mismatched vocabularies', async () => {
  const run = copyOfRun();
  const vocabFile = path.join(run, 'vocab.json');
  const vocab = JSON.parse(fs.readFileSync(vocabFile, 'utf8')) as VocabularyJson;
  const swapped = [...vocab.tokens];
  [swapped[1], swapped[2]] = [swapped[2], swapped[1]]; // two characters trade ids
  fs.writeFileSync(vocabFile, JSON.stringify({ ...vocab, tokens: swapped }));
  assert.throws(
    () => loadRunModel(run),
    (err: Error) => err instanceof CheckpointError && /mismatched vocabularies/.test(err.message),
  );
  await assert.rejects(resumeTraining({ runDir: run, steps: 10, backend: 'wasm' }), /mismatched vocabularies/);
});

test('a vocab.json that is not valid JSON is refused with a message naming the file', async () => {
  const run = copyOfRun();
  const vocabFile = path.join(run, 'vocab.json');
  fs.writeFileSync(vocabFile, '{"kind": "char", "tokens": [');
  const namesFile = (err: Error) => err instanceof RunStoreError && err.message.includes(vocabFile) && /not valid JSON/.test(err.message);
  assert.throws(() => loadRunModel(run), namesFile);
  await assert.rejects(resumeTraining({ runDir: run, steps: 10, backend: 'wasm' }), namesFile);
});

test('a run folder without run.json is "not an RNN Lab run folder"', async () => {
  const run = copyOfRun();
  fs.unlinkSync(path.join(run, 'run.json'));
  assert.throws(() => loadRunModel(run), /not an RNN Lab run folder/);
  await assert.rejects(resumeTraining({ runDir: run, steps: 10, backend: 'wasm' }), /not an RNN Lab run folder/);
});

test('a checkpoint.json that is not JSON is "corrupted"; JSON of another kind is "not an RNN Lab checkpoint"', async () => {
  const garbage = copyOfRun();
  fs.writeFileSync(path.join(checkpointDir(garbage), 'checkpoint.json'), '\u0000\u0001 garbage ]]');
  const corrupted = (err: Error) => err instanceof CheckpointError && /corrupted/.test(err.message);
  assert.throws(() => loadRunModel(garbage), corrupted);
  await assert.rejects(resumeTraining({ runDir: garbage, steps: 10, backend: 'wasm' }), corrupted);

  const foreign = copyOfRun();
  fs.writeFileSync(path.join(checkpointDir(foreign), 'checkpoint.json'), JSON.stringify({ format: 'keras', version: 1 }));
  const notOurs = (err: Error) => err instanceof CheckpointError && /not an RNN Lab checkpoint/.test(err.message);
  assert.throws(() => loadRunModel(foreign), notOurs);
  await assert.rejects(resumeTraining({ runDir: foreign, steps: 10, backend: 'wasm' }), notOurs);
});

test('a run whose recorded checkpoint folder is missing loads the newest older complete one, and with none left is refused naming it', () => {
  const run = copyOfRun();
  fs.rmSync(checkpointDir(run), { recursive: true });
  const loaded = loadRunModel(run);
  assert.equal(loaded.step, 0, 'the step-0 checkpoint kept beside it');
  loaded.model.dispose();
  fs.rmSync(path.join(run, 'checkpoints', 'step-0000000'), { recursive: true });
  assert.throws(
    () => loadRunModel(run),
    (err: Error) => err instanceof CheckpointError && /its checkpoint checkpoints.step-0000005 is missing and no older one is complete/.test(err.message),
  );
});

/** Plain copies of a state's values. */
function stateValues(state: RecurrentState): { h: Float32Array[]; c: Float32Array[] } {
  return { h: state.h.map((t) => Float32Array.from(t.dataSync())), c: (state.c ?? []).map((t) => Float32Array.from(t.dataSync())) };
}

test('saveCheckpoint then loadCheckpoint round-trips weights, Adam m and v, the iteration count and the carried LSTM state exactly', async () => {
  const spec: ModelSpec = { cell: 'lstm', layers: 2, hidden: 8, embedding: 4, dropout: 0, vocabSize: 9, bidirectional: false };
  const model = new RecurrentModel(spec, 3);
  const optimizer = createOptimizer('adam', 1e-2);
  const rng = new SeededRandom(2);
  const window = () => {
    const [batch, time] = [3, 5];
    return {
      inputs: Int32Array.from({ length: batch * time }, () => rng.nextInt(9)),
      targets: Int32Array.from({ length: batch * time }, () => rng.nextInt(9)),
      batch,
      time,
    };
  };
  const settings = { clipMode: 'norm' as const, clipValue: 5, dropoutSeed: 1 };
  let state: RecurrentState | undefined;
  for (let step = 0; step < 2; step++) {
    const outcome = trainStep(model, optimizer, window(), state, settings);
    assert.ok(outcome.applied);
    disposeState(state);
    state = outcome.finalState;
  }

  const runDir = path.join(dir, 'roundtrip');
  const relative = await saveCheckpoint(runDir, {
    step: 2,
    position: { epoch: 1, window: 3 },
    model,
    vocabulary: Vocabulary.buildChar(['abcdefgh']),
    optimizerName: 'adam',
    optimizer,
    state,
  });
  assert.equal(relative, path.join('checkpoints', 'step-0000002'));
  const loaded = loadCheckpoint(path.join(runDir, relative));

  assert.equal(loaded.manifest.step, 2);
  assert.deepEqual(loaded.manifest.position, { epoch: 1, window: 3 });
  assert.deepEqual(loaded.manifest.model, spec);
  assert.equal(loaded.manifest.optimizer, 'adam');

  const weights = await model.readWeights();
  assert.deepEqual([...loaded.weights.keys()], [...weights.keys()]);
  for (const [name, w] of weights) {
    assert.deepEqual(loaded.weights.get(name)!.shape, w.shape, `${name} shape`);
    assert.deepEqual(loaded.weights.get(name)!.values, w.values, `${name} values`);
  }

  // tfjs Adam: [iter, m for each variable…, v for each variable…], moments named after the variables.
  const live = await optimizer.getWeights();
  assert.equal(loaded.optimizerWeights.length, 1 + 2 * weights.size);
  assert.equal(loaded.optimizerWeights[0].name, 'iter');
  assert.deepEqual(Array.from(loaded.optimizerWeights[0].values), [2], 'two steps were taken');
  const expectedNames = ['iter', ...[...weights.keys()].map((n) => `${n}/m`), ...[...weights.keys()].map((n) => `${n}/v`)];
  assert.deepEqual(
    loaded.optimizerWeights.map((w) => w.name),
    expectedNames,
  );
  for (let i = 1; i < live.length; i++) {
    assert.deepEqual(loaded.optimizerWeights[i].shape, live[i].tensor.shape, `${expectedNames[i]} shape`);
    assert.deepEqual(loaded.optimizerWeights[i].values, Float32Array.from(live[i].tensor.dataSync()), `${expectedNames[i]} values`);
    assert.ok(
      loaded.optimizerWeights[i].values.some((v) => v !== 0),
      `${expectedNames[i]} is not all zero after two steps`,
    );
  }
  live[0].tensor.dispose(); // the iteration scalar is made fresh for the caller

  const carried = stateValues(state!);
  assert.deepEqual(loaded.stateShape, [3, 8]);
  assert.deepEqual(loaded.stateH, carried.h);
  assert.deepEqual(loaded.stateC, carried.c);
  assert.equal(loaded.stateH.length, 2);

  // Restored into fresh objects, the next step matches the original's next step.
  const model2 = new RecurrentModel(spec, 99);
  model2.setWeights(loaded.weights);
  const optimizer2 = createOptimizer('adam', 1e-2);
  await restoreOptimizer(optimizer2, loaded);
  const state2 = restoreState(loaded)!;
  assert.deepEqual(stateValues(state2), carried);
  const next = window();
  const a = trainStep(model, optimizer, next, state, settings);
  const b = trainStep(model2, optimizer2, next, state2, settings);
  assert.equal(a.loss, b.loss, 'the same loss from the restored state');
  const wa = await model.readWeights();
  const wb = await model2.readWeights();
  for (const [name, w] of wa) {
    const other = wb.get(name)!.values;
    const maxDiff = w.values.reduce((m, v, i) => Math.max(m, Math.abs(v - other[i])), 0);
    // Restored Adam recomputes β^t with pow() rather than by repeated products: last-bit differences only.
    assert.ok(maxDiff < 1e-6, `${name} differs by ${maxDiff} after the step following the restore`);
  }
  for (const s of [state, state2, a.finalState, b.finalState]) disposeState(s);
  optimizer.dispose();
  optimizer2.dispose();
  model.dispose();
  model2.dispose();
});

test('a checkpoint saved without a carried state loads with none; saving leaks no tensors; pruneCheckpoints keeps only the named folders', async () => {
  const spec: ModelSpec = { cell: 'gru', layers: 1, hidden: 4, embedding: 0, dropout: 0, vocabSize: 5, bidirectional: false };
  const model = new RecurrentModel(spec, 1);
  const optimizer = createOptimizer('sgd', 0.1);
  const runDir = path.join(dir, 'stateless');
  const start = tf.memory().numTensors;
  for (const step of [1, 2, 3]) {
    await saveCheckpoint(runDir, {
      step,
      position: { epoch: 0, window: step },
      model,
      vocabulary: Vocabulary.buildChar(['abcd']),
      optimizerName: 'sgd',
      optimizer,
      state: undefined,
    });
  }
  assert.equal(tf.memory().numTensors, start, 'saving leaks no tensors');
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'checkpoints')).sort(), ['step-0000001', 'step-0000002', 'step-0000003'], 'no temporary folder left');
  pruneCheckpoints(runDir, [path.join('checkpoints', 'step-0000003'), path.join('checkpoints', 'step-0000002'), undefined]);
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'checkpoints')).sort(), ['step-0000002', 'step-0000003']);
  const loaded = loadCheckpoint(path.join(runDir, 'checkpoints', 'step-0000003'));
  assert.equal(restoreState(loaded), undefined);
  assert.deepEqual(loaded.stateH, []);
  optimizer.dispose();
  model.dispose();
});
