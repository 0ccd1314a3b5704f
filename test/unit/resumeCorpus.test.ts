/**
 * Stopping and resuming as the user sees it: a stop says the step it reached and
 * that a checkpoint holds it; resuming reads the files the run read, so files
 * that appeared since (an exported model in the corpus folder, a new source
 * file) are neither trained on nor reported as skipped.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { resumeTraining, startTraining, type TrainRequest } from '../../src/engine/training/trainingRun';
import { DEFAULT_MODEL, DEFAULT_TRAINING } from '../../src/core/spec';
import { runDescription } from '../../src/core/runLabels';
import { tempDir, writeTinyCorpus } from './support/tempDir';

const dir = tempDir();
const corpus = writeTinyCorpus(dir);

before(async () => {
  await initBackend('wasm');
});

const request: TrainRequest = {
  inputs: [corpus],
  model: { ...DEFAULT_MODEL, layers: 1, hidden: 16 },
  training: { ...DEFAULT_TRAINING, seqLength: 16, batchSize: 4, steps: 8, evalEvery: 4, sampleEvery: 100, checkpointEvery: 100, gradFlowEvery: 0 },
  outDir: path.join(dir, 'runs'),
  backend: 'wasm',
};

test('a stop says "Stopped at step N (checkpoint saved)"; resuming ignores files that appeared since', async () => {
  const controller = new AbortController();
  const started = await startTraining(request, { onStep: (r) => r.step === 3 && controller.abort() }, controller.signal);
  const outcome = await started.outcome;
  assert.equal(outcome.status, 'cancelled');
  assert.equal(outcome.message, 'Stopped at step 3 (checkpoint saved)');
  const info = started.run.readInfo();
  assert.equal(info.checkpoint, path.join('checkpoints', 'step-0000003'), 'the step it names is saved');
  assert.ok(fs.existsSync(path.join(started.run.dir, info.checkpoint, 'weights.bin')));
  assert.equal(runDescription(info), 'stopped at step 3');
  assert.deepEqual(info.corpus.files, ['file0.js', 'file1.js', 'file2.js', 'file3.js'], 'run.json records the files read');

  // Since the stop: an exported model (binary: it would be skipped) and a new source file in the corpus folder.
  fs.writeFileSync(path.join(corpus, 'model.onnx'), Buffer.from([8, 0, 1, 2, 0, 0, 3]));
  fs.writeFileSync(path.join(corpus, 'later.js'), 'log("new file");\n'.repeat(30));
  const resumed = await resumeTraining({ runDir: started.run.dir, backend: 'wasm' });
  assert.equal(resumed.skippedSummary, '', 'nothing reported as skipped');
  const end = await resumed.outcome;
  assert.equal(end.status, 'completed', end.message);
  const after = started.run.readInfo();
  assert.equal(after.progress.step, 8);
  assert.deepEqual(after.corpus.files, info.corpus.files, 'the same files, the new one not added');
  assert.equal(after.corpus.fingerprint, info.corpus.fingerprint);
});

test('a run started on the same folder now reads and reports the new files', async () => {
  const started = await startTraining({ ...request, training: { ...request.training, steps: 1 } });
  await started.outcome;
  assert.ok(started.info.corpus.files!.includes('later.js'));
  assert.match(started.skippedSummary, /1 binary/);
});
