import * as tf from './tfjs';
import type { ClipMode } from '../core/spec';
import { clipGradients } from './clipping';
import { crossEntropy, type RecurrentModel, type RecurrentState } from './model';
import type { FusedStepper } from './fused/fusedStepper';

export interface StepInput {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  time: number;
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
 * One optimizer step on the tfjs path, as DESIGN.md writes it: gradients →
 * global norm g → record g → clip → record the clipped norm → apply. A
 * non-finite loss or gradient leaves the weights untouched and reports `applied: false`.
 */
export function trainStep(model: RecurrentModel, optimizer: tf.Optimizer, window: StepInput, state: RecurrentState | undefined, settings: StepSettings): StepOutcome {
  const tokens = tf.tensor2d(window.inputs, [window.batch, window.time], 'int32');
  const targets = tf.tensor1d(window.targets, 'int32');
  let finalState: RecurrentState | undefined;
  const variables = model.trainableVariables;
  try {
    const { value, grads } = optimizer.computeGradients(() => {
      const result = model.forward(tokens, state, { training: true, dropoutSeed: settings.dropoutSeed });
      finalState = keepState(result.finalState);
      return crossEntropy(result.logits, targets);
    }, variables);
    const loss = value.dataSync()[0];
    value.dispose();
    return applyGradients(model, optimizer, loss, variables.map((v) => grads[v.name]), finalState!, settings);
  } finally {
    tokens.dispose();
    targets.dispose();
  }
}

/**
 * The same step with the loss and gradients from the fused WebAssembly kernels
 * (src/engine/fused); clipping and the optimizer are the tfjs path's, so the
 * two differ only by the kernels' rounding.
 */
export async function fusedTrainStep(stepper: FusedStepper, model: RecurrentModel, optimizer: tf.Optimizer, window: StepInput, state: RecurrentState | undefined, settings: StepSettings): Promise<StepOutcome> {
  const weights = new Map(model.weightNames.map((name) => [name, model.variable(name).dataSync() as Float32Array]));
  const carried = state && { h: state.h.map((t) => t.dataSync() as Float32Array), c: state.c?.map((t) => t.dataSync() as Float32Array) };
  const result = await stepper.step(weights, window.inputs, window.targets, window.batch, window.time, carried);
  const gradients = model.weightNames.map((name) => tf.tensor(result.gradients.get(name)!, model.variable(name).shape, 'float32'));
  const toState = (arrays: Float32Array[]) => arrays.map((a) => tf.tensor2d(a, [window.batch, model.spec.hidden]));
  const finalState: RecurrentState = { h: toState(result.finalState.h), c: result.finalState.c && toState(result.finalState.c) };
  return applyGradients(model, optimizer, result.loss, gradients, finalState, settings);
}

/**
 * gradients → global norm g → record g → clip → record the clipped norm →
 * apply, unless the loss or g is not finite. Takes ownership of `gradients` and `finalState`.
 */
function applyGradients(model: RecurrentModel, optimizer: tf.Optimizer, loss: number, gradients: tf.Tensor[], finalState: RecurrentState, settings: StepSettings): StepOutcome {
  const variables = model.trainableVariables;
  const clipped = clipGradients(gradients, settings.clipMode, settings.clipValue);
  tf.dispose(gradients);
  const finite = Number.isFinite(loss) && Number.isFinite(clipped.norm);
  if (finite) {
    // The same variable order every step: tfjs optimizers index their moments by position.
    optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: clipped.gradients[i] })));
  }
  tf.dispose(clipped.gradients);
  if (!finite) disposeState(finalState);
  return { loss, gradNorm: clipped.norm, clippedGradNorm: clipped.clippedNorm, finalState: finite ? finalState : undefined, applied: finite };
}

/** Marks a state's tensors as surviving the surrounding tidy scope. */
export function keepState(state: RecurrentState): RecurrentState {
  return { h: state.h.map((t) => tf.keep(t)), c: state.c?.map((t) => tf.keep(t)) };
}

export function disposeState(state: RecurrentState | undefined): void {
  if (!state) return;
  tf.dispose(state.h);
  if (state.c) tf.dispose(state.c);
}
