/**
 * Messages between the extension host and the engine process (docs/architecture.md,
 * "Processes"). Requests carry an id and get one
 * response; events stream from the engine while a training runs. Both sides
 * validate what they receive with the checks below.
 */
import { MODEL_PRECISIONS, type ModelPrecision } from '../core/precision';
import type { GradFlowRecord, MetricsRecord, RunInfo, RunStatus, SampleRecord, TaskEvalRecord } from '../core/runFormat';
import { predictParamsCheck, taskDataCheck, taskModelFields, type PredictParams, type PredictResult } from './tasks';
import { tagTextParamsCheck, type TagTextParams, type TagTextResult } from './tagText';
import { EXPERIMENT_KINDS, type ExperimentInfo, type ExperimentKind, type ExperimentStatus } from '../core/experiments/experimentFormat';
import type { ExperimentOptions } from '../core/experiments/experimentPlan';
import { BACKENDS, CELL_TYPES, CLIP_MODES, MAX_TRAINING_THREADS, OPTIMIZERS, type BackendPreference, type ModelSpec, type TrainingSpec } from '../core/spec';
import {
  NEURON_KINDS,
  type ActivationRangeParams,
  type ActivationRangeResult,
  type HoverInfoParams,
  type HoverInfoResult,
  type OpenDocumentParams,
  type OpenDocumentResult,
  type UpdateDocumentParams,
  type UpdateDocumentResult,
} from './activations';
import { arrayOf, bool, int, isRecord, num, oneOf, optional, shape, str, type Check } from './guards';
import { MAX_DOCUMENT_LENGTH, MAX_GENERATE_COUNT } from './limits';
import { modelSourceCheck, type ModelSource } from './modelSource';
import {
  MAX_TOP_NEURONS,
  type MatchSelectionParams,
  type MatchSelectionResult,
  type NeuronTraceParams,
  type NeuronTraceResult,
  type RankNeuronsParams,
  type RankNeuronsResult,
} from './neurons';

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
  /** Worker threads for the fused kernels (default: 2, or 1 when only one core is free). */
  threads?: number;
  /**
   * Restricted Mode: the workspace folders. The run folder and every file read
   * must lie inside them after resolving symlinks.
   */
  confineTo?: string[];
}

/** An experiment (docs/architecture.md, "Experiment folders"): its kind, files and options; the engine plans the members. */
export interface ExperimentParams {
  kind: ExperimentKind;
  inputs: string[];
  include?: string[];
  exclude?: string[];
  /** Parent folder of the experiment folder (the runs directory). */
  outDir: string;
  options: ExperimentOptions;
  backend: BackendPreference;
  threads?: number;
  /** Restricted Mode: as for `train`, the folders every file read and written must lie in (real paths). */
  confineTo?: string[];
}

export interface ResumeExperimentParams {
  dir: string;
  backend: BackendPreference;
  threads?: number;
}

export interface ResumeParams {
  runDir: string;
  /** A new total step count (to train further than planned). */
  steps?: number;
  backend: BackendPreference;
  threads?: number;
  /** Resume although the training files changed since the run started (error code 'corpusChanged' otherwise). */
  allowChangedCorpus?: boolean;
}

export interface GenerateParams {
  /** Chosen by the host; names the stream of `generated` events and the `stopGeneration` target. */
  requestId: string;
  source: ModelSource;
  prime: string;
  length: number;
  temperature: number;
  topK: number;
  seed: number;
  /** Continuations of the prime, generated in one batch (default 1); continuation i draws with seed + i. */
  count?: number;
  /** `int8` runs the model quantized (a float file is quantized in memory); otherwise as stored. */
  precision?: ModelPrecision;
}

export interface GenerateResult {
  /** One text per continuation. */
  texts: string[];
  /** Tokens per continuation. */
  tokens: number;
  /** Characters per second over all continuations. */
  charsPerSec: number;
  /** True when stopGeneration ended it early. */
  stopped: boolean;
  /** What the model ran at. */
  precision: ModelPrecision;
}

