import type { Vocabulary } from '../../core/vocabulary';

/** The speed the chart, the dashboard header and the status bar show: steps that ended within this much wall time. */
export const THROUGHPUT_WINDOW_MS = 10_000;

/**
 * Characters per second. `record` returns the speed of the steps that ended in
 * the last THROUGHPUT_WINDOW_MS of wall time (their characters over their
 * step time): one number for every display of a live run, steady where single
 * steps swing by a factor of three on a shared machine. `sessionCharsPerSec`
 * is the average of this session (run.json, the estimates and Compare).
 * Tokens count as the characters they stand for; <unk> as one.
 */
export class ThroughputMeter {
  private readonly charsPerToken: Float64Array;
  private sessionMs = 0;
  private sessionChars = 0;
  /** Steps in the window, oldest first: when each ended, its characters and its time. */
  private recent: { end: number; chars: number; ms: number }[] = [];
  private windowChars = 0;
  private windowMs = 0;

  constructor(
    vocab: Vocabulary,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.charsPerToken = Float64Array.from(vocab.tokens, (t, id) => (id === vocab.unk ? 1 : [...t].length));
  }

  /** Records a step of `ms` over `tokens` that has just ended; returns the speed over the window. */
  record(tokens: Int32Array, ms: number): number {
    let chars = 0;
    for (let i = 0; i < tokens.length; i++) chars += this.charsPerToken[tokens[i]];
    this.sessionMs += ms;
    this.sessionChars += chars;
    const end = this.now();
    this.recent.push({ end, chars, ms });
    this.windowChars += chars;
    this.windowMs += ms;
    while (this.recent.length > 1 && this.recent[0].end < end - THROUGHPUT_WINDOW_MS) {
      const old = this.recent.shift()!;
      this.windowChars -= old.chars;
      this.windowMs -= old.ms;
    }
    if (this.recent.length === 1) [this.windowChars, this.windowMs] = [chars, ms]; // no rounding left over from the sums
    return (this.windowChars / this.windowMs) * 1000;
  }

  get sessionCharsPerSec(): number {
    return (this.sessionChars / this.sessionMs) * 1000;
  }
}
