/**
 * Messages between the extension host and the training dashboard webview.
 * The webview only renders: all data comes from the host. Losses are nats per
 * token, as on disk; the webview shows bits.
 */
import { shortBackendLabel, type GradFlowRecord, type RunInfo, type RunStatus, type SampleRecord } from '../core/runFormat';
import { MAX_GRAD_FLOW_LENGTH } from '../core/spec';
import { MAX_EXTRA_STEPS, isExtraSteps } from '../core/extraSteps';
import { modelLabel } from '../core/runLabels';
import type { EvalRecord, StepRecord } from './engine';
import { arrayOf, int, isRecord, num, oneOf, optional, shape, str, type Check } from './guards';
import { taskEvalRecordCheck, type TaskEvalRecord } from './tasks';
import { taskOf } from '../core/spec';

/** The dashboard's view of a run description (run.json); `variant` names it within its experiment. */
export function toDashboardRunInfo(info: RunInfo, variant?: string): DashboardRunInfo {
  return {
    id: info.id,
    label: `${variant ? `${variant} · ` : ''}${modelLabel(info)} · ${info.id}`,
    ...(variant ? { variant } : {}),
    status: info.status,
    cell: info.model.cell,
    clipMode: info.training.clipMode,
    clipValue: info.training.clipValue,
    totalSteps: info.progress.totalSteps,
    backend: shortBackendLabel(info.backend),
    resolution: info.training.resolution,
    layers: info.model.layers,
    ...(info.message ? { message: info.message } : {}),
    ...(info.nonFinite ? { stoppedAt: info.nonFinite.step } : {}),
    ...(taskOf(info.model) !== 'lm' ? { task: taskOf(info.model) as 'tag' | 'classify' } : {}),
  };
}

/** What the dashboard needs to know about a run besides its metrics. */
export interface DashboardRunInfo {
  id: string;
  /** Short human label, e.g. "2×LSTM-128 · 20261126-0510". Workspace text: the webview escapes it. */
  label: string;
  /** Its variant when it is a member of an experiment ("no clipping"): what legends call it. */
  variant?: string;
  status: RunStatus;
  cell: string;
  clipMode: string;
  clipValue: number;
  totalSteps: number;
  backend: string;
  /** Tokens are characters ('char') or code tokens ('token'): the unit of "bits per …". */
  resolution: 'char' | 'token';
  layers: number;
  message?: string;
  /** The step at which the run stopped on a non-finite loss or gradient (the gradient-norm chart marks it). */
  stoppedAt?: number;
  /** A tagger or classifier (docs/architecture.md, "Tasks"): the dashboard shows its task evaluations. */
  task?: 'tag' | 'classify';
}

export interface DashboardRun {
  info: DashboardRunInfo;
  steps: StepRecord[];
  evals: EvalRecord[];
  samples: SampleRecord[];
  /** gradflow.jsonl: the gradient flow through time, a record per layer per measurement. */
  gradFlow: GradFlowRecord[];
  /** A tagger's or classifier's evaluations (metrics.jsonl's taskEval lines); absent for a language model. */
  taskEvals?: TaskEvalRecord[];
}

export type HostToDashboard =
  /** Replaces everything shown (first load, or a new selection of runs). */
  | { type: 'show'; runs: DashboardRun[] }
  /** New records of one run that is already shown. */
  | {
      type: 'append';
      runId: string;
      steps: StepRecord[];
      evals: EvalRecord[];
      samples: SampleRecord[];
      gradFlow?: GradFlowRecord[];
      taskEvals?: TaskEvalRecord[];
    }
  /** Status change of a shown run (finished, failed, …). */
  | { type: 'status'; runId: string; status: RunStatus; message?: string; stoppedAt?: number };

export type DashboardToHost =
  /** The webview has loaded (or reloaded) and wants the current state. */
  | { type: 'ready' }
  /** The user removed a run from the overlay. */
  | { type: 'hideRun'; runId: string }
  /** The user asked to stop the run's training. */
  | { type: 'stopRun'; runId: string }
  /** Resume (a stopped or failed run) or Train More (a finished one): `extraSteps` more steps, as the user typed. */
  | { type: 'resumeRun'; runId: string; extraSteps: number };

/** State the webview keeps with setState so it survives being hidden and reloaded. */
export interface DashboardWebviewState {
  runIds: string[];
  logScaleLoss?: boolean;
  /** The gradient-flow views show ‖∂L/∂h_t‖ of the whole window's loss instead of the last position's. */
  gradFlowWindow?: boolean;
}

