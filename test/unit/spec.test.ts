import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MODEL,
  DEFAULT_TRAINING,
  MAX_HIDDEN,
  MAX_LAYERS,
  type ModelSpec,
  SpecError,
  type TrainingSpec,
  gateCount,
  validateModelSpec,
  validateTrainingSpec,
} from '../../src/core/spec';

const model = (over: Partial<Record<keyof ModelSpec, unknown>> = {}) => ({ ...DEFAULT_MODEL, vocabSize: 65, ...over }) as ModelSpec;
const training = (over: Partial<Record<keyof TrainingSpec, unknown>> = {}) => ({ ...DEFAULT_TRAINING, ...over }) as TrainingSpec;

/** Asserts that `fn` throws a SpecError whose message matches `pattern`. */
function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SpecError, `expected SpecError, got ${err}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('validateModelSpec accepts the defaults and returns the spec', () => {
  const spec = model();
  assert.equal(validateModelSpec(spec), spec);
});

test('validateModelSpec accepts the boundary values', () => {
  assert.equal(MAX_LAYERS, 4);
  assert.equal(MAX_HIDDEN, 2048);
  for (const over of [{ layers: 1 }, { layers: 4 }, { hidden: 1 }, { hidden: 2048 }, { dropout: 0.99 }, { embedding: 32 }, { cell: 'gru' }, { cell: 'rnn' }]) {
    assert.doesNotThrow(() => validateModelSpec(model(over)), JSON.stringify(over));
  }
});

test('validateModelSpec rejects a bad field with a SpecError that names the field', () => {
  rejects(() => validateModelSpec(model({ hidden: 0 })), /^hidden must .*got 0$/);
  rejects(() => validateModelSpec(model({ hidden: 2049 })), /^hidden\b/);
  rejects(() => validateModelSpec(model({ hidden: 1.5 })), /^hidden\b/);
  rejects(() => validateModelSpec(model({ layers: 9 })), /^layers must .*1 to 4; got 9$/);
  rejects(() => validateModelSpec(model({ layers: 0 })), /^layers\b.*got 0$/);
  rejects(() => validateModelSpec(model({ dropout: 1 })), /^dropout\b.*got 1$/);
  rejects(() => validateModelSpec(model({ dropout: -0.1 })), /^dropout\b/);
  rejects(() => validateModelSpec(model({ cell: 'transformer' })), /^cell must be one of rnn, lstm, gru; got "transformer"$/);
  rejects(() => validateModelSpec(model({ embedding: -1 })), /^embedding\b/);
  rejects(() => validateModelSpec(model({ vocabSize: 1 })), /^vocabSize\b/);
  rejects(() => validateModelSpec(model({ bidirectional: 'yes' })), /^bidirectional\b/);
});

test('validateTrainingSpec accepts DEFAULT_TRAINING and returns it', () => {
  assert.equal(validateTrainingSpec(DEFAULT_TRAINING), DEFAULT_TRAINING);
  assert.doesNotThrow(() => validateTrainingSpec(training({ resolution: 'token', epochs: 2.5, clipMode: 'none', optimizer: 'sgd' })));
});

test('validateTrainingSpec rejects bad seq, batch, lr and clip mode, naming the field', () => {
  rejects(() => validateTrainingSpec(training({ seqLength: 0 })), /^seq must .*got 0$/);
  rejects(() => validateTrainingSpec(training({ seqLength: 2.5 })), /^seq\b/);
  rejects(() => validateTrainingSpec(training({ batchSize: 0 })), /^batch must .*got 0$/);
  rejects(() => validateTrainingSpec(training({ batchSize: 5000 })), /^batch\b/);
  rejects(() => validateTrainingSpec(training({ learningRate: 0 })), /^lr must be a positive number; got 0$/);
  rejects(() => validateTrainingSpec(training({ learningRate: -1e-3 })), /^lr must/);
  rejects(() => validateTrainingSpec(training({ learningRate: NaN })), /^lr must/);
  rejects(() => validateTrainingSpec(training({ learningRate: Infinity })), /^lr must/);
  rejects(() => validateTrainingSpec(training({ clipMode: 'clip' })), /^clip mode must be one of norm, value, none; got "clip"$/);
  rejects(() => validateTrainingSpec(training({ clipValue: 0 })), /^clip must/);
  rejects(() => validateTrainingSpec(training({ resolution: 'word' })), /^resolution\b/);
  rejects(() => validateTrainingSpec(training({ optimizer: 'lion' })), /^optimizer\b/);
  rejects(() => validateTrainingSpec(training({ lrDecay: 1.5 })), /^lr decay\b/);
  rejects(() => validateTrainingSpec(training({ epochs: 0 })), /^epochs\b/);
  rejects(() => validateTrainingSpec(training({ validationFraction: 1 })), /^validation fraction\b/);
});

test('gateCount: LSTM 4, GRU 3, vanilla RNN 1', () => {
  assert.equal(gateCount('lstm'), 4);
  assert.equal(gateCount('gru'), 3);
  assert.equal(gateCount('rnn'), 1);
});
