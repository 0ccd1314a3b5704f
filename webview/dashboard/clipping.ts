/**
 * What clipping did in a run, in a sentence under the gradient-norm chart:
 * how many steps were clipped, or that clipping never triggered (with the
 * peak norm against τ), since "after clipping" then lies exactly under
 * "before clipping" and the chart alone cannot say so.
 */
import type { DashboardRunInfo } from '../../src/protocol/dashboard';
import type { StepRecord } from '../../src/protocol/engine';
import { formatNumber } from './chartDefinitions';

/** Counts kept as records arrive, so a long run is not scanned again at each append. */
export interface ClippingTally {
  steps: number;
  clipped: number;
  /** Largest finite norm before clipping. */
  peak: number;
}

export function emptyTally(): ClippingTally {
  return { steps: 0, clipped: 0, peak: 0 };
}

/** A step was clipped when clipping changed its gradient: the clipped norm is below the norm. */
export function addToTally(tally: ClippingTally, steps: readonly StepRecord[]): void {
  for (const record of steps) {
    const { gradNorm, clippedGradNorm } = record;
    if (gradNorm === null || !Number.isFinite(gradNorm)) continue;
    tally.steps++;
    tally.peak = Math.max(tally.peak, gradNorm);
    if (clippedGradNorm !== null && clippedGradNorm < gradNorm * (1 - 1e-6)) tally.clipped++;
  }
}

/** "clipped at 12 of 200 steps (6%): peak ‖g‖ 8.1, τ 5", "clipping never triggered: peak ‖g‖ 2.5 < τ 5", … */
export function clippingSentence(info: Pick<DashboardRunInfo, 'clipMode' | 'clipValue'>, tally: ClippingTally): string {
  const peak = formatNorm(tally.peak);
  const tau = formatNumber(info.clipValue);
  if (tally.steps === 0) return 'no steps yet';
  if (info.clipMode === 'none') return `no clipping: peak ‖g‖ ${peak}`;
  if (tally.clipped === 0) {
    return info.clipMode === 'norm'
      ? `clipping never triggered: peak ‖g‖ ${peak} < τ ${tau}`
      : `clipping never triggered: no gradient element beyond ±${tau} (peak ‖g‖ ${peak})`;
  }
  const share = (100 * tally.clipped) / tally.steps;
  const percent = share < 1 ? '<1%' : `${Math.round(share)}%`;
  const what = `clipped at ${formatNumber(tally.clipped)} of ${formatNumber(tally.steps)} steps (${percent})`;
  return info.clipMode === 'norm' ? `${what}: peak ‖g‖ ${peak}, τ ${tau}` : `${what}: elements clamped to ±${tau}, peak ‖g‖ ${peak}`;
}

/** Two significant digits at least: 2.5, 0.031, 1,234. */
function formatNorm(value: number): string {
  return value >= 10 ? formatNumber(Math.round(value * 10) / 10) : formatNumber(Number(value.toPrecision(2)));
}
