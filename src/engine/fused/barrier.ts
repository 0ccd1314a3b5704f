/**
 * How the fused step's threads wait for each other, over Int32 slots of the
 * shared memory: [aborted, sleepers, progress of thread 0, 1, …]. Each thread
 * passes the same numbered sync points in the same order (schedule.ts); at
 * each it `signal`s, publishing its count, after the writes that point
 * covers. A thread that needs data another thread writes before point p
 * waits only for that thread's count to reach p (a ready flag), and can do
 * work of its own between signalling and waiting; `wait` is a full barrier
 * (signal, then wait for every thread). Waiters spin briefly (a time step
 * is ~0.1–1 ms, futex sleeps cost tens of µs), then sleep on the count they
 * wait for; a signal wakes sleepers only when there are any. Setting
 * `aborted` (the main thread does when a thread dies) makes every waiter
 * throw instead of waiting forever.
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

  constructor(
    private readonly slots: Int32Array,
    private readonly parties: number,
    private readonly thread: number,
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
    if (other === this.thread) return;
    const slots = this.slots;
    const slot = SYNC_PROGRESS + other;
    for (let i = 0; i < SPINS; i++) if (Atomics.load(slots, slot) >= point) return;
    Atomics.add(slots, SYNC_SLEEPERS, 1);
    try {
      for (let seen = Atomics.load(slots, slot); seen < point; seen = Atomics.load(slots, slot)) {
        if (Atomics.load(slots, SYNC_ABORTED) !== 0) throw new BarrierAbortedError('another training thread stopped');
        Atomics.wait(slots, slot, seen, SLEEP_MS);
      }
    } finally {
      Atomics.sub(slots, SYNC_SLEEPERS, 1);
    }
  }

  /** Waits until every thread has signalled sync point `point`. */
  waitForAll(point: number): void {
    for (let t = 0; t < this.parties; t++) this.waitFor(t, point);
  }

  /** A full barrier: signals, then waits for every thread to get there. */
  wait(): void {
    this.waitForAll(this.signal());
  }

  /** Called by the main thread when a worker dies: wakes and fails every waiter. */
  static abort(slots: Int32Array): void {
    Atomics.store(slots, SYNC_ABORTED, 1);
    for (let t = 0; t < MAX_SYNC_THREADS; t++) Atomics.notify(slots, SYNC_PROGRESS + t);
  }

  /** Before a step (every worker idle): no point passed, nothing aborted. */
  static reset(slots: Int32Array): void {
    for (let i = 0; i < slots.length; i++) Atomics.store(slots, i, 0);
  }
}
