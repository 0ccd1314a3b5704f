import { SeededRandom } from '../../core/random';
import { OnnxModelError } from '../onnx/onnxModelError';
import { pickToken, validateSampleOptions } from '../sampler';
import { OnnxLanguageModel, type OnnxState } from './onnxLanguageModel';

export interface GenerateOptions {
  /** Text to start from; characters outside the vocabulary are fed as <unk>. Default: a newline. */
  prime?: string;
  /** Tokens to generate (0 to MAX_SAMPLE_LENGTH). */
  length: number;
  /** 0 picks the most likely token every time. */
  temperature: number;
  /** Draw only among the k most likely tokens (0 = all). */
  topK?: number;
  seed?: number;
}

export interface GenerateResult {
  text: string;
  tokens: number;
  /** Generated characters per second of the token loop (the prime and session load excluded). */
  charsPerSec: number;
  /** True when the signal stopped it early; `text` holds what was generated until then. */
  stopped: boolean;
}

/** The prime is fed in windows of this many tokens (bounded memory for a long prime). */
const PRIME_WINDOW = 256;
/** Give the event loop a turn this often, so a stop request or a training step gets through. */
const YIELD_EVERY_MS = 20;

/**
 * Generates text from an exported model (a run folder or an RNN Lab .onnx
 * file) token by token, the state carried from hN to h0, each piece handed to
 * `onText` as it is made. The same choices as the tfjs sampler (pickToken,
 * seeded the same way), so both give the same text for the same weights;
 * <unk> is never emitted.
 */
export async function generate(source: string, options: GenerateOptions, onText?: (piece: string) => void, signal?: AbortSignal): Promise<GenerateResult> {
  validateSampleOptions({ ...options });
  const model = await OnnxLanguageModel.open(source);
  try {
    if (model.spec.bidirectional) {
      throw new OnnxModelError(`${model.file} is bidirectional: it reads each sequence backwards too, so it cannot generate text one token at a time`);
    }
    const { vocab } = model;
    const V = model.spec.vocabSize;
    const rng = new SeededRandom(options.seed ?? 1);
    const prime = Array.from(vocab.encode(options.prime || '\n'));
    if (prime.length === 0) prime.push(vocab.unk);

    let state: OnnxState | undefined;
    let logits: Float32Array = new Float32Array(0);
    for (let at = 0; at < prime.length; at += PRIME_WINDOW) {
      if (signal?.aborted) return { text: '', tokens: 0, charsPerSec: 0, stopped: true };
      const chunk = prime.slice(at, at + PRIME_WINDOW);
      const out = await model.run(chunk, 1, chunk.length, state);
      state = out.state;
      logits = out.logits.subarray((chunk.length - 1) * V);
    }

    let text = '';
    let chars = 0;
    let tokens = 0;
    let stopped = false;
    const started = performance.now();
    let lastYield = started;
    while (tokens < options.length) {
      if (signal?.aborted) {
        stopped = true;
        break;
      }
      const id = pickToken(logits, options.temperature, options.topK ?? 0, rng, vocab.unk);
      const piece = vocab.textOf(id);
      text += piece;
      chars += [...piece].length;
      tokens++;
      onText?.(piece);
      if (tokens === options.length) break; // the next token's logits are not needed
      const out = await model.run([id], 1, 1, state);
      state = out.state;
      logits = out.logits;
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return { text, tokens, charsPerSec: seconds > 0 ? chars / seconds : 0, stopped };
  } finally {
    model.close();
  }
}
