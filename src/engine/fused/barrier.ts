/**
 * A reusable barrier for the fused step's threads over Int32 slots of the
 * shared memory: [arrived, generation, aborted]. The last thread to arrive
 * resets the count and bumps the generation; the others spin briefly (a time
 * step is ~1 ms, futex sleeps cost tens of µs) and then sleep on the
 * generation. Setting `aborted` (the main thread does when a thread dies)
 * makes every waiter throw instead of waiting forever.
 */
export const BARRIER_ARRIVED = 0;
export const BARRIER_GENERATION = 1;
export const BARRIER_ABORTED = 2;

const SPINS = 20_000;
const SLEEP_MS = 50;

export class BarrierAbortedError extends Error {}

export class Barrier {
  constructor(
    private readonly slots: Int32Array,
    private readonly parties: number,
  ) {}

  wait(): void {
    if (this.parties === 1) return;
    const slots = this.slots;
    const generation = Atomics.load(slots, BARRIER_GENERATION);
    if (Atomics.add(slots, BARRIER_ARRIVED, 1) === this.parties - 1) {
      Atomics.store(slots, BARRIER_ARRIVED, 0);
      Atomics.add(slots, BARRIER_GENERATION, 1);
      Atomics.notify(slots, BARRIER_GENERATION);
      return;
    }
    for (let i = 0; i < SPINS; i++) if (Atomics.load(slots, BARRIER_GENERATION) !== generation) return;
    while (Atomics.load(slots, BARRIER_GENERATION) === generation) {
      if (Atomics.load(slots, BARRIER_ABORTED) !== 0) throw new BarrierAbortedError('another training thread stopped');
      Atomics.wait(slots, BARRIER_GENERATION, generation, SLEEP_MS);
    }
  }

  /** Called by the main thread when a worker dies: wakes and fails every waiter. */
  static abort(slots: Int32Array): void {
    Atomics.store(slots, BARRIER_ABORTED, 1);
    Atomics.notify(slots, BARRIER_GENERATION);
  }

  static reset(slots: Int32Array): void {
    Atomics.store(slots, BARRIER_ARRIVED, 0);
    Atomics.store(slots, BARRIER_ABORTED, 0);
  }
}
