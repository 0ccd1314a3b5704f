/**
 * Messages between the extension host and the run comparison webview, and
 * how a run folder becomes one column of the comparison. Losses arrive in bits
 * per character: token-level runs are converted (core/runLabels.ts) so that
 * every run shares one axis.
 */
import { shortBackendLabel, type MetricsRecord, type RunInfo, type RunStatus } from '../core/runFormat';
import { bitsPerCharacter, modelLabel, tokensPerCharacter } from '../core/runLabels';
import { parameterCount } from '../core/spec';
import { arrayOf, int, isRecord, num, oneOf, optional, shape, str, type Check } from './guards';

/** A point of a loss curve: step, seconds of wall-clock training since the run began, bits per character (null: not finite). */
export interface LossPoint {
  step: number;
  seconds: number;
  bits: number | null;
}

/** One run as the comparison shows it. Labels and values are text the webview sets with textContent. */
export interface CompareRun {
  id: string;
  label: string;
  status: RunStatus;
  /** Its variant in an experiment ("norm clipping τ = 1"), when it is a member of one. */
  variant?: string;
  resolution: 'char' | 'token';
  /** The spec as rows of the table, in a fixed order: field → value. */
  spec: { field: string; value: string }[];
  parameters: number;
  steps: number;
  wallSeconds: number | null;
  charsPerSec: number | null;
  bestValBitsPerChar: number | null;
  /** The step it stopped at on a non-finite loss or gradient. */
  stoppedAt?: number;
  train: LossPoint[];
  validation: LossPoint[];
}

/** `state` is for the webview to save (setState), so that a reload reopens the same runs. */
export type HostToCompare = { type: 'show'; title: string; runs: CompareRun[]; state: CompareWebviewState };

export type CompareToHost = { type: 'ready' } | { type: 'openRun'; runId: string };

/** State the webview keeps: which run folders it compares (the panel serializer reopens them). */
export interface CompareWebviewState {
  runDirs: string[];
  title: string;
  /** The webview's own choice: losses on a log scale. */
  logScale?: boolean;
}

/** At most this many training-loss points per run: a long run is thinned evenly (every n-th step). */
export const MAX_TRAIN_POINTS = 4000;

const finiteOrNull = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/** The run's spec as table rows: what two runs can differ in. */
export function specRows(info: RunInfo): { field: string; value: string }[] {
  const m = info.model;
  const t = info.training;
  const clip = t.clipMode === 'norm' ? `global norm ≤ τ = ${t.clipValue}` : t.clipMode === 'value' ? `each element to ±${t.clipValue}` : 'none';
  return [
    { field: 'cell', value: m.cell },
    { field: 'layers', value: String(m.layers) },
    { field: 'hidden units', value: String(m.hidden) },
    { field: 'input', value: m.embedding ? `embedding ${m.embedding}` : 'one-hot' },
    { field: 'dropout', value: String(m.dropout) },
    { field: 'vocabulary', value: `${m.vocabSize} ${t.resolution === 'char' ? 'characters' : 'tokens'}` },
    { field: 'sequence length', value: String(t.seqLength) },
    { field: 'batch', value: String(t.batchSize) },
    { field: 'optimizer', value: t.optimizer },
    { field: 'learning rate', value: t.lrDecay < 1 ? `${t.learningRate} × ${t.lrDecay} every ${t.lrDecayEvery}` : String(t.learningRate) },
    { field: 'clipping', value: clip },
    { field: 'planned steps', value: String(t.steps) },
    { field: 'seed', value: String(t.seed) },
    { field: 'data', value: `${info.corpus.documents} files, ${info.corpus.trainTokens.toLocaleString('en-US')} training tokens` },
    { field: 'backend', value: shortBackendLabel(info.backend) },
  ];
}

/**
 * Seconds of wall-clock training at each step record: time since the run's
 * first step began, with the pauses between a stop and its resume left out
 * (the first step after a resume counts its own duration only).
 */