/** Each request's parameters and result. */
export interface EngineMethods {
  ping: { params: Record<string, never>; result: { time: number; pid: number } };
  train: { params: TrainParams; result: { runDir: string; info: RunInfo; skipped: string } };
  resume: { params: ResumeParams; result: { runDir: string; info: RunInfo; skipped: string } };
  /** Runs an experiment's members one after another (one training slot, like `train`); `experimentMember` and `experimentFinished` events follow. */
  experiment: { params: ExperimentParams; result: { dir: string; info: ExperimentInfo } };
  /** Continues a stopped experiment: the member it stopped in, then the ones not begun (or deleted). */
  resumeExperiment: { params: ResumeExperimentParams; result: { dir: string; info: ExperimentInfo } };
  /** Stops the running training after its current step (with a checkpoint); a running experiment stops with it. */
  stop: { params: { runDir?: string }; result: { stopped: boolean } };
  /** Streams `generated` events while it runs (onnxruntime; the engine stays free to train). */
  generate: { params: GenerateParams; result: GenerateResult };
  stopGeneration: { params: { requestId: string }; result: { stopped: boolean } };
  /** Writes the run's model.onnx (or `out`) from its newest checkpoint. */
  export: { params: { runDir: string; out?: string }; result: { file: string } };
  /** Opens a text for activations under the host's id (replacing one of the same id); see protocol/activations.ts. */
  openDocument: { params: OpenDocumentParams; result: OpenDocumentResult };
  /** Replaces an open document's text; activations before the first change are kept. */
  updateDocument: { params: UpdateDocumentParams; result: UpdateDocumentResult };
  closeDocument: { params: { documentId: string }; result: { closed: boolean } };
  /** One neuron's value at every token covering a range (code 'stale' when the text changed since `version`). */
  activationRange: { params: ActivationRangeParams; result: ActivationRangeResult };
  /** What a hover shows at one offset (code 'stale' when the text changed since `version`). */
  hoverInfo: { params: HoverInfoParams; result: HoverInfoResult };
  /** Features × top neurons (AUC or r) and gate saturation over a text; see protocol/neurons.ts. */
  rankNeurons: { params: RankNeuronsParams; result: RankNeuronsResult };
  /** LSTMVis select-and-match: the neurons that set a selection apart, and other spans where they fire together. */
  matchSelection: { params: MatchSelectionParams; result: MatchSelectionResult };
  /** One neuron's value at every character of (a window of) a text. */
  neuronTrace: { params: NeuronTraceParams; result: NeuronTraceResult };
  /** A tagger's tags or a classifier's labels for texts (protocol/tasks.ts; `rnn-lab predict --json`'s shape). */
  predict: { params: PredictParams; result: PredictResult };
  /** A tagger's classes and probabilities at every token of a text, and the parser's truth (the editor's tag overlay; protocol/tagText.ts). */
  tagText: { params: TagTextParams; result: TagTextResult };
}

export type EngineMethod = keyof EngineMethods;

export interface EngineRequest<M extends EngineMethod = EngineMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: EngineMethods[M]['params'];
}

/**
 * 'stale': the document changed since the version the request named; the host asks again for the new text.
 * 'corpusChanged': a resume found other training files than the run's; the host may ask and resume with allowChangedCorpus.
 */
export type EngineErrorCode = 'invalid' | 'busy' | 'failed' | 'stale' | 'corpusChanged';

export type EngineResponse =
  { kind: 'response'; id: number; ok: true; result: unknown } | { kind: 'response'; id: number; ok: false; error: { code: EngineErrorCode; message: string } };

export type StepRecord = Extract<MetricsRecord, { kind: 'step' }>;
export type EvalRecord = Extract<MetricsRecord, { kind: 'eval' }>;

