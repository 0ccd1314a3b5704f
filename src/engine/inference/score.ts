import { OnnxModelError } from '../onnx/onnxModelError';
import { OnnxLanguageModel, type OnnxState } from './onnxLanguageModel';

export interface ScoreResult {
  /** Mean bits per character of the scored tokens; null when nothing was scored. */
  bitsPerChar: number | null;
  bitsPerToken: number | null;
  /** Total bits over the scored tokens. */
  bits: number;
  /** Characters and tokens scored (unknown tokens left out). */
  chars: number;
  tokens: number;
  /** Tokens outside the model's vocabulary: fed as <unk> for context, not scored (the model cannot name them). */
  unknownTokens: number;
}

export interface ScoreOptions {
  /** Tokens per onnxruntime call; the state is carried from window to window. */
  window?: number;
  signal?: AbortSignal;
}

/**
 * How well a model predicts a text: −log₂ p(token | everything before it),
 * summed and divided by the characters. The model starts after a newline,
 * as at the start of a training document.
 */
export async function scoreText(source: string, text: string, options: ScoreOptions = {}): Promise<ScoreResult> {
  const window = options.window ?? 256;
  if (!(Number.isInteger(window) && window > 0)) throw new RangeError(`window must be a positive whole number; got ${window}`);
  const model = await OnnxLanguageModel.open(source);
  try {
    if (model.spec.bidirectional) throw new OnnxModelError(`${model.file} is bidirectional: it sees each token it would predict, so it cannot score text`);
    const { vocab } = model;
    const V = model.spec.vocabSize;
    const targets = vocab.encode(text);
    const start = vocab.encode('\n');
    // Inputs are the targets shifted right by one, after the newline.
    const inputs = new Int32Array(targets.length);
    if (targets.length > 0) {
      inputs[0] = start.length > 0 ? start[start.length - 1] : vocab.unk;
      inputs.set(targets.subarray(0, targets.length - 1), 1);
    }
    const charsOf = Float64Array.from(vocab.tokens, (t) => [...t].length);

    let bits = 0;
    let chars = 0;
    let tokens = 0;
    let unknownTokens = 0;
    let state: OnnxState | undefined;
    for (let at = 0; at < targets.length; at += window) {
      if (options.signal?.aborted) throw new Error('scoring was stopped');
      const time = Math.min(window, targets.length - at);
      const out = await model.run(inputs.subarray(at, at + time), 1, time, state);
      state = out.state;
      for (let t = 0; t < time; t++) {
        const target = targets[at + t];
        if (target === vocab.unk) {
          unknownTokens++;
          continue;
        }
        bits += negLog2Softmax(out.logits, t * V, V, target);
        chars += charsOf[target];
        tokens++;
      }
    }
    return { bitsPerChar: chars > 0 ? bits / chars : null, bitsPerToken: tokens > 0 ? bits / tokens : null, bits, chars, tokens, unknownTokens };
  } finally {
    model.close();
  }
}

/** −log₂ softmax(row)[target] for the row of `logits` starting at `offset`, in float64. */
export function negLog2Softmax(logits: Float32Array, offset: number, size: number, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < size; i++) max = Math.max(max, logits[offset + i]);
  let sum = 0;
  for (let i = 0; i < size; i++) sum += Math.exp(logits[offset + i] - max);
  return (Math.log(sum) + max - logits[offset + target]) / Math.LN2;
}
