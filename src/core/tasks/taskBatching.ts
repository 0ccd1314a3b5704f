import { BatchingError, type BatchPosition, type Window } from '../batching';
import { SeededRandom } from '../random';

/** What the training loop reads windows from: the language model's StreamBatcher, or a task's batcher below. */
export interface WindowSource {
  readonly windowsPerEpoch: number;
  next(): Window;
  getPosition(): BatchPosition;
  setPosition(position: BatchPosition): void;
}

/** An encoded labelled sequence. */
export interface EncodedExample {
  ids: Int32Array;
  label: number;
}

abstract class EpochBatcher implements WindowSource {
  protected position: BatchPosition = { epoch: 0, window: 0 };
  abstract readonly windowsPerEpoch: number;

  getPosition(): BatchPosition {
    return { ...this.position };
  }

  setPosition(position: BatchPosition): void {
    const { epoch, window } = position;
    if (!(Number.isInteger(window) && Number.isInteger(epoch) && window >= 0 && window < this.windowsPerEpoch && epoch >= 0)) {
      throw new BatchingError(`batch position ${JSON.stringify(position)} does not fit this data`);
    }
    this.position = { epoch, window };
  }

  next(): Window {
    const { epoch, window } = this.position;
    const result = this.windowAt(epoch, window);
    this.position = window + 1 < this.windowsPerEpoch ? { epoch, window: window + 1 } : { epoch: epoch + 1, window: 0 };
    return result;
  }

  abstract windowAt(epoch: number, window: number): Window;
}

/**
 * Tagging windows: `batch` rows of `seqLength` tokens from the training
 * stream, each token's target its own tag. Rows of an epoch start at an
 * offset moved by a seeded amount each epoch and windows come in a seeded
 * order; no state is carried from window to window (a backward direction
 * could not carry one), so every window says `resetState`.
 */
export class TagBatcher extends EpochBatcher {
  readonly windowsPerEpoch: number;
  private readonly slots: number;

  constructor(
    private readonly ids: Int32Array,
    private readonly tags: Int32Array,
    readonly batchSize: number,
    readonly seqLength: number,
    private readonly seed: number,
  ) {
    super();
    if (ids.length !== tags.length) throw new RangeError(`${ids.length} tokens but ${tags.length} tags`);
    this.slots = Math.floor((ids.length - seqLength) / seqLength);
    this.windowsPerEpoch = Math.floor(this.slots / batchSize);
    if (this.windowsPerEpoch < 1) {
      throw new BatchingError(
        `the training data has ${ids.length} tokens; batch ${batchSize} × sequence ${seqLength} needs at least ${(batchSize + 1) * seqLength}: ` +
          'add files or lower the batch size or sequence length',
      );
    }
  }

  windowAt(epoch: number, window: number): Window {
    const B = this.batchSize;
    const T = this.seqLength;
    const rng = new SeededRandom((this.seed * 2654435761 + epoch * 40503) >>> 0);
    const offset = epoch === 0 ? 0 : rng.nextInt(T);
    const order = permutation(this.slots, rng);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = offset + order[window * B + b] * T;
      inputs.set(this.ids.subarray(start, start + T), b * T);
      targets.set(this.tags.subarray(start, start + T), b * T);
    }
    return { inputs, targets, batch: B, time: T, resetState: true, epoch, index: window };
  }
}

/**
 * Classification batches: `batch` examples in a seeded order per epoch, each
 * cut to its first `maxLength` tokens and padded to the longest in the batch;
 * `lengths` says how many tokens of each row are real, and `targets` holds one
 * label per row. An epoch reads every example once, and a rare class's more
 * often (see `epochPool`).
 */
export class ClassifyBatcher extends EpochBatcher {
  readonly windowsPerEpoch: number;
  readonly batchSize: number;
  /** Indices into `examples` that an epoch reads (rare classes repeated). */
  private readonly pool: number[];

  constructor(
    private readonly examples: readonly EncodedExample[],
    batchSize: number,
    readonly maxLength: number,
    private readonly seed: number,
  ) {
    super();
    if (examples.length === 0) throw new BatchingError('no training examples');
    this.pool = epochPool(examples);
    this.batchSize = Math.min(batchSize, this.pool.length);
    this.windowsPerEpoch = Math.floor(this.pool.length / this.batchSize);
  }

