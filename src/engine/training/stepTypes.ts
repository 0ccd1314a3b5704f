import type { ClipMode } from '../../core/spec';
import type { RecurrentState } from '../model';

/** One window of a batch: `batch` streams of `time` tokens, and the token to predict after each. */
export interface StepInput {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  time: number;
  /** A classifier's batch: real tokens per row; `targets` then holds one label per row. */
  lengths?: Int32Array;
}

export interface StepOutcome {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  gradNorm: number;
  clippedGradNorm: number;
  /** The state to carry into the next window (owned by the caller). Undefined when the step was rejected. */
  finalState?: RecurrentState;
  /** False when the loss or the gradient was NaN or infinite: nothing was applied. */
  applied: boolean;
}

export interface StepSettings {
  clipMode: ClipMode;
  clipValue: number;
  dropoutSeed: number;
}

/**
 * A step that failed before it changed anything (a kernel thread died, say):
 * the weights are still those of the last completed step, so the loop
 * checkpoints them and the run can be resumed exactly.
 */
export class StepNotTakenError extends Error {}
