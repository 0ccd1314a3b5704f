import type { ModelPrecision } from '../../core/precision';
import { SeededRandom } from '../../core/random';
import { MAX_GENERATE_COUNT } from '../../protocol/limits';
import { SampleError, pickToken, validateSampleOptions } from '../sampler';
import type * as ort from 'onnxruntime-node';
import { GenerationModel, repeatState } from './generationModel';

export interface GenerateOptions {
  /** Text to start from; characters outside the vocabulary are fed as <unk>. Default: a newline. */
  prime?: string;
  /** Tokens to generate per continuation (0 to MAX_SAMPLE_LENGTH). */
  length: number;
  /** 0 picks the most likely token every time. */
  temperature: number;
  /** Draw only among the k most likely tokens (0 = all). */
  topK?: number;
  seed?: number;
  /** Continuations of the prime, generated together in one batch (1 to MAX_GENERATE_COUNT); continuation i draws with seed + i. */
  count?: number;
  /** `int8` runs the model quantized (a float file is quantized in memory); otherwise as the file stores it. */
  precision?: ModelPrecision;
}

export interface GenerateResult {
  /** One text per continuation, continuation i drawn with seed + i. */
  texts: string[];
  /** Tokens generated per continuation. */
  tokens: number;
  /** Generated characters per second over all continuations (the prime and session load excluded). */
  charsPerSec: number;
  /** True when the signal stopped it early; `texts` hold what was generated until then. */
  stopped: boolean;
  /** What the model ran at. */
  precision: ModelPrecision;
}

/** Called once per step with each continuation's new piece of text (index i: continuation i). */
export type OnPieces = (pieces: readonly string[]) => void;

/** The prime is fed in windows of this many tokens (bounded memory for a long prime). */
const PRIME_WINDOW = 256;
/** Give the event loop a turn this often, so a stop request or a training step gets through. */
const YIELD_EVERY_MS = 20;

/**
 * Generates text from an exported model (a run folder or an RNN Lab .onnx
 * file) token by token, the state carried from hN to h0, each step's pieces
 * handed to `onPieces` as they are made. Several continuations run as one
 * batch: the prime is read once and its state repeated, then every call
 * advances all of them, so N continuations cost little more than one. Each
 * draws with its own SeededRandom(seed + i) and the tfjs sampler's choices
 * (pickToken), so continuation i is the text a single generation with seed + i
 * gives; <unk> is never emitted.
 */
export async function generate(source: string, options: GenerateOptions, onPieces?: OnPieces, signal?: AbortSignal): Promise<GenerateResult> {
  validateGenerateOptions(options);
  const count = options.count ?? 1;
  const model = await GenerationModel.open(source, options.precision);
  try {
    const primed = await readPrime(model, options.prime, signal);
    const empty = { texts: new Array<string>(count).fill(''), tokens: 0, charsPerSec: 0, stopped: true, precision: model.precision };
    if (!primed) return empty;
    return await continueFrom(model, primed, { ...options, count }, onPieces, signal);
  } finally {
    model.close();
  }
}

/** Refuses what the engine cannot do, with the sampler's messages (the CLI names its flags after them). */
export function validateGenerateOptions(options: GenerateOptions): void {
  validateSampleOptions({ ...options });
  const count = options.count ?? 1;
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_GENERATE_COUNT))
    throw new SampleError(`count must be a whole number from 1 to ${MAX_GENERATE_COUNT}; got ${count}`);
}

/** The state after the prime and the logits of its last token. */
interface Primed {
  state: ort.Tensor;
  logits: Float32Array<ArrayBufferLike>;
}

/** Runs the prime (batch 1); the state after it and the logits of its last token, or undefined when stopped. */
async function readPrime(model: GenerationModel, text: string | undefined, signal?: AbortSignal): Promise<Primed | undefined> {
  const V = model.spec.vocabSize;
  const prime = Array.from(model.vocab.encode(text || '\n'));
  if (prime.length === 0) prime.push(model.vocab.unk);
  let state = model.zeroState(1);
  let logits: Float32Array<ArrayBufferLike> = new Float32Array(0);
  for (let at = 0; at < prime.length; at += PRIME_WINDOW) {
    if (signal?.aborted) return undefined;
    const chunk = prime.slice(at, at + PRIME_WINDOW);
    const out = await model.run(chunk, 1, chunk.length, state);
    state = out.state;
    logits = out.logits.subarray((chunk.length - 1) * V);
  }
  return { state, logits };
}

/** The token loop: pick one token per continuation, hand out the pieces, step all continuations at once. */
async function continueFrom(
  model: GenerationModel,
  primed: Primed,
  options: GenerateOptions & { count: number },
  onPieces: OnPieces | undefined,
  signal: AbortSignal | undefined,
): Promise<GenerateResult> {
  const { vocab } = model;
  const { count, temperature, length } = options;
  const V = model.spec.vocabSize;
  const topK = options.topK ?? 0;
  const rngs = Array.from({ length: count }, (_, i) => new SeededRandom((options.seed ?? 1) + i));
  const stepper = model.stepper(count, repeatState(primed.state, count));
  const charsOf = Float64Array.from(vocab.tokens, (t) => [...t].length);
  const texts = new Array<string>(count).fill('');
  const ids = new Int32Array(count);
  const pieces = new Array<string>(count);
  let logits: Float32Array<ArrayBufferLike> = primed.logits; // one row, shared by every continuation before the first step
  let chars = 0;
  let tokens = 0;
  let stopped = false;
  const started = performance.now();
  let lastYield = started;
  while (tokens < length) {
    if (signal?.aborted) {
      stopped = true;
      break;
    }
    for (let b = 0; b < count; b++) {
      const row = logits.length === V ? logits : logits.subarray(b * V, (b + 1) * V);
      ids[b] = pickToken(row, temperature, topK, rngs[b], vocab.unk);
      pieces[b] = vocab.textOf(ids[b]);
      texts[b] += pieces[b];
      chars += charsOf[ids[b]];
    }
    tokens++;
    onPieces?.(pieces);
    if (tokens === length) break; // the next token's logits are not needed
    logits = await stepper.step(ids);
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { texts, tokens, charsPerSec: seconds > 0 ? chars / seconds : 0, stopped, precision: model.precision };
}
