/**
 * Dashboard data recorded from real training runs (test/fixtures/dashboard:
 * `rnn-lab train src --cell rnn|lstm --layers 1 --hidden 64 --steps 200
 * --eval-every 25 --sample-every 100`, and the members of two experiments
 * recorded with record_runs.py there), turned into the messages the host sends.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { GradFlowRecord, MetricsRecord, RunInfo, SampleRecord } from '../../src/core/runFormat';
import { toDashboardRunInfo, type DashboardRun } from '../../src/protocol/dashboard';
import type { EvalRecord, StepRecord } from '../../src/protocol/engine';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/dashboard');

export interface RecordedRun {
  run: RunInfo;
  metrics: MetricsRecord[];
  samples: SampleRecord[];
  gradFlow?: GradFlowRecord[];
}

export type RecordedRunName =
  'rnn-1x64' | 'lstm-1x64' | 'vanishing-rnn' | 'vanishing-lstm' | 'vanishing-gru' | 'clipping-norm' | 'clipping-value' | 'clipping-none';

/** A recorded run folder's contents, as read from disk. */
export function recordedFolder(name: RecordedRunName): RecordedRun {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as RecordedRun;
}

/** A recorded run as the host's `show` sends it (the same mapping as the host's loadDashboardRun in dashboardRuns.ts). */
export function recordedRun(name: RecordedRunName, variant?: string): DashboardRun {
  const recorded = recordedFolder(name);
  const info = recorded.run;
  return {
    info: toDashboardRunInfo(info, variant),
    steps: recorded.metrics.filter((m): m is StepRecord => m.kind === 'step'),
    evals: recorded.metrics.filter((m): m is EvalRecord => m.kind === 'eval'),
    samples: recorded.samples,
    gradFlow: recorded.gradFlow ?? [],
  };
}

/** The first `steps` steps of a run, with the evaluations and samples taken by then, as a run still training. */
export function runUpTo(run: DashboardRun, steps: number): DashboardRun {
  return {
    info: { ...run.info, status: 'running' },
    steps: run.steps.filter((r) => r.step <= steps),
    evals: run.evals.filter((r) => r.step <= steps),
    samples: run.samples.filter((r) => r.step <= steps),
    gradFlow: run.gradFlow.filter((r) => r.step <= steps),
  };
}

/** What an `append` would carry for the steps after `steps`. */
export function recordsAfter(run: DashboardRun, steps: number): Pick<DashboardRun, 'steps' | 'evals' | 'samples' | 'gradFlow'> {
  return {
    steps: run.steps.filter((r) => r.step > steps),
    evals: run.evals.filter((r) => r.step > steps),
    samples: run.samples.filter((r) => r.step > steps),
    gradFlow: run.gradFlow.filter((r) => r.step > steps),
  };
}
