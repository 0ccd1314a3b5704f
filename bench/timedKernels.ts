import type { FusedKernels } from '../src/engine/fused/kernels';

/** The same kernels, each call's wall time handed to `record` (the profiles' instrument). */
export function timedKernels(raw: FusedKernels, record: (name: string, ms: number) => void): FusedKernels {
  const timed = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(raw) as Array<[string, (...args: number[]) => number]>) {
    if (typeof fn !== 'function') continue;
    timed[name] = (...args: number[]) => {
      const t = performance.now();
      const result = fn(...args);
      record(name, performance.now() - t);
      return result;
    };
  }
  return timed as unknown as FusedKernels;
}
