import { requireLanguageModel } from '../onnx/onnxMetadata';
import { taskOf } from '../../core/spec';
import { resolutionOf } from '../../core/vocabulary';
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
  const scorer = await TextScorer.open(source, options);
  try {
    await scorer.add(text);
    return scorer.result();
  } finally {
    scorer.close();
  }
}

/**
 * Scores a text given in pieces, carrying the model state from piece to piece,
 * so a file of any size is scored in bounded memory. For a character model the
 * pieces may be cut anywhere: the result equals scoring the whole text at once.
 * Token models split text into code tokens, which a cut can divide: give them
 * the whole text in one piece.
 */
export class TextScorer {
  private bits = 0;
  private chars = 0;
  private tokens = 0;
  private unknownTokens = 0;
  private state: OnnxState | undefined;
  /** The input for the next target: the last token of the text so far (the starting newline at first). */
  private previous: number;
  private readonly charsOf: Float64Array;

  private constructor(
    private readonly model: OnnxLanguageModel,
    private readonly window: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    const { vocab } = model;
    const start = vocab.encode('\n');
    this.previous = start.length > 0 ? start[start.length - 1] : vocab.unk;
    this.charsOf = Float64Array.from(vocab.tokens, (t) => [...t].length);
  }

  static async open(source: string, options: ScoreOptions = {}): Promise<TextScorer> {
    const window = options.window ?? 256;
    if (!(Number.isInteger(window) && window > 0)) throw new RangeError(`window must be a positive whole number; got ${window}`);
    const model = await OnnxLanguageModel.open(source);
    if (taskOf(model.spec) !== 'lm') {
      model.close();
      requireLanguageModel(model, model.file, 'score text');
    }
    if (model.spec.bidirectional) {
      model.close();
      throw new OnnxModelError(`${model.file} is bidirectional: it sees each token it would predict, so it cannot score text`);
    }
    return new TextScorer(model, window, options.signal);
  }

  /** The model's resolution: only a 'char' model takes pieces cut anywhere. */
  get resolution(): 'char' | 'token' {
    return resolutionOf(this.model.vocab);
  }

  async add(text: string): Promise<void> {
    const { vocab } = this.model;
    const V = this.model.spec.vocabSize;
    const targets = vocab.encode(text);
    // Inputs are the targets shifted right by one, after the previous piece's last token.
    const inputs = new Int32Array(targets.length);
    if (targets.length === 0) return;
    inputs[0] = this.previous;
    inputs.set(targets.subarray(0, targets.length - 1), 1);
    this.previous = targets[targets.length - 1];
    for (let at = 0; at < targets.length; at += this.window) {
      if (this.signal?.aborted) throw new Error('scoring was stopped');
      const time = Math.min(this.window, targets.length - at);
      const out = await this.model.run(inputs.subarray(at, at + time), 1, time, this.state);
      this.state = out.state;
      for (let t = 0; t < time; t++) {
        const target = targets[at + t];
        if (target === vocab.unk) {
          this.unknownTokens++;
          continue;
        }
        this.bits += negLog2Softmax(out.logits, t * V, V, target);
        this.chars += this.charsOf[target];
        this.tokens++;
      }
    }
  }

  result(): ScoreResult {
    const { bits, chars, tokens, unknownTokens } = this;
    return { bitsPerChar: chars > 0 ? bits / chars : null, bitsPerToken: tokens > 0 ? bits / tokens : null, bits, chars, tokens, unknownTokens };
  }

  close(): void {
    this.model.close();
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
