import { TASK_KINDS, type TaskKind } from './tasks/taskData';

/** Characters (Unicode code points) or code tokens. */
export type Resolution = 'char' | 'token';

export type CellType = 'rnn' | 'lstm' | 'gru';
export type ClipMode = 'norm' | 'value' | 'none';
export type OptimizerName = 'adam' | 'rmsprop' | 'sgd';
/** `fused`: our WebAssembly training kernels (src/engine/fused) with tfjs wasm (or cpu) for the rest; `wasm`/`cpu`/`node`: tfjs ops only. */
export type BackendPreference = 'auto' | 'node' | 'fused' | 'wasm' | 'cpu';

export const CELL_TYPES: readonly CellType[] = ['rnn', 'lstm', 'gru'];
export const CLIP_MODES: readonly ClipMode[] = ['norm', 'value', 'none'];
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'rmsprop', 'sgd'];
export const BACKENDS: readonly BackendPreference[] = ['auto', 'node', 'fused', 'wasm', 'cpu'];
/** Most worker threads the fused kernels may use. */
export const MAX_TRAINING_THREADS = 8;
export const MAX_LAYERS = 4;
export const MAX_HIDDEN = 2048;
/** Largest file a corpus reads (rnnLab.maxFileBytes, --max-file-bytes): 100 MB of text is already hours of training. */
export const MAX_FILE_BYTES = 100_000_000;

/** The architecture: enough to rebuild the model's variables. Stored in run.json and ONNX metadata. */
export interface ModelSpec {
  cell: CellType;
  layers: number;
  hidden: number;
  /** Embedding width; 0 means one-hot input. */
  embedding: number;
  /** Dropout probability between layers (training only). */
  dropout: number;
  vocabSize: number;
  /** Bidirectional layers see the future: only for tagging and classification, never a language model. */
  bidirectional: boolean;
  /** What the output layer predicts (docs/architecture.md, "Tasks"): absent in older runs, which are language models. */
  task?: TaskKind;
  /** Tag or class count for `tag` and `classify` (the output layer's width); a language model predicts its vocabulary. */
  classes?: number;
  /** How a classifier reads the sequence: the final states of both directions, or the mean of the top layer's outputs. */
  pooling?: Pooling;
}

export type Pooling = 'last' | 'mean';
export const POOLINGS: readonly Pooling[] = ['last', 'mean'];

/** The task of a spec; older specs without one are language models. */
export function taskOf(spec: Pick<ModelSpec, 'task'>): TaskKind {
  return spec.task ?? 'lm';
}

/** The output layer's width: the vocabulary for a language model, the tags or classes otherwise. */
export function outputSize(spec: ModelSpec): number {
  return taskOf(spec) === 'lm' ? spec.vocabSize : spec.classes!;
}

/** How to train: everything that is not the architecture. */
export interface TrainingSpec {
  resolution: Resolution;
  seqLength: number;
  batchSize: number;
  /** Total optimizer steps; when `epochs` is set it is derived from the data. */
  steps: number;
  epochs?: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** Multiply the learning rate by this factor every `lrDecayEvery` steps (1 = no decay). */
  lrDecay: number;
  lrDecayEvery: number;
  clipMode: ClipMode;
  /** Threshold: the global norm τ for `norm`, the element bound for `value`. */
  clipValue: number;
  evalEvery: number;
  sampleEvery: number;
  checkpointEvery: number;
  seed: number;
  validationFraction: number;
  /** Token resolution: whole tokens seen fewer times are spelled by characters. */
  minTokenCount: number;
  maxFileBytes: number;
  /**
   * Gradient flow through time (docs/architecture.md, "Gradient flow"): probe every this many
   * steps; absent means at each evaluation (`evalEvery`), 0 means never. Absent in older runs.
   */
  gradFlowEvery?: number;
  /** The probe's window length T; absent means the sequence length, at most MAX_GRAD_FLOW_LENGTH. */
  gradFlowLength?: number;
  /** Tag and classify data (docs/architecture.md, "Tasks"): how labels are found; absent for language models. */
  data?: TaskDataSpec;
}

