import type { Window } from '../../core/batching';
import type { WindowSource } from '../../core/tasks/taskBatching';
import type { GradFlowRecord, MetricsRecord, RunInfo, SampleRecord, TaskEvalRecord } from '../../core/runFormat';
import type { RunFolder } from '../../core/runStore';
import type { Vocabulary } from '../../core/vocabulary';
import type { RecurrentModel, RecurrentState } from '../model';
import type * as tf from '../tfjs';
import type { StepRunner } from './stepRunner';

/** Everything a training run needs, already built and validated. */
export interface TrainingJob {
  run: RunFolder;
  info: RunInfo;
  model: RecurrentModel;
  optimizer: tf.Optimizer;
  vocab: Vocabulary;
  /** The language model's streams (StreamBatcher) or a task's batches (core/tasks/taskBatching.ts). */
  batcher: WindowSource;
  validation: Window[];
  /** The gradient-flow probe's fixed held-out window (gradientFlow.ts); undefined when the validation text is too short. */
  gradFlowWindow?: Window;
  /** Steps already done (0 for a fresh run). */
  startStep: number;
  /** Hidden state carried in from a checkpoint, if any. */
  state: RecurrentState | undefined;
  /** Computes each step's gradients (fused kernels or tfjs ops). */
  runner: StepRunner;
}

export type StepRecord = Extract<MetricsRecord, { kind: 'step' }>;
export type EvalRecord = Extract<MetricsRecord, { kind: 'eval' }>;

/** What the loop reports as it goes (the engine forwards these to the host, the CLI prints them). */
export interface TrainerEvents {
  onStep?(record: StepRecord, info: RunInfo): void;
  onEval?(record: EvalRecord): void;
  /** A tagger's or classifier's evaluation (after its onEval). */
  onTaskEval?(record: TaskEvalRecord): void;
  onSample?(record: SampleRecord): void;
  onCheckpoint?(path: string, step: number): void;
  /** One gradient-flow measurement: a record per layer. */
  onGradFlow?(records: GradFlowRecord[]): void;
}

export type TrainStatus = 'completed' | 'cancelled' | 'failed';

export interface TrainOutcome {
  status: TrainStatus;
  info: RunInfo;
  message?: string;
}

/** The loop as a hook sees it after a step. */
export interface LoopView {
  readonly job: TrainingJob;
  /** The live run description; hooks may update its progress and write it. */
  readonly info: RunInfo;
  readonly events: TrainerEvents;
  /** Steps completed. */
  readonly step: number;
  /** True after the run's final step. */
  readonly last: boolean;
  /** The hidden state carried into the next window. */
  readonly state: RecurrentState | undefined;
}

/**
 * Work done between steps, in order: evaluation, samples, checkpoints. A new
 * measurement (an experiment's probe) or a task's metric is one more hook.
 */
export interface LoopHook {
  afterStep(loop: LoopView): Promise<void>;
}
