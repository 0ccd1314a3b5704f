import * as tf from './tfjs';
import { SeededRandom } from '../core/random';
import { MAX_GENERATE_LENGTH } from '../protocol/limits';
import type { Vocabulary } from '../core/vocabulary';
import type { RecurrentModel, RecurrentState } from './model';
import { disposeState, keepState } from './recurrentState';

export interface SampleOptions {
  prime?: string;
  length: number;
  /** 0 picks the most likely token every time (greedy). */
  temperature: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  seed?: number;
  /** Called with each generated piece of text as it is produced. */
  onText?: (text: string) => void;
}

export class SampleError extends Error {}

/** Longest generation in tokens (the same bound for every side). */
export const MAX_SAMPLE_LENGTH = MAX_GENERATE_LENGTH;

export function validateSampleOptions(o: SampleOptions): void {
  if (!Number.isInteger(o.length) || o.length < 0 || o.length > MAX_SAMPLE_LENGTH) {
    throw new SampleError(`length must be an integer from 0 to ${MAX_SAMPLE_LENGTH}; got ${o.length}`);
  }
  if (!(o.temperature >= 0 && o.temperature <= 100)) throw new SampleError(`temperature must be from 0 to 100; got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw new SampleError(`top-k must be a whole number ≥ 0; got ${o.topK}`);
}

/** Scratch arrays for pickToken, grown to the largest vocabulary seen: it runs for every token of every stream. */
let scratchIds = new Int32Array(0);
let scratchWeights = new Float64Array(0);

/**
 * Picks a token id from logits: softmax(logits / T), restricted to the top k,
 * drawn with `rng`. Pure JavaScript on one row, so it is exact and seedable:
 * the candidates in id order (or by falling logit for top-k, ties by id), the
 * weights exp((logit − max) / T) in float64, their sum in that order, and the
 * first candidate where one draw, scaled by the sum, runs out.
 */
export function pickToken(logits: ArrayLike<number>, temperature: number, topK: number, rng: SeededRandom, exclude?: number): number {
  const n = logits.length;
  if (temperature === 0) {
    let best = -1;
    for (let i = 0; i < n; i++) if (i !== exclude && (best < 0 || logits[i] > logits[best])) best = i;
    return best;
  }
  if (scratchIds.length < n) {
    scratchIds = new Int32Array(n);
    scratchWeights = new Float64Array(n);
  }
  let count = 0;
  for (let i = 0; i < n; i++) if (i !== exclude) scratchIds[count++] = i;
  if (topK > 0 && topK < count) {
    const top = Array.from(scratchIds.subarray(0, count)).sort((a, b) => logits[b] - logits[a] || a - b);
    for (let k = 0; k < topK; k++) scratchIds[k] = top[k];
    count = topK;
  }
  let max = -Infinity;
  for (let k = 0; k < count; k++) max = Math.max(max, logits[scratchIds[k]]);
  let total = 0;
  for (let k = 0; k < count; k++) {
    scratchWeights[k] = Math.exp((logits[scratchIds[k]] - max) / temperature);
    total += scratchWeights[k];
  }
  let r = rng.next() * total;
  for (let k = 0; k < count; k++) {
    r -= scratchWeights[k];
    if (r <= 0) return scratchIds[k];
  }
  return scratchIds[count - 1];
}

/**
 * Generates text from a tfjs model token by token, the hidden state carried
 * through. The prime text is fed first (unknown characters become `<unk>`);
 * without one, generation starts after a newline.
 */
export function sampleText(model: RecurrentModel, vocab: Vocabulary, options: SampleOptions): string {
  validateSampleOptions(options);
  const rng = new SeededRandom(options.seed ?? 1);
  const primeIds = Array.from(vocab.encode(options.prime || '\n'));
  if (primeIds.length === 0) primeIds.push(vocab.unk);
  let state: RecurrentState | undefined;
  let logits = runTokens(model, primeIds, undefined, (s) => (state = s));
  let text = '';
  for (let i = 0; i < options.length; i++) {
    // Never emit <unk>: it is a placeholder for unseen input, not text.
    const id = pickToken(logits, options.temperature, options.topK ?? 0, rng, vocab.unk);
    const piece = vocab.textOf(id);
    text += piece;
    options.onText?.(piece);
    const previous: RecurrentState | undefined = state;
    logits = runTokens(model, [id], previous, (s) => (state = s));
    disposeState(previous);
  }
  disposeState(state);
  return text;
}

/** Feeds ids through the model; returns the last position's logits and hands over the final state. */
function runTokens(model: RecurrentModel, ids: number[], state: RecurrentState | undefined, setState: (s: RecurrentState) => void): Float32Array {
  return tf.tidy(() => {
    const result = model.forward(tf.tensor2d([ids], [1, ids.length], 'int32'), state);
    setState(keepState(result.finalState));
    const vocabSize = result.logits.shape[1];
    return tf.slice(result.logits, [ids.length - 1, 0], [1, vocabSize]).dataSync() as Float32Array;
  });
}
