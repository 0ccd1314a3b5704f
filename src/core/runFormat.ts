import type { ModelSpec, TrainingSpec } from './spec';
import type { ClassMetrics, ConfusionMatrix } from './tasks/metrics';
import type { TaskDataSource } from './tasks/taskData';
/** Why a file was left out of a corpus. */
export type SkipReason = 'binary' | 'invalid-utf8' | 'too-large' | 'empty' | 'ignored' | 'unreadable';

/**
 * The files of a run folder (docs/architecture.md, "Run folders"), shared by the engine
 * that writes them and the extension and CLI that read them.
 */
export const RUN_FILES = {
  info: 'run.json',
  vocab: 'vocab.json',
  metrics: 'metrics.jsonl',
  samples: 'samples.jsonl',
  checkpoints: 'checkpoints',
  onnx: 'model.onnx',
  gradFlow: 'gradflow.jsonl',
  /** The writer's lock (core/runLock.ts): present while a process trains or changes the run. */
  lock: 'run.lock',
  /** Written only by `rnn-lab export --quantize int8` (not kept up to date by training). */
  onnxInt8: 'model.int8.onnx',
} as const;

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface CorpusSummary {
  inputs: string[];
  /** Filters applied while walking folders (a resumed run reads the same files). */
  include?: string[];
  exclude?: string[];
  documents: number;
  trainDocuments: number;
  validationDocuments: number;
  trainTokens: number;
  validationTokens: number;
  characters: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** The first skipped files with their reasons (the full count is in `skipped`). */
  skippedExamples: { path: string; reason: SkipReason }[];
  /** The documents read (`CorpusDocument.path`s): a resumed run reads these and no others. Absent in older runs. */
  files?: string[];
  /** SHA-256 (first 32 hex digits) of the encoded training and validation tokens: resuming checks the text is the same. Absent in older runs. */
  fingerprint?: string;
}

export interface BackendInfo {
  /** tfjs backend name: `tensorflow` (tfjs-node or tfjs-node-gpu), `wasm` or `cpu`. */
  name: string;
  /** For `tensorflow`: the package that provided it (`@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`). */
  module?: string;
  /** Native packages that are installed but did not load (each with its first error line), tried before `module`. */
  moduleFailures?: string[];
  simd?: boolean;
  /** True when transposed matMuls are rewritten to the fast wasm path (docs/architecture.md, "Measured facts behind the design"). */
  matMulPatched?: boolean;
  /** Which code computed the gradients: the fused WebAssembly kernels or tfjs ops. Absent in runs made before the kernels. */
  training?: TrainingPath;
  /** Worker threads of the fused kernels. */
  threads?: number;
  /** Build of the fused kernels: relaxed SIMD (fused multiply-add) or plain SIMD. */
  fusedSimd?: 'relaxed' | 'plain';
  /** Why the fused kernels were not used although asked for (automatically or by name). */
  notice?: string;
}

export type TrainingPath = 'fused' | 'tfjs';

/** "fused kernels ×2" or "TensorFlow.js wasm": what trained, in a few words (lists, charts). */
export function shortBackendLabel(b: BackendInfo): string {
  if (b.training === 'fused') return `fused kernels ×${b.threads}`;
  return b.name === 'tensorflow' ? `TensorFlow.js native${isGpuModule(b) ? ' GPU' : ''}` : `TensorFlow.js ${b.name}`;
}

/** The GPU build of tfjs-node (named by its suffix: the extension host's bundle must not even mention TensorFlow's packages). */
function isGpuModule(b: BackendInfo): boolean {
  return b.module?.endsWith('-gpu') ?? false;
}

/** "fused kernels (relaxed SIMD), 2 threads (TensorFlow.js wasm for the rest)", for people. */
export function describeBackend(b: BackendInfo): string {
  const native = `native (TensorFlow C library${isGpuModule(b) ? ', GPU build' : ''})`;
  const name = b.name === 'wasm' ? `wasm${b.simd ? ' (SIMD)' : ''}` : b.name === 'tensorflow' ? native : b.name;
  if (b.training !== 'fused') return `TensorFlow.js ${name}`;
  const simd = b.fusedSimd === 'relaxed' ? 'relaxed SIMD' : 'SIMD';
  return `fused kernels (${simd}), ${b.threads} thread${b.threads === 1 ? '' : 's'} (TensorFlow.js ${name} for the rest)`;
}

