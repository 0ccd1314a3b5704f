import type { RunInfo } from './runFormat';
import type { Resolution } from './spec';
import { natsToBits } from './units';

/** "2×LSTM-128" */
export function modelLabel(info: RunInfo): string {
  const m = info.model;
  return `${m.layers}×${m.cell.toUpperCase()}-${m.hidden}`;
}

/** "bits/char" or "bits/token", the unit of the run's losses as shown. */
export function lossUnit(info: Pick<RunInfo, 'training'>): string {
  return info.training.resolution === 'char' ? 'bits/char' : 'bits/token';
}

/** "bits per char" or "bits per token", the unit in sentences (logs, CLI lines). */
export function lossUnitInWords(resolution: Resolution): string {
  return resolution === 'char' ? 'bits per char' : 'bits per token';
}

/**
 * What a stop by the user says (run.json's message, the notification, the dashboard): a stopped
 * run is resumable, not gone, and the step it reached is saved. ("cancelled" sounded final.)
 */
export function stoppedMessage(step: number): string {
  return `Stopped at step ${step} (checkpoint saved)`;
}

/** A run's status in words: "running 785/2000", "stopped at step 793", "completed", "failed". */
export function statusLabel(info: Pick<RunInfo, 'status' | 'progress'>): string {
  if (info.status === 'running') return `running ${info.progress.step}/${info.progress.totalSteps}`;
  if (info.status === 'cancelled') return `stopped at step ${info.progress.step}`;
  return info.status;
}

/** "completed · 1.92 bits/char" — the Runs view's one-line summary. */
export function runDescription(info: RunInfo): string {
  const parts: string[] = [statusLabel(info)];
  const best = info.progress.bestValLoss;
  if (best !== undefined) parts.push(`${natsToBits(best).toFixed(2)} ${lossUnit(info)}`);
  return parts.join(' · ');
}

/**
 * Tokens per character of the run's corpus: 1 for characters; for code tokens
 * the corpus's token count over its character count (training and validation
 * together, newline separators included: close, not exact).
 */
export function tokensPerCharacter(info: RunInfo): number {
  if (info.training.resolution === 'char' || !(info.corpus.characters > 0)) return 1;
  return (info.corpus.trainTokens + info.corpus.validationTokens) / info.corpus.characters;
}

/** A loss in nats per token as bits per character, so token-level runs compare with character runs. */
export function bitsPerCharacter(info: RunInfo, nats: number): number {
  return natsToBits(nats) * tokensPerCharacter(info);
}
