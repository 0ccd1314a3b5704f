import type { RunInfo } from './runFormat';
import type { RunSummary } from './runIndex';

/**
 * The step a run in training has reached. run.json is written at checkpoints,
 * so between them it names an older step: the views that list runs (the Runs
 * view, the Samples view's models) show the live step instead.
 */
export interface LiveStep {
  runDir: string;
  step: number;
}

/** The runs with the live run's step in its description; the others (and a run no longer running on disk) unchanged. */
export function applyLiveStep(runs: readonly RunSummary[], live: LiveStep | undefined): RunSummary[] {
  return runs.map((run) => {
    const info = run.info;
    if (!live || run.dir !== live.runDir || !info || info.status !== 'running' || live.step <= info.progress.step) return run;
    return { ...run, info: { ...info, progress: { ...info.progress, step: live.step } } };
  });
}

/** The step of the checkpoint run.json names ("checkpoints/step-0000600" → 600), which is also the step of its model.onnx. */
export function checkpointStep(info: Pick<RunInfo, 'checkpoint'>): number | undefined {
  const match = info.checkpoint ? /step-(\d+)\/?$/.exec(info.checkpoint) : null;
  return match ? Number(match[1]) : undefined;
}
