import type { RunInfo } from './runFormat';
import { natsToBits } from './units';

/** "2×LSTM-128" */
export function modelLabel(info: RunInfo): string {
  const m = info.model;
  return `${m.layers}×${m.cell.toUpperCase()}-${m.hidden}`;
}

/** "bits/char" or "bits/token", the unit of the run's losses as shown. */
export function lossUnit(info: RunInfo): string {
  return info.training.resolution === 'char' ? 'bits/char' : 'bits/token';
}

/** "completed · 1.92 bits/char" — the Runs view's one-line summary. */
export function runDescription(info: RunInfo): string {
  const parts: string[] = [info.status];
  if (info.status === 'running') parts[0] = `running ${info.progress.step}/${info.progress.totalSteps}`;
  const best = info.progress.bestValLoss;
  if (best !== undefined) parts.push(`${natsToBits(best).toFixed(2)} ${lossUnit(info)}`);
  return parts.join(' · ');
}
