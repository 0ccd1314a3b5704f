import type { ClipMode } from '../../core/spec';
import type { FusedPlan } from './layout';

/** What a fused-kernel worker thread is given when it starts (worker_threads' workerData). */
export interface FusedWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  thread: number;
  threads: number;
  /** Tests only: the worker exits during its step number `step` (1-based), at its start or as it begins its share of the update. */
  exitDuringStep?: { step: number; phase: FaultPhase };
}

export type FaultPhase = 'start' | 'update';

/** Clipping and optimizer settings of one step, as numbers the kernels take (see assembly/optimizers.ts). */
export interface UpdateSettings {
  clipMode: ClipMode;
  clipValue: number;
  optimizer: OptimizerUpdate;
}

export type OptimizerUpdate =
  | { kind: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number; oneMinusAccBeta1: number; oneMinusAccBeta2: number }
  | { kind: 'rmsprop'; learningRate: number; decay: number; momentum: number; epsilon: number }
  | { kind: 'sgd'; learningRate: number };

/**
 * Main thread → worker. A step reads parameter slot `active`; with `update`
 * it writes the updated parameters into the other slot, else it only computes
 * the loss and gradients. `time` is the window's: the plan's, or fewer steps
 * for a classifier's shorter batch (layout.ts shortenedPlan).
 */
export type ToFusedWorker =
  | { kind: 'plan'; plan: FusedPlan }
  | { kind: 'step'; id: number; time: number; active: number; update?: UpdateSettings; dropoutSeed?: number }
  /** Forward and loss only: validation. */
  | { kind: 'evaluate'; id: number; time: number; active: number }
  /** Forward and backward without an update, recording ‖∂L/∂h_t‖ per layer (the gradient-flow probe). */
  | { kind: 'probe'; id: number; time: number; active: number; lastOnly: boolean };

/**
 * What one pass of the kernels computes: a training step's forward and
 * backward pass, validation's forward pass, or the gradient-flow probe's
 * forward and backward pass with the loss of the last position only
 * (`probeLast`) or of the whole window (`probeWindow`).
 */
export type FusedPass = 'train' | 'evaluate' | 'probeLast' | 'probeWindow';

/** Worker → main thread. */
export type FromFusedWorker = { kind: 'ready' } | { kind: 'done'; id: number } | { kind: 'failed'; id: number; message: string };