/** Where a tagger's or classifier's labels come from. */
export interface TaskDataSpec {
  /** `extension`: label source files by their language (classify); absent: by the data's own labels, or code tags (tag). */
  labels?: 'extension';
  /** The data files' format, when their extension does not say it; `folders`: one sub-folder per class. */
  format?: TaskDataFormat;
  /** Lines per snippet when classifying source files by language. */
  snippetLines?: number;
}

export type TaskDataFormat = 'conllu' | 'conll' | 'jsonl' | 'csv' | 'folders';
export const TASK_DATA_FORMATS: readonly TaskDataFormat[] = ['conllu', 'conll', 'jsonl', 'csv', 'folders'];
export const MAX_SNIPPET_LINES = 10_000;
export const MAX_CLASSES = 10_000;

/** The longest window the gradient-flow probe measures. */
export const MAX_GRAD_FLOW_LENGTH = 512;

/** How often the gradient-flow probe runs (0: never), with old and new run.json files alike. */
export function gradFlowInterval(spec: TrainingSpec): number {
  return spec.gradFlowEvery ?? spec.evalEvery;
}

/** The probe's window length T. */
export function gradFlowLength(spec: TrainingSpec): number {
  return spec.gradFlowLength ?? Math.min(spec.seqLength, MAX_GRAD_FLOW_LENGTH);
}

export const DEFAULT_MODEL: Omit<ModelSpec, 'vocabSize'> = {
  cell: 'lstm',
  layers: 2,
  hidden: 128,
  embedding: 0,
  dropout: 0,
  bidirectional: false,
};

export const DEFAULT_TRAINING: TrainingSpec = {
  resolution: 'char',
  seqLength: 64,
  batchSize: 32,
  steps: 1000,
  optimizer: 'adam',
  learningRate: 2e-3,
  lrDecay: 1,
  lrDecayEvery: 1000,
  clipMode: 'norm',
  clipValue: 5,
  evalEvery: 100,
  sampleEvery: 200,
  checkpointEvery: 200,
  seed: 1,
  validationFraction: 0.05,
  minTokenCount: 2,
  maxFileBytes: 1_000_000,
};

export class SpecError extends Error {}

/** Checks an architecture and returns it, or throws a SpecError naming the bad field. */
export function validateModelSpec(spec: ModelSpec): ModelSpec {
  if (!CELL_TYPES.includes(spec.cell)) throw new SpecError(`cell must be one of ${CELL_TYPES.join(', ')}; got "${spec.cell}"`);
  checkInt('layers', spec.layers, 1, MAX_LAYERS);
  checkInt('hidden', spec.hidden, 1, MAX_HIDDEN);
  checkInt('embedding', spec.embedding, 0, 4096);
  if (!(spec.dropout >= 0 && spec.dropout < 1)) throw new SpecError(`dropout must be in [0, 1); got ${spec.dropout}`);
  checkInt('vocabSize', spec.vocabSize, 2, 1_000_000);
  if (typeof spec.bidirectional !== 'boolean') throw new SpecError('bidirectional must be true or false');
  validateTask(spec);
  return spec;
}

function validateTask(spec: ModelSpec): void {
  const task = taskOf(spec);
  if (!TASK_KINDS.includes(task)) throw new SpecError(`task must be one of ${TASK_KINDS.join(', ')}; got "${String(task)}"`);
  if (task === 'lm') {
    // A bidirectional language model is a valid spec (the ONNX and model tests build them); training refuses it (trainingRun.ts).
    if (spec.classes !== undefined || spec.pooling !== undefined) throw new SpecError('classes and pooling are for --task tag and classify');
    return;
  }
  if (spec.classes !== undefined) checkInt('classes', spec.classes, 2, MAX_CLASSES);
  if (spec.pooling !== undefined && (task !== 'classify' || !POOLINGS.includes(spec.pooling)))
    throw new SpecError(`pooling is for --task classify and must be one of ${POOLINGS.join(', ')}; got "${String(spec.pooling)}"`);
}

/** The task fields a trained model needs: its class count (known once the labels are read). */
export function requireClasses(spec: ModelSpec): ModelSpec {
  if (taskOf(spec) !== 'lm' && spec.classes === undefined) throw new SpecError(`a ${taskOf(spec)} model needs its class count`);
  return spec;
}