export type EngineEvent =
  | { kind: 'event'; event: 'step'; runDir: string; record: StepRecord; progress: RunInfo['progress'] }
  | { kind: 'event'; event: 'eval'; runDir: string; record: EvalRecord }
  /** A tagger's or classifier's evaluation (after its `eval`): protocol/tasks.ts. */
  | { kind: 'event'; event: 'taskEval'; runDir: string; record: TaskEvalRecord }
  | { kind: 'event'; event: 'sample'; runDir: string; record: SampleRecord }
  | { kind: 'event'; event: 'checkpoint'; runDir: string; path: string; step: number }
  /** A gradient-flow measurement: one record per layer (docs/architecture.md, "Gradient flow"). */
  | { kind: 'event'; event: 'gradFlow'; runDir: string; records: GradFlowRecord[] }
  /** An experiment's member starts (or resumes) training in `runDir`; its own events and `finished` follow. */
  | { kind: 'event'; event: 'experimentMember'; dir: string; runDir: string; index: number; total: number; label: string; info: RunInfo; resumed: boolean }
  | { kind: 'event'; event: 'experimentFinished'; dir: string; status: Exclude<ExperimentStatus, 'running'>; message?: string; info: ExperimentInfo }
  | { kind: 'event'; event: 'finished'; runDir: string; status: Exclude<RunStatus, 'running'>; message?: string; info: RunInfo }
  /** New text of each continuation (index i: continuation i; empty when it has none yet). */
  | { kind: 'event'; event: 'generated'; requestId: string; texts: string[] }
  | { kind: 'event'; event: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type EngineMessage = EngineResponse | EngineEvent;

const modelCheck = shape({
  cell: oneOf(...CELL_TYPES),
  layers: int,
  hidden: int,
  embedding: int,
  dropout: num,
  bidirectional: bool,
  ...taskModelFields,
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
  gradFlowEvery: optional(int),
  gradFlowLength: optional(int),
  data: optional(taskDataCheck),
});

const experimentOptionsCheck = shape({
  steps: optional(int),
  seed: optional(int),
  hidden: optional(int),
  layers: optional(int),
  seq: optional(int),
  batch: optional(int),
  cell: optional(oneOf(...CELL_TYPES)),
  optimizer: optional(oneOf(...OPTIMIZERS)),
  lr: optional(num),
  clip: optional(num),
  clipValue: optional(num),
  sizing: optional(oneOf('hidden', 'parameters')),
  evalEvery: optional(int),
  checkpointEvery: optional(int),
  gradFlowEvery: optional(int),
  maxFileBytes: optional(int),
});

const documentId: Check = (v, p) =>
  typeof v === 'string' && v.length > 0 && v.length <= 200 ? undefined : `${p} must be a non-empty string of at most 200 characters`;
const documentText: Check = (v, p) =>
  typeof v !== 'string' ? `${p} must be a string` : v.length > MAX_DOCUMENT_LENGTH ? `${p} is longer than ${MAX_DOCUMENT_LENGTH} characters` : undefined;
const offset: Check = (v, p) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : `${p} must be a whole number ≥ 0`);
const neuronFields = { layer: offset, kind: oneOf(...NEURON_KINDS), unit: offset, direction: optional(oneOf('backward')) };
const languageName: Check = (v, p) => (typeof v === 'string' && v.length <= 200 ? undefined : `${p} must be a string of at most 200 characters`);
const topNeurons: Check = (v, p) =>
  Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_TOP_NEURONS ? undefined : `${p} must be a whole number from 1 to ${MAX_TOP_NEURONS}`;

const generateCount: Check = (v, p) =>
  Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_GENERATE_COUNT
    ? undefined
    : `${p} must be a whole number from 1 to ${MAX_GENERATE_COUNT}`;

