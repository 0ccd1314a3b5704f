import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_TRAINING, type ModelSpec } from '../../src/core/spec';
import { estimateTrainingMemory } from '../../src/engine/training/memoryEstimate';

const training = { ...DEFAULT_TRAINING, batchSize: 32, seqLength: 256 };
const base: ModelSpec = { cell: 'lstm', layers: 1, hidden: 64, embedding: 32, dropout: 0, bidirectional: false, vocabSize: 20_000 };

test('memory estimate on tfjs ops: the logits of a word-sized vocabulary per step for a language model, a few classes per sequence for a classifier', () => {
  const lm = estimateTrainingMemory(base, training, 'wasm');
  const classifier = estimateTrainingMemory({ ...base, task: 'classify', classes: 6, pooling: 'mean' }, training, 'wasm');
  const tagger = estimateTrainingMemory({ ...base, task: 'tag', classes: 6 }, training, 'wasm');
  // By hand: 8192 rows × (32 input + 64 × 7 states and gates) floats, twice; the parameters five times.
  const params = 20_000 * 32 + 4 * 64 * (32 + 64 + 1);
  const states = 8192 * (32 + 64 * 7) * 4 * 2;
  assert.equal(classifier.bytes, states + 32 * 3 * 6 * 4 * 2 + (params + 64 * 6 + 6) * 4 * 5);
  assert.equal(tagger.bytes, 8192 * (32 + 64 * 7 + 3 * 6) * 4 * 2 + (params + 64 * 6 + 6) * 4 * 5);
  assert.equal(lm.bytes, 8192 * (32 + 64 * 7 + 3 * 20_000) * 4 * 2 + (params + 64 * 20_000 + 20_000) * 4 * 5);
  assert.ok(classifier.bytes < 2 ** 30 && lm.bytes > 3 * 2 ** 30, `${classifier.bytes} ${lm.bytes}`);
});
