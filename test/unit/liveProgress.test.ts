/** The live step of a run in training, in the lists that otherwise show run.json's (the last checkpoint's) step. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { applyLiveStep, checkpointStep } from '../../src/core/liveProgress';
import type { RunInfo } from '../../src/core/runFormat';
import type { RunSummary } from '../../src/core/runIndex';
import { runDescription } from '../../src/core/runLabels';
import { DEFAULT_TRAINING } from '../../src/core/spec';
import { modelDetail } from '../../src/extension/samples/modelChoices';

function run(id: string, status: RunInfo['status'], step: number): RunSummary {
  const info: RunInfo = {
    format: 'rnnlab-run',
    version: 1,
    id,
    status,
    createdAt: '2026-12-05T00:00:00Z',
    updatedAt: '2026-12-05T00:00:00Z',
    model: { cell: 'lstm', layers: 2, hidden: 128, embedding: 0, dropout: 0, vocabSize: 80, bidirectional: false },
    training: { ...DEFAULT_TRAINING, steps: 2000 },
    corpus: {
      inputs: [],
      documents: 1,
      trainDocuments: 1,
      validationDocuments: 0,
      trainTokens: 10,
      validationTokens: 0,
      characters: 10,
      skipped: {},
      skippedExamples: [],
    },
    backend: { name: 'wasm' },
    progress: { step, totalSteps: 2000, epoch: 0 },
    timings: { trainingMs: 1, startedAt: '2026-12-05T00:00:00Z' },
    checkpoint: `checkpoints/step-${String(step).padStart(7, '0')}`,
  };
  return { dir: `/runs/${id}`, id, info };
}

test('the run in training shows the step it reached; other runs, and a step behind run.json, are left alone', () => {
  const runs = [run('a', 'running', 600), run('b', 'completed', 2000)];
  const live = applyLiveStep(runs, { runDir: '/runs/a', step: 785 });
  assert.equal(runDescription(live[0].info!), 'running 785/2000');
  assert.equal(live[1], runs[1], 'the other run is the same object');
  assert.equal(runs[0].info!.progress.step, 600, 'the scanned summary is not changed');
  assert.equal(checkpointStep(live[0].info!), 600, 'its model is still the checkpoint’s');
  assert.equal(applyLiveStep(runs, { runDir: '/runs/a', step: 500 })[0], runs[0], 'an older live step never rolls back run.json');
  assert.equal(applyLiveStep(runs, undefined)[0], runs[0]);
  // A run that finished on disk keeps its final status.
  const done = [run('a', 'completed', 2000)];
  assert.equal(applyLiveStep(done, { runDir: '/runs/a', step: 1990 })[0], done[0]);
});

test('the Samples view says which step a running run’s model is from', () => {
  const [live] = applyLiveStep([run('a', 'running', 600)], { runDir: '/runs/a', step: 785 });
  assert.equal(modelDetail(live.info!), '2×LSTM-128 · running 785/2000 · model of step 600');
  assert.equal(modelDetail(run('b', 'completed', 2000).info!), '2×LSTM-128 · completed');
  assert.equal(checkpointStep({ checkpoint: 'checkpoints\\step-0000042' }), 42, 'a Windows path');
  assert.equal(checkpointStep({}), undefined);
});