export interface RunInfo {
  format: 'rnnlab-run';
  version: 1;
  id: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  model: ModelSpec;
  training: TrainingSpec;
  corpus: CorpusSummary;
  backend: BackendInfo;
  progress: {
    step: number;
    totalSteps: number;
    epoch: number;
    lastLoss?: number;
    bestValLoss?: number;
    /** Training throughput over the last session, tokens per second. */
    charsPerSec?: number;
  };
  /** Milliseconds spent in training steps and, apart from them, in the gradient-flow probe. */
  timings: { trainingMs: number; startedAt: string; finishedAt?: string; gradFlowMs?: number };
  /** Relative path of the newest good checkpoint, if any. */
  checkpoint?: string;
  /** Why the run stopped, for `failed` and `cancelled`. */
  message?: string;
  resumedAt?: number[];
  /** Set when the run stopped because a step's loss or gradient norm was NaN or infinite (that step was not applied). */
  nonFinite?: NonFiniteStop;
  /** A tagger's or classifier's labels and data (absent for language models). */
  task?: TaskSummary;
}

/** What run.json records of a tagging or classification run (docs/architecture.md, "Tasks"). */
export interface TaskSummary {
  kind: 'tag' | 'classify';
  /** The class names; class id i is `labels[i]` (the output layer's order). */
  labels: string[];
  /** A tagger's tokens: characters (code tags) or words (CoNLL). */
  level?: 'char' | 'word';
  source: TaskDataSource;
  /** Examples: files (code tags), sentences (CoNLL), texts or snippets (classify). */
  trainExamples: number;
  validationExamples: number;
  /**
   * Set when each evaluation reads only an even spread of the held-out set (its cost is capped):
   * the examples a classifier's evaluation reads, in each class's proportion, or the tokens a
   * tagger's reads.
   */
  evaluatedExamples?: number;
  evaluatedTokens?: number;
  /** Per label, examples (classify) or tokens (tag) in each split. */
  trainCounts: Record<string, number>;
  validationCounts: Record<string, number>;
  /** The imbalance warning shown at the start, if any. */
  imbalance?: string;
  /** Tokens per window (tag) or most tokens read of an example (classify): prediction reads the same. */
  window: number;
  /** The newest evaluation's figures. */
  latest?: { step: number; accuracy: number; macroF1: number };
}

/** The step a run stopped at on a non-finite loss or gradient; JSON keeps NaN and ±Infinity as null. */
export interface NonFiniteStop {
  /** The step that was attempted (one past the last applied step). */
  step: number;
  loss: number | null;
  gradNorm: number | null;
}

/** A line of metrics.jsonl: a training step, or an evaluation. Losses in nats per token. */
export type MetricsRecord =
  | { kind: 'step'; step: number; epoch: number; loss: number; gradNorm: number; clippedGradNorm: number; lr: number; charsPerSec: number; time: number }
  | { kind: 'eval'; step: number; valLoss: number; time: number }
  | TaskEvalRecord;

/**
 * A tagger's or classifier's evaluation on the held-out split (beside its `eval` line with the
 * same valLoss): accuracy, macro-F1, per-class figures in the order of `run.json`'s `task.labels`,
 * and the confusion matrix, confusion[truth][predicted], counted in tokens (tag) or examples (classify).
 */
export interface TaskEvalRecord {
  kind: 'taskEval';
  step: number;
  valLoss: number;
  accuracy: number;
  macroF1: number;
  classes: ClassMetrics[];
  confusion: ConfusionMatrix;
  time: number;
}

/**
 * A line of gradflow.jsonl: one layer's gradient flow through time at a step,
 * on the run's fixed probe window of length T. Index k holds the norm at
 * distance k from the window's end (k = 0 is t = T): `lastLoss` of
 * ‖∂L_T/∂h_t‖ (the loss at the last position only), `windowLoss` of ‖∂L/∂h_t‖
 * (the whole window's loss). Norms over the window's streams and units.
 */
export interface GradFlowRecord {
  step: number;
  layer: number;
  lastLoss: (number | null)[];
  windowLoss: (number | null)[];
}

/** A line of samples.jsonl. */
export interface SampleRecord {
  step: number;
  temperature: number;
  prime: string;
  text: string;
  time: number;
}
