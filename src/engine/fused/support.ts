import * as os from 'os';
import type { ModelSpec } from '../../core/spec';
import { MAX_MEMORY_PAGES } from './kernels';
import { planFusedStep } from './layout';

/**
 * Why the fused kernels cannot train this model, or undefined when they can.
 * What they do not do is left to the tfjs path, never approximated.
 */
export function fusedUnsupportedReason(spec: ModelSpec, batch: number, time: number): string | undefined {
  const bytes = planFusedStep(spec, batch, time, 1).bytes;
  if (bytes > MAX_MEMORY_PAGES * 65536) return `a step of batch ${batch} × ${time} would need ${Math.round(bytes / 2 ** 20)} MiB, more than their 2 GiB memory`;
  return undefined;
}

/**
 * Two threads (the kernels split hidden units between them), or one when only
 * one core is free: a thread waiting on a busy core stalls its partner at
 * every time step's barrier. Free cores are measured over `sampleMs` (idle
 * time of all cores), not taken from the load average, which would count our
 * own previous run.
 */
export async function defaultFusedThreads(sampleMs = 200): Promise<number> {
  const idle = () => os.cpus().reduce((sum, cpu) => sum + cpu.times.idle, 0);
  const before = idle();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const free = (idle() - before) / (performance.now() - started);
  return Math.max(1, Math.min(2, Math.round(free)));
}
