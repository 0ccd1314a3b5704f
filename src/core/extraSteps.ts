/**
 * How many more steps to train a run (Resume, Train More): asked, never
 * assumed. Resuming a completed run used to double its total silently.
 */
import type { RunInfo } from './runFormat';

/** The most steps one run may be asked to train further (the spec's own limit on a run's total). */
export const MAX_EXTRA_STEPS = 100_000_000;

/** The suggestion: what is left of the plan for a stopped run; the run's planned count again for a finished one. */
export function suggestedExtraSteps(info: { progress: Pick<RunInfo['progress'], 'step' | 'totalSteps'> }): number {
  const { step, totalSteps } = info.progress;
  return step < totalSteps ? totalSteps - step : Math.max(1, totalSteps);
}

/** A typed step count, or why it is not one. */
export function parseExtraSteps(text: string): { steps: number } | { error: string } {
  const trimmed = text.trim().replace(/[,_\s]/g, '');
  if (!/^\d+$/.test(trimmed)) return { error: 'Type a whole number of steps, e.g. 2000.' };
  const steps = Number(trimmed);
  if (steps < 1) return { error: 'Train at least one more step.' };
  if (steps > MAX_EXTRA_STEPS) return { error: `At most ${MAX_EXTRA_STEPS.toLocaleString('en-US')} steps at a time.` };
  return { steps };
}

/** A step count passed to a command (the dashboard's, or a programmatic caller's). */
export function isExtraSteps(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_EXTRA_STEPS;
}
