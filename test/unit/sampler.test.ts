/**
 * Token picking and sampling options, checked against the softmax
 * probabilities worked out by hand. pickToken is plain JavaScript; sampleText
 * runs a model on wasm whose output layer is set by hand.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MAX_SAMPLE_LENGTH, SampleError, pickToken, sampleText, validateSampleOptions, type SampleOptions } from '../../src/engine/sampler';
import { initBackend } from '../../src/engine/backend';
import { RecurrentModel } from '../../src/engine/model';
import * as tf from '../../src/engine/tfjs';
import { SeededRandom } from '../../src/core/random';
import { Vocabulary } from '../../src/core/vocabulary';

before(async () => {
  await initBackend('wasm');
});

/** Frequencies of each id over `draws` picks. */
function frequencies(logits: number[], temperature: number, topK: number, draws: number, seed: number): number[] {
  const rng = new SeededRandom(seed);
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[pickToken(logits, temperature, topK, rng)]++;
  return counts.map((c) => c / draws);
}

function assertFrequencies(actual: number[], expected: number[], tol: number, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${what}: id ${i} drawn with frequency ${actual[i].toFixed(4)}, expected ${expected[i].toFixed(4)} ± ${tol}`,
    );
  }
}

const LOGITS = [0, Math.log(2), Math.log(3)]; // softmax = [1, 2, 3] / 6

test('temperature 0 returns the argmax whatever the seed', () => {
  const logits = [0.1, -3, 2.5, 2.4, 0];
  for (let seed = 0; seed < 20; seed++) assert.equal(pickToken(logits, 0, 0, new SeededRandom(seed)), 2);
  assert.equal(pickToken([-5, -1, -2], 0, 0, new SeededRandom(1)), 1, 'all-negative logits');
});

test('temperature 0 never returns the excluded id: the next best instead', () => {
  const logits = [0.1, -3, 2.5, 2.4, 0];
  assert.equal(pickToken(logits, 0, 0, new SeededRandom(1), 2), 3);
  assert.equal(pickToken([9, 1, 2], 0, 0, new SeededRandom(1), 0), 2);
});

test('sampling at temperature > 0 never returns the excluded id, even when it is by far the most likely', () => {
  const rng = new SeededRandom(3);
  for (let i = 0; i < 2000; i++) assert.notEqual(pickToken([20, 0, 0, 0], 1, 0, rng, 0), 0);
});

test('top-k = 1 equals the argmax at any temperature', () => {
  const logits = [0.3, 1.7, -0.2, 1.69, 0.9];
  const rng = new SeededRandom(5);
  for (const temperature of [0.01, 0.5, 1, 2, 10, 100]) {
    for (let i = 0; i < 200; i++) assert.equal(pickToken(logits, temperature, 1, rng), 1, `temperature ${temperature}`);
  }
});

test('logits [0, ln 2, ln 3] at T=1 are drawn with frequencies ≈ [1/6, 2/6, 3/6] over 30,000 draws', () => {
  assertFrequencies(frequencies(LOGITS, 1, 0, 30_000, 1), [1 / 6, 2 / 6, 3 / 6], 0.02, 'T=1');
});

test('at T=0.5 the same logits are drawn ∝ [1, 4, 9] (probabilities squared)', () => {
  // exp(logit / 0.5) = exp(2 logit) = [1, 4, 9]; total 14.
  assertFrequencies(frequencies(LOGITS, 0.5, 0, 30_000, 2), [1 / 14, 4 / 14, 9 / 14], 0.02, 'T=0.5');
});

test('at T=2 the same logits are drawn ∝ [1, √2, √3] (flattened)', () => {
  const w = [1, Math.SQRT2, Math.sqrt(3)];
  const total = w[0] + w[1] + w[2];
  assertFrequencies(
    frequencies(LOGITS, 2, 0, 30_000, 3),
    w.map((x) => x / total),
    0.02,
    'T=2',
  );
});

test('top-k = 2 never picks the least likely token and renormalises the other two to [2/5, 3/5]', () => {
  const f = frequencies(LOGITS, 1, 2, 30_000, 4);
  assert.equal(f[0], 0, 'the smallest logit is never drawn');
  assertFrequencies(f, [0, 2 / 5, 3 / 5], 0.02, 'top-2');
});

test('sampling is deterministic for a seed', () => {
  const draw = (seed: number) => {
    const rng = new SeededRandom(seed);
    return Array.from({ length: 50 }, () => pickToken(LOGITS, 1, 0, rng));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

function rejects(options: SampleOptions, field: RegExp): void {
  assert.throws(
    () => validateSampleOptions(options),
    (err: Error) => err instanceof SampleError && field.test(err.message),
    `${JSON.stringify(options)} should be rejected naming ${field}`,
  );
}

test('validateSampleOptions rejects a bad length with a message naming the length', () => {
  rejects({ length: -1, temperature: 1 }, /length/);
  rejects({ length: 10_000_000, temperature: 1 }, /length/);
  rejects({ length: MAX_SAMPLE_LENGTH + 1, temperature: 1 }, /length/);
  rejects({ length: 2.5, temperature: 1 }, /length/);
  rejects({ length: NaN, temperature: 1 }, /length/);
});

test('validateSampleOptions rejects a negative or NaN temperature with a message naming the temperature', () => {
  rejects({ length: 5, temperature: -1 }, /temperature/);
  rejects({ length: 5, temperature: NaN }, /temperature/);
});

test('validateSampleOptions rejects a fractional or negative top-k with a message naming top-k', () => {
  rejects({ length: 5, temperature: 1, topK: 1.5 }, /top-k/);
  rejects({ length: 5, temperature: 1, topK: -1 }, /top-k/);
});

test('validateSampleOptions accepts the boundaries: length 0 and MAX_SAMPLE_LENGTH, temperature 0, top-k 0', () => {
  validateSampleOptions({ length: 0, temperature: 0 });
  validateSampleOptions({ length: MAX_SAMPLE_LENGTH, temperature: 1, topK: 0 });
  validateSampleOptions({ length: 10, temperature: 0.7, topK: 40 });
});

/**
 * A model whose logits are `bias` at every step whatever the input (zero
 * output kernel), over the character vocabulary <unk>, a, b, c.
 */
async function constantModel(bias: number[]): Promise<{ model: RecurrentModel; vocab: Vocabulary }> {
  const vocab = Vocabulary.fromJSON({ kind: 'char', tokens: ['<unk>', 'a', 'b', 'c'], unk: 0 });
  const model = new RecurrentModel({ cell: 'gru', layers: 1, hidden: 4, embedding: 0, dropout: 0, vocabSize: 4, bidirectional: false }, 1);
  const weights = await model.readWeights();
  weights.set('output/kernel', { shape: [4, 4], values: new Float32Array(16) });
  weights.set('output/bias', { shape: [4], values: Float32Array.from(bias) });
  model.setWeights(weights);
  return { model, vocab };
}

test('sampleText at temperature 0 repeats the most likely character, skipping <unk> even when it is the most likely', async () => {
  const { model, vocab } = await constantModel([5, 1, 3, 2]); // <unk> highest, then b
  const start = tf.memory().numTensors;
  const pieces: string[] = [];
  assert.equal(sampleText(model, vocab, { length: 12, temperature: 0, prime: 'ab', onText: (t) => pieces.push(t) }), 'b'.repeat(12));
  assert.deepEqual(pieces, Array(12).fill('b'), 'onText sees each piece');
  assert.equal(sampleText(model, vocab, { length: 0, temperature: 1 }), '');
  assert.equal(tf.memory().numTensors, start, 'sampling leaks no tensors');
  model.dispose();
});

test('sampleText draws characters with the softmax frequencies of the logits: [ln 1, ln 2, ln 3] → a, b, c ≈ 1/6, 2/6, 3/6', async () => {
  const { model, vocab } = await constantModel([-30, 0, Math.log(2), Math.log(3)]);
  const text = sampleText(model, vocab, { length: 3000, temperature: 1, seed: 5 });
  const freq = (ch: string) => [...text].filter((c) => c === ch).length / text.length;
  assertFrequencies(['a', 'b', 'c'].map(freq), [1 / 6, 2 / 6, 3 / 6], 0.03, 'sampled text');
  assert.equal(sampleText(model, vocab, { length: 50, temperature: 1, seed: 5 }), text.slice(0, 50), 'the same seed gives the same text');
  model.dispose();
});

/** pickToken as first written, straight from its definition (arrays, filter, sort, reduce): the reference for the fast one. */
function pickTokenByDefinition(logits: ArrayLike<number>, temperature: number, topK: number, rng: SeededRandom, exclude?: number): number {
  const ids = Array.from({ length: logits.length }, (_, i) => i).filter((i) => i !== exclude);
  if (temperature === 0) return ids.reduce((best, i) => (logits[i] > logits[best] ? i : best), ids[0]);
  let candidates = ids;
  if (topK > 0 && topK < ids.length) candidates = [...ids].sort((a, b) => logits[b] - logits[a]).slice(0, topK);
  const max = Math.max(...candidates.map((i) => logits[i]));
  const weights = candidates.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng.next() * total;
  for (let k = 0; k < candidates.length; k++) {
    r -= weights[k];
    if (r <= 0) return candidates[k];
  }
  return candidates[candidates.length - 1];
}

test('pickToken picks exactly what its definition picks, for any temperature, top-k, exclusion and ties', () => {
  const data = new SeededRandom(17);
  for (let trial = 0; trial < 300; trial++) {
    const size = 2 + Math.floor(data.next() * 150);
    // Some rows with ties (logits rounded to a coarse grid), the rest spread.
    const coarse = trial % 3 === 0;
    const logits = Float32Array.from({ length: size }, () => (coarse ? Math.round(data.next() * 4) : (data.next() - 0.5) * 20));
    const temperature = [0, 0.05, 0.8, 1, 3, 100][trial % 6];
    const topK = [0, 1, 3, size - 1, size + 5][trial % 5];
    const exclude = trial % 4 === 0 ? undefined : Math.floor(data.next() * size);
    const fast = new SeededRandom(trial);
    const reference = new SeededRandom(trial);
    for (let draw = 0; draw < 20; draw++) {
      assert.equal(pickToken(logits, temperature, topK, fast, exclude), pickTokenByDefinition(logits, temperature, topK, reference, exclude), `trial ${trial}`);
    }
  }
});
