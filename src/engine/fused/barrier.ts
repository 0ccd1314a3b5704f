/**
 * How the fused step's threads wait for each other, over Int32 slots of the
 * shared memory: the control block's [aborted, sleepers, progress of thread
 * 0, 1, …] and the plan's sync words (a ready flag per unit block, a claim
 * word per recurrent phase: layout.ts).
 *
 * - Sync points: each thread passes the same numbered points in the same
 *   order (schedule.ts) and `signal`s each, publishing its count; `wait` is a
 *   full barrier (signal, then wait for every thread's count).
 * - Recurrent phases (a time step of a layer, forward or backward) are cut
 *   into chunks of unit blocks that threads `claim` as they get free: thread
 *   1 from the last chunk down, the others from the first up, so with even
 *   progress each keeps its half (and its weights in its cache) and a thread
 *   that falls behind is relieved of chunks. A chunk's thread `publish`es
 *   the phase in its blocks' flags; a product waits only for the flags of
 *   the blocks it reads (`awaitBlocks`).
 *
 * Waiters spin briefly (a phase is ~0.1 ms, futex sleeps cost tens of µs),
 * then sleep on the slot they wait for; a write wakes sleepers only when
 * there are any. Setting `aborted` (the main thread does when a thread dies)
 * makes every waiter throw instead of waiting forever.
 */
export const SYNC_ABORTED = 0;
export const SYNC_SLEEPERS = 1;
export const SYNC_PROGRESS = 2;
/** Progress slots: the control block's 16 ints hold 14 threads' counts. */
export const MAX_SYNC_THREADS = 14;

const SPINS = 20_000;
const SLEEP_MS = 50;

export class BarrierAbortedError extends Error {}

export class Barrier {
  /** Sync points this thread has signalled in the current step. */
  private passed = 0;
  /** One thread alone: the next chunk of phase `alonePhase`. */
  private alonePhase = 0;
  private aloneNext = 0;

  /**
   * `slots`: the control block's ints; `sync`: the plan's sync words, `blocks`
   * flags then the claim words (`flags`: how many flags).
   */
  constructor(
    private readonly slots: Int32Array,
    private readonly parties: number,
    private readonly thread: number,
    private readonly sync: Int32Array<ArrayBufferLike> = new Int32Array(0),
    private readonly flags = 0,
  ) {}

  /** This thread's writes so far are done: publishes the next sync point and returns its number. */
  signal(): number {
    const point = ++this.passed;
    if (this.parties === 1) return point;
    Atomics.store(this.slots, SYNC_PROGRESS + this.thread, point);
    if (Atomics.load(this.slots, SYNC_SLEEPERS) !== 0) Atomics.notify(this.slots, SYNC_PROGRESS + this.thread);
    return point;
  }

  /** Waits until thread `other` has signalled sync point `point`. */
  waitFor(other: number, point: number): void {
    if (other !== this.thread) this.waitAtLeast(this.slots, SYNC_PROGRESS + other, point);
  }

  /** Waits until every thread has signalled sync point `point`. */
  waitForAll(point: number): void {
    for (let t = 0; t < this.parties; t++) this.waitFor(t, point);
  }

  /** A full barrier: signals, then waits for every thread to get there. */
  wait(): void {
    this.waitForAll(this.signal());
  }

  /** The next unclaimed chunk of `phase` (of `chunks`) for this thread, or −1 when every chunk is taken. */
  claim(phase: number, chunks: number): number {
    if (this.parties === 1) {
      if (this.alonePhase !== phase) [this.alonePhase, this.aloneNext] = [phase, 0];
      return this.aloneNext < chunks ? this.aloneNext++ : -1;
    }
    // One word per phase: chunks taken from the front (low 16 bits) and from the back (high 16 bits).
    const at = this.flags + phase;
    const fromBack = this.thread === 1;
    for (;;) {
      const word = Atomics.load(this.sync, at);
      const front = word & 0xffff;
      const back = word >>> 16;
      if (front + back >= chunks) return -1;
      if (Atomics.compareExchange(this.sync, at, word, word + (fromBack ? 0x10000 : 1)) === word) return fromBack ? chunks - 1 - back : front;
    }
  }

  /** Unit blocks [b0, b1) hold what `phase` writes. */
  publish(b0: number, b1: number, phase: number): void {
    if (this.parties === 1) return;
    const wake = Atomics.load(this.slots, SYNC_SLEEPERS) !== 0;
    for (let b = b0; b < b1; b++) {
      Atomics.store(this.sync, b, phase);
      if (wake) Atomics.notify(this.sync, b);
    }
  }

  /** Waits until unit blocks [b0, b1) hold what `phase` (or a later one) writes. */
  awaitBlocks(b0: number, b1: number, phase: number): void {
    if (this.parties === 1) return;
    for (let b = b0; b < b1; b++) this.waitAtLeast(this.sync, b, phase);
  }

  /** Spins, then sleeps, until `array[index]` ≥ `value`. */
  private waitAtLeast(array: Int32Array, index: number, value: number): void {
    for (let i = 0; i < SPINS; i++) if (Atomics.load(array, index) >= value) return;
    const slots = this.slots;
    Atomics.add(slots, SYNC_SLEEPERS, 1);
    try {
      for (let seen = Atomics.load(array, index); seen < value; seen = Atomics.load(array, index)) {
        if (Atomics.load(slots, SYNC_ABORTED) !== 0) throw new BarrierAbortedError('another training thread stopped');
        Atomics.wait(array, index, seen, SLEEP_MS);
      }
    } finally {
      Atomics.sub(slots, SYNC_SLEEPERS, 1);
    }
  }

  /** Called by the main thread when a worker dies: wakes and fails every waiter (`sync`: the plan's sync words). */
  static abort(slots: Int32Array, sync: Int32Array): void {
    Atomics.store(slots, SYNC_ABORTED, 1);
    for (let t = 0; t < MAX_SYNC_THREADS; t++) Atomics.notify(slots, SYNC_PROGRESS + t);
    for (let i = 0; i < sync.length; i++) Atomics.notify(sync, i);
  }

  /** Before a step (every worker idle): no point passed, no block ready, no chunk claimed, nothing aborted. */
  static reset(slots: Int32Array, sync: Int32Array): void {
    for (let i = 0; i < slots.length; i++) Atomics.store(slots, i, 0);
    sync.fill(0);
  }
}