  windowAt(epoch: number, window: number): Window {
    const order = permutation(this.pool.length, new SeededRandom((this.seed * 2654435761 + epoch * 40503) >>> 0));
    const rows = order.slice(window * this.batchSize, (window + 1) * this.batchSize).map((i) => this.examples[this.pool[i]]);
    return { ...packExamples(rows, this.maxLength), resetState: true, epoch, index: window };
  }
}

/** A class with fewer examples than this share of the largest class's is read more often in an epoch. */
export const RARE_CLASS_SHARE = 0.25;

/**
 * The example indices an epoch reads: each example once, and the examples of a
 * class smaller than RARE_CLASS_SHARE of the largest repeated (in turn) until
 * the class has that many reads. Unweighted, a class of 70 snippets beside one
 * of 3000 weighs 2% in the loss and the model learns to ignore it (a language
 * corpus from packages has few CSS or HTML files); repeating it does not
 * change the held-out figures' meaning, which count every example once.
 */
export function epochPool(examples: readonly EncodedExample[]): number[] {
  const byLabel = new Map<number, number[]>();
  examples.forEach((e, i) => {
    const members = byLabel.get(e.label);
    if (members) members.push(i);
    else byLabel.set(e.label, [i]);
  });
  const floor = Math.ceil(RARE_CLASS_SHARE * Math.max(...[...byLabel.values()].map((m) => m.length)));
  const pool = examples.map((_, i) => i);
  for (const members of byLabel.values()) for (let k = members.length; k < floor; k++) pool.push(members[k % members.length]);
  return pool;
}

/** Rows padded with id 0 to the longest (at most `maxLength`), with their lengths and labels. */
export function packExamples(rows: readonly EncodedExample[], maxLength: number): Omit<Window, 'resetState' | 'epoch' | 'index'> {
  const T = Math.max(1, Math.min(maxLength, Math.max(...rows.map((r) => r.ids.length))));
  const inputs = new Int32Array(rows.length * T);
  const lengths = new Int32Array(rows.length);
  const targets = new Int32Array(rows.length);
  rows.forEach((r, b) => {
    lengths[b] = Math.max(1, Math.min(T, r.ids.length)); // an empty text reads as one padding token
    inputs.set(r.ids.subarray(0, lengths[b]), b * T);
    targets[b] = r.label;
  });
  return { inputs, targets, lengths, batch: rows.length, time: T };
}

/** Every held-out tagging token once: consecutive windows of `seqLength` (the last one shorter), `batch` per evaluation window. */
export function tagEvaluationWindows(ids: Int32Array, tags: Int32Array, batchSize: number, seqLength: number): Window[] {
  const windows: Window[] = [];
  const rowsOf = (from: number, to: number, T: number) => {
    const batch = (to - from) / T;
    windows.push({ inputs: ids.slice(from, to), targets: tags.slice(from, to), batch, time: T, resetState: true, epoch: 0, index: windows.length });
  };
  const full = Math.floor(ids.length / seqLength);
  for (let row = 0; row < full; row += batchSize) rowsOf(row * seqLength, Math.min(full, row + batchSize) * seqLength, seqLength);
  const rest = ids.length - full * seqLength;
  if (rest > 0) rowsOf(full * seqLength, ids.length, rest);
  return windows;
}

/**
 * At most `max` of `items`, at evenly spaced positions (all of them when they
 * fit): an evaluation capped for time reads a spread of the held-out set, not
 * its first files. Deterministic, and each contiguous run of items (a file, a
 * class when sorted by it) keeps its share within one.
 */
export function spreadEvenly<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / max)]);
}

/** Every held-out example once, `batch` at a time. */
export function classifyEvaluationWindows(examples: readonly EncodedExample[], batchSize: number, maxLength: number): Window[] {
  const windows: Window[] = [];
  for (let i = 0; i < examples.length; i += batchSize) {
    windows.push({ ...packExamples(examples.slice(i, i + batchSize), maxLength), resetState: true, epoch: 0, index: windows.length });
  }
  return windows;
}

function permutation(n: number, rng: SeededRandom): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