const trainingThreads: Check = (v, p) =>
  Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_TRAINING_THREADS
    ? undefined
    : `${p} must be a whole number from 1 to ${MAX_TRAINING_THREADS}`;

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
    threads: optional(trainingThreads),
    confineTo: optional(arrayOf(str, 1000)),
  }),
  resume: shape({
    runDir: str,
    steps: optional(int),
    backend: oneOf(...BACKENDS),
    threads: optional(trainingThreads),
    allowChangedCorpus: optional(bool),
  }),
  experiment: shape({
    kind: oneOf(...EXPERIMENT_KINDS),
    inputs: arrayOf(str, 100_000),
    include: optional(arrayOf(str)),
    exclude: optional(arrayOf(str)),
    outDir: str,
    options: experimentOptionsCheck,
    backend: oneOf(...BACKENDS),
    threads: optional(trainingThreads),
    confineTo: optional(arrayOf(str, 1000)),
  }),
  resumeExperiment: shape({ dir: str, backend: oneOf(...BACKENDS), threads: optional(trainingThreads) }),
  stop: shape({ runDir: optional(str) }),
  generate: shape({
    requestId: str,
    source: modelSourceCheck,
    prime: str,
    length: int,
    temperature: num,
    topK: int,
    seed: int,
    count: optional(generateCount),
    precision: optional(oneOf(...MODEL_PRECISIONS)),
  }),
  stopGeneration: shape({ requestId: str }),
  export: shape({ runDir: str, out: optional(str) }),
  openDocument: shape({ documentId, source: modelSourceCheck, text: documentText }),
  updateDocument: shape({ documentId, text: documentText }),
  closeDocument: shape({ documentId }),
  activationRange: (v, p) => {
    const problem = shape({ documentId, version: offset, from: offset, to: offset, ...neuronFields })(v, p);
    if (problem) return problem;
    const { from, to } = v as ActivationRangeParams;
    return to < from ? `${p}.to must not be before ${p}.from` : undefined;
  },
  hoverInfo: shape({ documentId, version: optional(offset), offset, ...neuronFields }),
  rankNeurons: shape({ source: modelSourceCheck, text: documentText, language: languageName, top: optional(topNeurons) }),
  matchSelection: (v, p) => {
    const problem = shape({ source: modelSourceCheck, text: documentText, start: offset, end: offset })(v, p);
    if (problem) return problem;
    const { text, start, end } = v as MatchSelectionParams;
    if (end <= start) return `${p}: the selection is empty (end ${end} is not after start ${start})`;
    return end > text.length ? `${p}.end ${end} is past the end of the text (${text.length})` : undefined;
  },
  neuronTrace: (v, p) => {
    const problem = shape({ source: modelSourceCheck, text: documentText, ...neuronFields, start: optional(offset) })(v, p);
    if (problem) return problem;
    const { text, start } = v as NeuronTraceParams;
    return start !== undefined && start > text.length ? `${p}.start ${start} is past the end of the text (${text.length})` : undefined;
  },
  predict: predictParamsCheck,
  tagText: tagTextParamsCheck,
};

/** Validates a request received by the engine; returns the problem in words, or undefined. */
export function checkEngineRequest(value: unknown): string | undefined {
  if (!isRecord(value) || value.kind !== 'request') return 'not a request';
  if (!Number.isSafeInteger(value.id)) return 'request id must be a whole number';
  // Own properties only: `__proto__` or `constructor` must not reach Object.prototype.
  if (typeof value.method !== 'string' || !Object.hasOwn(paramChecks, value.method)) return `unknown method ${JSON.stringify(value.method).slice(0, 100)}`;
  return paramChecks[value.method as EngineMethod](value.params, 'params');
}

/** A cheap structural check of messages received by the host (the engine is our own code, but a crash can garble output). */
export function isEngineMessage(value: unknown): value is EngineMessage {
  if (!isRecord(value)) return false;
  if (value.kind === 'response') return Number.isSafeInteger(value.id) && typeof value.ok === 'boolean';
  return value.kind === 'event' && typeof value.event === 'string';
}
