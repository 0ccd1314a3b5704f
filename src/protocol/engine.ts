/**
 * Messages between the extension host and the engine process (DESIGN.md
 * "Architecture: three places, one protocol"). Requests carry an id and get one
 * response; events stream from the engine while a training runs. Both sides
 * validate what they receive with the checks below.
 */
import type { MetricsRecord, RunInfo, RunStatus, SampleRecord } from '../core/runFormat';
import { BACKENDS, CELL_TYPES, CLIP_MODES, OPTIMIZERS, type BackendPreference, type ModelSpec, type TrainingSpec } from '../core/spec';
import { arrayOf, bool, int, isRecord, num, oneOf, optional, shape, str, type Check } from './guards';

export interface TrainParams {
  /** Files, folders or globs. */
  inputs: string[];
  /** Glob filters for files found under folders: only these, and never those. */
  include?: string[];
  exclude?: string[];
  model: Omit<ModelSpec, 'vocabSize'>;
  training: TrainingSpec;
  /** Parent folder of run folders. */
  outDir: string;
  backend: BackendPreference;
}

export interface ResumeParams {
  runDir: string;
  /** A new total step count (to train further than planned). */
  steps?: number;
  backend: BackendPreference;
}

/** Where a model comes from: a run folder (its model.onnx) or an RNN Lab .onnx file. */
export type ModelSource = { runDir: string } | { onnxFile: string };

export interface GenerateParams {
  /** Chosen by the host; names the stream of `generated` events and the `stopGeneration` target. */
  requestId: string;
  source: ModelSource;
  prime: string;
  length: number;
  temperature: number;
  topK: number;
  seed: number;
}

export interface GenerateResult {
  text: string;
  tokens: number;
  charsPerSec: number;
  /** True when stopGeneration ended it early. */
  stopped: boolean;
}

/** Each request's parameters and result. */
export interface EngineMethods {
  ping: { params: Record<string, never>; result: { time: number; pid: number } };
  train: { params: TrainParams; result: { runDir: string; info: RunInfo; skipped: string } };
  resume: { params: ResumeParams; result: { runDir: string; info: RunInfo; skipped: string } };
  /** Stops the running training after its current step (with a checkpoint). */
  stop: { params: { runDir?: string }; result: { stopped: boolean } };
  /** Streams `generated` events while it runs (onnxruntime; the engine stays free to train). */
  generate: { params: GenerateParams; result: GenerateResult };
  stopGeneration: { params: { requestId: string }; result: { stopped: boolean } };
  /** Writes the run's model.onnx (or `out`) from its newest checkpoint. */
  export: { params: { runDir: string; out?: string }; result: { file: string } };
}

export type EngineMethod = keyof EngineMethods;

export interface EngineRequest<M extends EngineMethod = EngineMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: EngineMethods[M]['params'];
}

export type EngineErrorCode = 'invalid' | 'busy' | 'failed';

export type EngineResponse =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: { code: EngineErrorCode; message: string } };

export type StepRecord = Extract<MetricsRecord, { kind: 'step' }>;
export type EvalRecord = Extract<MetricsRecord, { kind: 'eval' }>;

export type EngineEvent =
  | { kind: 'event'; event: 'step'; runDir: string; record: StepRecord; progress: RunInfo['progress'] }
  | { kind: 'event'; event: 'eval'; runDir: string; record: EvalRecord }
  | { kind: 'event'; event: 'sample'; runDir: string; record: SampleRecord }
  | { kind: 'event'; event: 'checkpoint'; runDir: string; path: string; step: number }
  | { kind: 'event'; event: 'finished'; runDir: string; status: Exclude<RunStatus, 'running'>; message?: string; info: RunInfo }
  | { kind: 'event'; event: 'generated'; requestId: string; text: string }
  | { kind: 'event'; event: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type EngineMessage = EngineResponse | EngineEvent;

const modelCheck = shape({
  cell: oneOf(...CELL_TYPES),
  layers: int,
  hidden: int,
  embedding: int,
  dropout: num,
  bidirectional: bool,
});

const trainingCheck = shape({
  resolution: oneOf('char', 'token'),
  seqLength: int,
  batchSize: int,
  steps: int,
  epochs: optional(num),
  optimizer: oneOf(...OPTIMIZERS),
  learningRate: num,
  lrDecay: num,
  lrDecayEvery: int,
  clipMode: oneOf(...CLIP_MODES),
  clipValue: num,
  evalEvery: int,
  sampleEvery: int,
  checkpointEvery: int,
  seed: int,
  validationFraction: num,
  minTokenCount: int,
  maxFileBytes: int,
});

const paramChecks: { [M in EngineMethod]: Check } = {
  ping: shape({}),
  train: shape({
    inputs: arrayOf(str, 100_000),
    include: optional(arrayOf(str)),
    exclude: optional(arrayOf(str)),
    model: modelCheck,
    training: trainingCheck,
    outDir: str,
    backend: oneOf(...BACKENDS),
  }),
  resume: shape({ runDir: str, steps: optional(int), backend: oneOf(...BACKENDS) }),
  stop: shape({ runDir: optional(str) }),
  generate: shape({
    requestId: str,
    source: (v, p) => (isRecord(v) && typeof v.runDir === 'string' ? shape({ runDir: str })(v, p) : shape({ onnxFile: str })(v, p)),
    prime: str,
    length: int,
    temperature: num,
    topK: int,
    seed: int,
  }),
  stopGeneration: shape({ requestId: str }),
  export: shape({ runDir: str, out: optional(str) }),
};

/** Validates a request received by the engine; returns the problem in words, or undefined. */
export function checkEngineRequest(value: unknown): string | undefined {
  if (!isRecord(value) || value.kind !== 'request') return 'not a request';
  if (!Number.isSafeInteger(value.id)) return 'request id must be a whole number';
  if (typeof value.method !== 'string' || !(value.method in paramChecks)) return `unknown method ${JSON.stringify(value.method)}`;
  return paramChecks[value.method as EngineMethod](value.params, 'params');
}

/** A cheap structural check of messages received by the host (the engine is our own code, but a crash can garble output). */
export function isEngineMessage(value: unknown): value is EngineMessage {
  if (!isRecord(value)) return false;
  if (value.kind === 'response') return Number.isSafeInteger(value.id) && typeof value.ok === 'boolean';
  return value.kind === 'event' && typeof value.event === 'string';
}
