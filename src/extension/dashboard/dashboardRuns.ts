/** The dashboard's runs on disk: a run's history, and the runs a restored panel names (no VS Code here, so tests reach it). */
import type { RunSummary } from '../../core/runIndex';
import { experimentVariant } from '../../core/experiments/experimentIndex';
import { RUN_FILES } from '../../core/runFormat';
import { RunFolder, readJsonLines } from '../../core/runStore';
import type { GradFlowRecord } from '../../core/runFormat';
import { parseDashboardState, toDashboardRunInfo, type DashboardRun } from '../../protocol/dashboard';

/** The folders of the runs a restored dashboard state names, looked up among the runs folder's runs. */
export function runDirsOfState(state: unknown, runs: readonly RunSummary[]): string[] {
  const ids = parseDashboardState(state)?.runIds ?? [];
  return ids.map((id) => runs.find((r) => r.id === id)?.dir).filter((dir): dir is string => dir !== undefined);
}

/** A run's history from its folder, in the dashboard's terms. */
export function loadDashboardRun(dir: string): DashboardRun {
  const folder = RunFolder.open(dir);
  const info = folder.readInfo();
  const metrics = folder.readMetrics();
  return {
    info: toDashboardRunInfo(info, experimentVariant(dir)),
    steps: metrics.filter((m) => m.kind === 'step'),
    evals: metrics.filter((m) => m.kind === 'eval'),
    samples: folder.readSamples(),
    gradFlow: readJsonLines(folder.file(RUN_FILES.gradFlow)) as GradFlowRecord[],
    ...(info.task ? { taskEvals: metrics.filter((m) => m.kind === 'taskEval') } : {}),
  };
}