function validateTaskData(data: TaskDataSpec): void {
  if (data.labels !== undefined && data.labels !== 'extension') throw new SpecError(`labels must be "extension"; got "${String(data.labels)}"`);
  if (data.format !== undefined && !TASK_DATA_FORMATS.includes(data.format))
    throw new SpecError(`format must be one of ${TASK_DATA_FORMATS.join(', ')}; got "${String(data.format)}"`);
  if (data.snippetLines !== undefined) checkInt('snippet lines', data.snippetLines, 1, MAX_SNIPPET_LINES);
}

export function validateTrainingSpec(spec: TrainingSpec): TrainingSpec {
  if (spec.resolution !== 'char' && spec.resolution !== 'token') throw new SpecError(`resolution must be char or token; got "${String(spec.resolution)}"`);
  checkInt('seq', spec.seqLength, 1, 10_000);
  checkInt('batch', spec.batchSize, 1, 4096);
  checkInt('steps', spec.steps, 1, 100_000_000);
  if (spec.epochs !== undefined && !(spec.epochs > 0 && Number.isFinite(spec.epochs)))
    throw new SpecError(`epochs must be a positive number; got ${spec.epochs}`);
  if (!OPTIMIZERS.includes(spec.optimizer)) throw new SpecError(`optimizer must be one of ${OPTIMIZERS.join(', ')}; got "${spec.optimizer}"`);
  checkPositive('lr', spec.learningRate);
  if (!(spec.lrDecay > 0 && spec.lrDecay <= 1)) throw new SpecError(`lr decay must be in (0, 1]; got ${spec.lrDecay}`);
  checkInt('lr decay every', spec.lrDecayEvery, 1, Number.MAX_SAFE_INTEGER);
  if (!CLIP_MODES.includes(spec.clipMode)) throw new SpecError(`clip mode must be one of ${CLIP_MODES.join(', ')}; got "${spec.clipMode}"`);
  checkPositive('clip', spec.clipValue);
  checkInt('eval-every', spec.evalEvery, 1, Number.MAX_SAFE_INTEGER);
  checkInt('sample-every', spec.sampleEvery, 1, Number.MAX_SAFE_INTEGER);
  checkInt('checkpoint-every', spec.checkpointEvery, 1, Number.MAX_SAFE_INTEGER);
  checkInt('seed', spec.seed, 0, 2 ** 32 - 1);
  if (!(spec.validationFraction >= 0 && spec.validationFraction < 1))
    throw new SpecError(`validation fraction must be in [0, 1); got ${spec.validationFraction}`);
  checkInt('min token count', spec.minTokenCount, 1, Number.MAX_SAFE_INTEGER);
  checkInt('max file bytes', spec.maxFileBytes, 1, MAX_FILE_BYTES);
  if (spec.gradFlowEvery !== undefined) checkInt('grad-flow-every', spec.gradFlowEvery, 0, Number.MAX_SAFE_INTEGER);
  if (spec.gradFlowLength !== undefined) checkInt('grad-flow-length', spec.gradFlowLength, 1, MAX_GRAD_FLOW_LENGTH);
  if (spec.data !== undefined) validateTaskData(spec.data);
  return spec;
}

/** Trainable parameters of a model: embedding, per layer and direction W, U and b, and the output layer. */
export function parameterCount(spec: ModelSpec): number {
  const G = gateCount(spec.cell);
  const H = spec.hidden;
  const directions = spec.bidirectional ? 2 : 1;
  let n = spec.embedding > 0 ? spec.vocabSize * spec.embedding : 0;
  for (let l = 0; l < spec.layers; l++) {
    const inputs = l === 0 ? spec.embedding || spec.vocabSize : H * directions;
    n += directions * (inputs * G * H + H * G * H + G * H);
  }
  return n + H * directions * outputSize(spec) + outputSize(spec);
}

/** Number of gate blocks a cell's weight matrices hold (LSTM i,f,c,o; GRU z,r,h). */
export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SpecError(`${name} must be an integer from ${min} to ${max}; got ${value}`);
  }
}

function checkPositive(name: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) throw new SpecError(`${name} must be a positive number; got ${value}`);
}
