import { SeededRandom } from './random';

/** One training window: `batch` rows of `time` token ids, row-major. */
export interface Window {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  time: number;
  /** True on the first window of an epoch: the carried hidden state must start from zero. */
  resetState: boolean;
  epoch: number;
  index: number;
  /** A classifier's batch: per row the number of real tokens (the rest is padding); `targets` then holds one label per row. */
  lengths?: Int32Array;
}

export interface BatchPosition {
  epoch: number;
  window: number;
}

export class BatchingError extends Error {}

/**
 * Truncated-BPTT batching in the char-rnn manner: the token stream is cut into
 * `batchSize` contiguous parallel streams, each read in consecutive windows of
 * `seqLength`, so the hidden state of row b at the end of window w is the right
 * starting state for row b of window w + 1.
 *
 * Layout: with stream length L, row b of window w covers positions
 * offset + b·L + w·T … + T − 1 and its targets are the next positions. Epoch 0
 * starts at offset 0; each later epoch starts at a seeded offset in [0, T) so
 * window boundaries move between epochs (deterministic for a seed).
 */
export class StreamBatcher {
  readonly windowsPerEpoch: number;
  readonly streamLength: number;
  private position: BatchPosition = { epoch: 0, window: 0 };

  constructor(
    private readonly data: Int32Array,
    readonly batchSize: number,
    readonly seqLength: number,
    private readonly seed: number,
  ) {
    if (!(Number.isInteger(batchSize) && batchSize > 0 && Number.isInteger(seqLength) && seqLength > 0)) {
      throw new BatchingError(`batch size and sequence length must be positive whole numbers; got ${batchSize} and ${seqLength}`);
    }
    // Reserve T − 1 tokens for the epoch offset and 1 for the shifted targets.
    const usable = data.length - seqLength;
    this.streamLength = Math.floor(usable / batchSize);
    this.windowsPerEpoch = Math.floor(this.streamLength / seqLength);
    if (this.windowsPerEpoch < 1) {
      throw new BatchingError(
        `the training text has ${data.length} tokens; batch ${batchSize} × sequence ${seqLength} needs at least ${batchSize * seqLength + seqLength}: ` +
          'add files or lower the batch size or sequence length',
      );
    }
  }

  /** Tokens consumed per window (what chars/s counts). */
  get tokensPerWindow(): number {
    return this.batchSize * this.seqLength;
  }

  getPosition(): BatchPosition {
    return { ...this.position };
  }

  setPosition(position: BatchPosition): void {
    if (!(
      Number.isInteger(position.window) &&
      Number.isInteger(position.epoch) &&
      position.window >= 0 &&
      position.window < this.windowsPerEpoch &&
      position.epoch >= 0
    )) {
      throw new BatchingError(`batch position ${JSON.stringify(position)} does not fit this data`);
    }
    this.position = { ...position };
  }

  epochOffset(epoch: number): number {
    if (epoch === 0) return 0;
    return new SeededRandom((this.seed * 2654435761 + epoch * 40503) >>> 0).nextInt(this.seqLength);
  }

  /** The window at the current position; advances the position. */
  next(): Window {
    const { epoch, window } = this.position;
    const result = this.windowAt(epoch, window);
    this.position = window + 1 < this.windowsPerEpoch ? { epoch, window: window + 1 } : { epoch: epoch + 1, window: 0 };
    return result;
  }

  windowAt(epoch: number, window: number): Window {
    const B = this.batchSize;
    const T = this.seqLength;
    const offset = this.epochOffset(epoch);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = offset + b * this.streamLength + window * T;
      inputs.set(this.data.subarray(start, start + T), b * T);
      targets.set(this.data.subarray(start + 1, start + T + 1), b * T);
    }
    return { inputs, targets, batch: B, time: T, resetState: window === 0, epoch, index: window };
  }
}

/**
 * All windows of a held-out stream, for evaluation: the same layout at offset 0,
 * with the batch narrowed when the text is short. Empty when the text holds
 * fewer than `seqLength + 1` tokens.
 */
export function evaluationWindows(data: Int32Array, batchSize: number, seqLength: number, maxWindows = Infinity): Window[] {
  const batch = Math.min(batchSize, Math.floor((data.length - 1) / seqLength));
  if (batch < 1) return [];
  const streamLength = Math.floor((data.length - 1) / batch);
  const count = Math.min(Math.floor(streamLength / seqLength), maxWindows);
  const windows: Window[] = [];
  for (let w = 0; w < count; w++) {
    const inputs = new Int32Array(batch * seqLength);
    const targets = new Int32Array(batch * seqLength);
    for (let b = 0; b < batch; b++) {
      const start = b * streamLength + w * seqLength;
      inputs.set(data.subarray(start, start + seqLength), b * seqLength);
      targets.set(data.subarray(start + 1, start + seqLength + 1), b * seqLength);
    }
    windows.push({ inputs, targets, batch, time: seqLength, resetState: w === 0, epoch: 0, index: w });
  }
  return windows;
}