export function wallClockSeconds(steps: Extract<MetricsRecord, { kind: 'step' }>[], info: RunInfo): number[] {
  const resumed = new Set(info.resumedAt ?? []);
  // charsPerSec counts the characters the step's tokens stand for.
  const tokens = (info.training.batchSize * info.training.seqLength) / tokensPerCharacter(info);
  const stepSeconds = (r: { charsPerSec: number }) => (r.charsPerSec > 0 && Number.isFinite(r.charsPerSec) ? tokens / r.charsPerSec : 0);
  const out: number[] = [];
  let elapsed = 0;
  steps.forEach((r, i) => {
    const previous = steps[i - 1];
    elapsed += !previous || resumed.has(r.step - 1) ? stepSeconds(r) : Math.max(0, (r.time - previous.time) / 1000);
    out.push(elapsed);
  });
  return out;
}

/** A run folder's contents as one column of the comparison. */
export function toCompareRun(info: RunInfo, metrics: MetricsRecord[], variant?: string): CompareRun {
  const steps = metrics.flatMap((m) => (m.kind === 'step' ? [m] : []));
  const evals = metrics.flatMap((m) => (m.kind === 'eval' ? [m] : []));
  const seconds = wallClockSeconds(steps, info);
  const bits = (nats: number | null) => (finiteOrNull(nats) === null ? null : bitsPerCharacter(info, nats!));
  const secondsAt = (step: number) => {
    const i = steps.findIndex((s) => s.step >= step);
    return i < 0 ? (seconds.at(-1) ?? 0) : seconds[i];
  };
  const every = Math.ceil(steps.length / MAX_TRAIN_POINTS);
  const train = steps.flatMap((r, i) => (i % every === 0 || i === steps.length - 1 ? [{ step: r.step, seconds: seconds[i], bits: bits(r.loss) }] : []));
  return {
    id: info.id,
    label: `${modelLabel(info)} · ${info.id}`,
    status: info.status,
    ...(variant ? { variant } : {}),
    resolution: info.training.resolution,
    spec: specRows(info),
    parameters: parameterCount(info.model),
    steps: info.progress.step,
    wallSeconds: seconds.length > 0 ? seconds[seconds.length - 1] : null,
    charsPerSec: info.progress.charsPerSec ?? null,
    bestValBitsPerChar: info.progress.bestValLoss !== undefined ? bitsPerCharacter(info, info.progress.bestValLoss) : null,
    ...(info.nonFinite ? { stoppedAt: info.nonFinite.step } : {}),
    train,
    validation: evals.map((r) => ({ step: r.step, seconds: secondsAt(r.step), bits: bits(r.valLoss) })),
  };
}

const nullableNum: Check = (v, p) => (v === null ? undefined : num(v, p));
const pointCheck = shape({ step: int, seconds: num, bits: nullableNum });
const runCheck = shape({
  id: str,
  label: str,
  status: oneOf('running', 'completed', 'cancelled', 'failed'),
  variant: optional(str),
  resolution: oneOf('char', 'token'),
  spec: arrayOf(shape({ field: str, value: str }), 100),
  parameters: int,
  steps: int,
  wallSeconds: nullableNum,
  charsPerSec: nullableNum,
  bestValBitsPerChar: nullableNum,
  stoppedAt: optional(int),
  train: arrayOf(pointCheck, MAX_TRAIN_POINTS + 1),
  validation: arrayOf(pointCheck, 1_000_000),
});

/** Validates a message from the host in the webview (a version mismatch must not draw garbage). */
export function parseHostToCompareMessage(value: unknown): HostToCompare | undefined {
  if (!isRecord(value) || value.type !== 'show') return undefined;
  const state = shape({ runDirs: arrayOf(str, 50), title: str });
  return shape({ type: str, title: str, runs: arrayOf(runCheck, 50), state })(value, 'message') ? undefined : (value as HostToCompare);
}

/** Validates a message from the webview (untrusted input). */
export function parseCompareMessage(value: unknown): CompareToHost | undefined {
  if (!isRecord(value)) return undefined;
  if (value.type === 'ready') return shape({ type: str })(value, 'message') ? undefined : { type: 'ready' };
  if (value.type === 'openRun') return shape({ type: str, runId: str })(value, 'message') ? undefined : (value as CompareToHost);
  return undefined;
}

/** Validates restored webview state. */
export function parseCompareState(value: unknown): CompareWebviewState | undefined {
  if (!isRecord(value) || arrayOf(str, 50)(value.runDirs, 'runDirs') || typeof value.title !== 'string') return undefined;
  return { runDirs: value.runDirs as string[], title: value.title, logScale: value.logScale === true };
}
