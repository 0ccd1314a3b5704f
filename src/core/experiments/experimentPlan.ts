/**
 * The lecture's two experiments as member specs: clipping (the same model
 * trained with norm clipping, value clipping and none) and vanishing (RNN,
 * LSTM and GRU on the same data and steps). Pure: the engine calls it once the
 * vocabulary size is known (parameter counts depend on it).
 */
import { DEFAULT_MODEL, DEFAULT_TRAINING, MAX_HIDDEN, parameterCount, type CellType, type OptimizerName, type TrainingSpec } from '../spec';
import type { ExperimentKind, ExperimentSizing, ExperimentVariant, MemberModel } from './experimentFormat';

/** What a user may set; anything absent takes the kind's default below. */
export interface ExperimentOptions {
  steps?: number;
  seed?: number;
  hidden?: number;
  layers?: number;
  seq?: number;
  batch?: number;
  /** Clipping: the cell, optimizer and learning rate of every member. */
  cell?: CellType;
  optimizer?: OptimizerName;
  lr?: number;
  /** Clipping: τ, the global-norm threshold. */
  clip?: number;
  /** Clipping: the element bound of the by-value member (default τ). */
  clipValue?: number;
  /** Vanishing: same hidden size (default) or about the same parameter count as the LSTM. */
  sizing?: ExperimentSizing;
  evalEvery?: number;
  checkpointEvery?: number;
  gradFlowEvery?: number;
  /** Files larger than this are left out (the rnnLab.maxFileBytes setting). */
  maxFileBytes?: number;
}

/**
 * Clipping defaults: a vanilla RNN trained by plain SGD at a learning rate
 * where its gradients explode within a few hundred steps on code; τ = 1.
 */
export const CLIPPING_DEFAULTS = { cell: 'rnn' as CellType, layers: 1, hidden: 128, optimizer: 'sgd' as OptimizerName, lr: 1, clip: 1, steps: 1500 };

/** Vanishing defaults: the Train Model defaults (2 layers of 128, sequence 64, Adam, 1000 steps); only the cell changes. */
export const VANISHING_DEFAULTS = {
  layers: DEFAULT_MODEL.layers,
  hidden: DEFAULT_MODEL.hidden,
  steps: DEFAULT_TRAINING.steps,
  sizing: 'hidden' as ExperimentSizing,
};

export interface ExperimentPlan {
  shared: { model: MemberModel; training: TrainingSpec };
  variants: ExperimentVariant[];
}

/** The shared training spec of either kind, with the options applied. */
function sharedTraining(kind: ExperimentKind, o: ExperimentOptions): TrainingSpec {
  const clipping = kind === 'clipping';
  const training: TrainingSpec = {
    ...DEFAULT_TRAINING,
    steps: o.steps ?? (clipping ? CLIPPING_DEFAULTS.steps : VANISHING_DEFAULTS.steps),
    seed: o.seed ?? DEFAULT_TRAINING.seed,
    seqLength: o.seq ?? DEFAULT_TRAINING.seqLength,
    batchSize: o.batch ?? DEFAULT_TRAINING.batchSize,
    optimizer: o.optimizer ?? (clipping ? CLIPPING_DEFAULTS.optimizer : DEFAULT_TRAINING.optimizer),
    learningRate: o.lr ?? (clipping ? CLIPPING_DEFAULTS.lr : DEFAULT_TRAINING.learningRate),
    clipValue: o.clip ?? (clipping ? CLIPPING_DEFAULTS.clip : DEFAULT_TRAINING.clipValue),
  };
  if (o.evalEvery !== undefined) training.evalEvery = o.evalEvery;
  if (o.checkpointEvery !== undefined) training.checkpointEvery = o.checkpointEvery;
  if (o.gradFlowEvery !== undefined) training.gradFlowEvery = o.gradFlowEvery;
  if (o.maxFileBytes !== undefined) training.maxFileBytes = o.maxFileBytes;
  // Samples are not what an experiment compares: one at the end of each member.
  training.sampleEvery = training.steps;
  return training;
}

export function planExperiment(kind: ExperimentKind, options: ExperimentOptions, vocabSize: number): ExperimentPlan {
  return kind === 'clipping' ? planClipping(options) : planVanishing(options, vocabSize);
}

function planClipping(o: ExperimentOptions): ExperimentPlan {
  const training = sharedTraining('clipping', o);
  const model: MemberModel = {
    ...DEFAULT_MODEL,
    cell: o.cell ?? CLIPPING_DEFAULTS.cell,
    layers: o.layers ?? CLIPPING_DEFAULTS.layers,
    hidden: o.hidden ?? CLIPPING_DEFAULTS.hidden,
  };
  const tau = training.clipValue;
  const bound = o.clipValue ?? tau;
  const variant = (name: string, label: string, over: Partial<TrainingSpec>): ExperimentVariant => ({ name, label, model, training: { ...training, ...over } });
  return {
    shared: { model, training },
    variants: [
      variant('clip-norm', `norm clipping τ = ${tau}`, { clipMode: 'norm', clipValue: tau }),
      variant('clip-value', `value clipping ±${bound}`, { clipMode: 'value', clipValue: bound }),
      variant('no-clip', 'no clipping', { clipMode: 'none' }),
    ],
  };
}

function planVanishing(o: ExperimentOptions, vocabSize: number): ExperimentPlan {
  const training = sharedTraining('vanishing', o);
  const hidden = o.hidden ?? VANISHING_DEFAULTS.hidden;
  const shared: MemberModel = { ...DEFAULT_MODEL, layers: o.layers ?? VANISHING_DEFAULTS.layers, hidden };
  const sizing = o.sizing ?? VANISHING_DEFAULTS.sizing;
  const target = parameterCount({ ...shared, cell: 'lstm', vocabSize });
  const order: CellType[] = ['rnn', 'lstm', 'gru'];
  return {
    shared: { model: shared, training },
    variants: order.map((cell) => {
      const size = sizing === 'parameters' ? hiddenForParameters({ ...shared, cell }, vocabSize, target) : hidden;
      return { name: cell, label: `${cell.toUpperCase()} ${shared.layers}×${size}`, model: { ...shared, cell, hidden: size }, training };
    }),
  };
}

/** The hidden size whose parameter count is closest to `target` (counts grow with the hidden size). */
export function hiddenForParameters(model: MemberModel, vocabSize: number, target: number): number {
  const count = (hidden: number) => parameterCount({ ...model, hidden, vocabSize });
  let lo = 1;
  let hi = MAX_HIDDEN;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (count(mid) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo > 1 && Math.abs(count(lo - 1) - target) <= Math.abs(count(lo) - target) ? lo - 1 : lo;
}
