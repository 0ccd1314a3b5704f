import { trainingFlopsPerToken } from './modelSize';
import type { RunInfo } from './runFormat';
import type { ModelSpec, TrainingSpec } from './spec';

/**
 * The training speed assumed when no run on this machine tells better: the
 * fused kernels on two cores of the machine RNN Lab is developed on reach
 * 50–90 GFLOP/s of training arithmetic (docs/architecture.md, "Measured facts
 * behind the design"); the low end, so an estimate errs long.
 */
export const ASSUMED_FLOPS_PER_SECOND = 50e9;

export interface TrainingEstimate {
  seconds: number;
  /** Where the speed comes from, in words: "your last 2×LSTM-128 run", "your recent runs", "an assumed speed". */
  basis: string;
}

/**
 * How long `training` of `model` should take here: at the speed of the newest
 * finished run of the same shape, else at the arithmetic rate recent runs
 * reached, else at an assumed rate.
 */
export function estimateTraining(
  model: ModelSpec,
  training: Pick<TrainingSpec, 'steps' | 'batchSize' | 'seqLength'>,
  runs: readonly RunInfo[],
): TrainingEstimate {
  const tokens = training.steps * training.batchSize * training.seqLength;
  const measured = runs.filter((r) => (r.progress.charsPerSec ?? 0) > 0 && r.training.resolution === 'char');
  const same = measured.find((r) => sameShape(r.model, model));
  if (same)
    return { seconds: tokens / same.progress.charsPerSec!, basis: `your last ${same.model.layers}×${same.model.cell.toUpperCase()}-${same.model.hidden} run` };
  const rates = measured.slice(0, 5).map((r) => r.progress.charsPerSec! * trainingFlopsPerToken(r.model));
  const flopsPerSecond = rates.length ? median(rates) : ASSUMED_FLOPS_PER_SECOND;
  return {
    seconds: (tokens * trainingFlopsPerToken(model)) / flopsPerSecond,
    basis: rates.length ? `the speed of your recent runs` : 'an assumed speed (no run here yet)',
  };
}

/** "40 s", "3 min", "1 h 20 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function sameShape(a: ModelSpec, b: ModelSpec): boolean {
  return a.cell === b.cell && a.layers === b.layers && a.hidden === b.hidden && a.embedding === b.embedding && a.bidirectional === b.bidirectional;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}
