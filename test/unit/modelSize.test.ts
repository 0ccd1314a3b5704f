import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatCount, trainingFlopsPerToken } from '../../src/core/modelSize';
import { ASSUMED_FLOPS_PER_SECOND, estimateTraining, formatDuration } from '../../src/core/trainingEstimate';
import { DEFAULT_MODEL, DEFAULT_TRAINING, parameterCount, type ModelSpec } from '../../src/core/spec';
import type { RunInfo } from '../../src/core/runFormat';
import { initBackend } from '../../src/engine/backend';
import { RecurrentModel } from '../../src/engine/model';

const spec = (over: Partial<ModelSpec>): ModelSpec => ({ ...DEFAULT_MODEL, vocabSize: 3, ...over });

test('parameterCount by hand: an LSTM 1×4 on a one-hot vocabulary of 3', () => {
  // kernel 3×16 + recurrent 4×16 + bias 16, output 4×3 + 3
  assert.equal(parameterCount(spec({ cell: 'lstm', layers: 1, hidden: 4 })), 48 + 64 + 16 + 12 + 3);
});

test('parameterCount equals the variables of the model the engine builds, for every cell, depth, input and direction', async () => {
  await initBackend('cpu');
  for (const cell of ['rnn', 'lstm', 'gru'] as const)
    for (const [layers, embedding, bidirectional] of [
      [1, 0, false],
      [2, 5, false],
      [3, 0, true],
      [2, 4, true],
    ] as const) {
      const s = spec({ cell, layers, hidden: 6, embedding, bidirectional, vocabSize: 11 });
      const model = new RecurrentModel(s, 1);
      assert.equal(parameterCount(s), model.parameterCount, JSON.stringify(s));
      model.dispose();
    }
});

test('trainingFlopsPerToken by hand: three times the forward products; one-hot input costs none', () => {
  // RNN 1×2, vocab 3, one-hot: recurrent 2·2·2 = 8, output 2·2·3 = 12; forward 20, training 60
  assert.equal(trainingFlopsPerToken(spec({ cell: 'rnn', layers: 1, hidden: 2 })), 60);
  // LSTM 2×2 with an embedding of 3: layer 0 2·(3+2)·8 = 80, layer 1 2·(2+2)·8 = 64, output 12
  assert.equal(trainingFlopsPerToken(spec({ cell: 'lstm', layers: 2, hidden: 2, embedding: 3 })), 3 * (80 + 64 + 12));
});

function run(model: Partial<ModelSpec>, charsPerSec: number): RunInfo {
  return {
    model: spec({ vocabSize: 100, ...model }),
    training: DEFAULT_TRAINING,
    progress: { step: 10, totalSteps: 10, epoch: 0, charsPerSec },
  } as RunInfo;
}

test('the time estimate uses the last run of the same shape, else the arithmetic rate of recent runs, else an assumed rate', () => {
  const lstm2x128 = spec({ cell: 'lstm', layers: 2, hidden: 128, vocabSize: 100 });
  const training = { steps: 1000, batchSize: 32, seqLength: 64 };
  const same = estimateTraining(lstm2x128, training, [run({ cell: 'lstm', layers: 2, hidden: 128 }, 40_000), run({ cell: 'gru' }, 1)]);
  assert.equal(same.seconds, (1000 * 32 * 64) / 40_000);
  assert.match(same.basis, /last 2×LSTM-128 run/);
  const other = run({ cell: 'rnn', layers: 1, hidden: 256 }, 100_000);
  const scaled = estimateTraining(lstm2x128, training, [other]);
  const rate = 100_000 * trainingFlopsPerToken(other.model);
  assert.ok(Math.abs(scaled.seconds - (1000 * 32 * 64 * trainingFlopsPerToken(lstm2x128)) / rate) < 1e-9);
  assert.match(scaled.basis, /recent runs/);
  const assumed = estimateTraining(lstm2x128, training, []);
  assert.equal(assumed.seconds, (1000 * 32 * 64 * trainingFlopsPerToken(lstm2x128)) / ASSUMED_FLOPS_PER_SECOND);
  assert.match(assumed.basis, /assumed/);
});

test('durations and counts read well', () => {
  assert.deepEqual([0.2, 40, 89, 91, 3600, 5400].map(formatDuration), ['1 s', '40 s', '89 s', '2 min', '60 min', '1 h 30 min']);
  assert.deepEqual([999, 1000, 210_345, 1_600_000, 12_300_000].map(formatCount), ['999', '1k', '210k', '1.6M', '12M']);
});