/** A run id is a folder name: never a path (no separator, not `.` or `..`). */
export const runIdCheck: Check = (v, p) =>
  typeof v === 'string' && v.length > 0 && v.length <= 255 && !/[/\\]/.test(v) && v !== '.' && v !== '..' ? undefined : `${p} must be a run id (a folder name)`;

const extraStepsCheck: Check = (v, p) => (isExtraSteps(v) ? undefined : `${p} must be a whole number of steps from 1 to ${MAX_EXTRA_STEPS}`);

const checks: Record<DashboardToHost['type'], Check> = {
  ready: shape({ type: str }),
  hideRun: shape({ type: str, runId: str }),
  stopRun: shape({ type: str, runId: str }),
  resumeRun: shape({ type: str, runId: runIdCheck, extraSteps: extraStepsCheck }),
};

/** Validates a message from the webview (untrusted input). */
export function parseDashboardMessage(value: unknown): DashboardToHost | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(checks))(value.type, 'type')) return undefined;
  return checks[value.type as DashboardToHost['type']](value, 'message') ? undefined : (value as DashboardToHost);
}

/** Validates restored webview state (it comes back from the webview). */
export function parseDashboardState(value: unknown): DashboardWebviewState | undefined {
  if (!isRecord(value) || arrayOf(runIdCheck, 100)(value.runIds, 'runIds')) return undefined;
  return { runIds: value.runIds as string[], logScaleLoss: value.logScaleLoss === true, gradFlowWindow: value.gradFlowWindow === true };
}

/**
 * A metric value as it arrives: JSON writes NaN and ±Infinity as null, and a
 * diverging run can record one, so the dashboard must accept it and show a gap.
 */
const metric: Check = (v, p) => (v === null ? undefined : num(v, p));

/** Enough for a long run's full history in one `show` message. */
const MAX_RECORDS = 2_000_000;

const stepsCheck = arrayOf(
  shape({ kind: oneOf('step'), step: int, epoch: num, loss: metric, gradNorm: metric, clippedGradNorm: metric, lr: metric, charsPerSec: metric, time: num }),
  MAX_RECORDS,
);
const evalsCheck = arrayOf(shape({ kind: oneOf('eval'), step: int, valLoss: metric, time: num }), MAX_RECORDS);
const samplesCheck = arrayOf(shape({ step: int, temperature: num, prime: str, text: str, time: num }), 100_000);
const profileCheck = arrayOf(metric, MAX_GRAD_FLOW_LENGTH);
const gradFlowCheck = arrayOf(shape({ step: int, layer: int, lastLoss: profileCheck, windowLoss: profileCheck }), 200_000);
const statusCheck = oneOf('running', 'completed', 'cancelled', 'failed');

const runInfoCheck = shape({
  id: str,
  label: str,
  variant: optional(str),
  status: statusCheck,
  cell: str,
  clipMode: str,
  clipValue: num,
  totalSteps: int,
  backend: str,
  resolution: oneOf('char', 'token'),
  layers: int,
  message: optional(str),
  stoppedAt: optional(int),
  task: optional(oneOf('tag', 'classify')),
});

const taskEvalsCheck = optional(arrayOf(taskEvalRecordCheck, 100_000));

const hostChecks: Record<HostToDashboard['type'], Check> = {
  show: shape({
    type: str,
    runs: arrayOf(
      shape({ info: runInfoCheck, steps: stepsCheck, evals: evalsCheck, samples: samplesCheck, gradFlow: gradFlowCheck, taskEvals: taskEvalsCheck }),
      100,
    ),
  }),
  append: shape({
    type: str,
    runId: str,
    steps: stepsCheck,
    evals: evalsCheck,
    samples: samplesCheck,
    gradFlow: optional(gradFlowCheck),
    taskEvals: taskEvalsCheck,
  }),
  status: shape({ type: str, runId: str, status: statusCheck, message: optional(str), stoppedAt: optional(int) }),
};

/**
 * Validates a message from the host in the webview. The host is our own code,
 * but the check keeps a version mismatch (an old webview restored by a newer
 * extension) from drawing garbage. Metric values may be null (see `metric`).
 */
export function parseHostToDashboardMessage(value: unknown): HostToDashboard | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(hostChecks))(value.type, 'type')) return undefined;
  return hostChecks[value.type as HostToDashboard['type']](value, 'message') ? undefined : (value as HostToDashboard);
}
