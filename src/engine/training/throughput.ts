import type { Vocabulary } from '../../core/vocabulary';

/**
 * Characters per second: per step (the chart) and over this session (the
 * status bar). Tokens count as the characters they stand for; <unk> as one.
 */
export class ThroughputMeter {
  private readonly charsPerToken: Float64Array;
  private sessionMs = 0;
  private sessionChars = 0;

  constructor(vocab: Vocabulary) {
    this.charsPerToken = Float64Array.from(vocab.tokens, (t, id) => (id === vocab.unk ? 1 : [...t].length));
  }

  /** Records a step of `ms` over `tokens`; returns that step's chars/s. */
  record(tokens: Int32Array, ms: number): number {
    let chars = 0;
    for (let i = 0; i < tokens.length; i++) chars += this.charsPerToken[tokens[i]];
    this.sessionMs += ms;
    this.sessionChars += chars;
    return (chars / ms) * 1000;
  }

  get sessionCharsPerSec(): number {
    return (this.sessionChars / this.sessionMs) * 1000;
  }
}
