import * as tf from '../tfjs';
import { clipGradients } from './clipping';
import { crossEntropy, type RecurrentModel, type RecurrentState } from '../model';
import { disposeState, keepState } from '../recurrentState';
import type { StepInput, StepOutcome, StepSettings } from './stepTypes';

/**
 * One optimizer step on tfjs ops (the reference path): gradients →
 * global norm g → record g → clip → record the clipped norm → apply. A
 * non-finite loss or gradient leaves the weights untouched and reports `applied: false`.
 */
export function trainStep(
  model: RecurrentModel,
  optimizer: tf.Optimizer,
  window: StepInput,
  state: RecurrentState | undefined,
  settings: StepSettings,
): StepOutcome {
  const tokens = tf.tensor2d(window.inputs, [window.batch, window.time], 'int32');
  const targets = tf.tensor1d(window.targets, 'int32');
  let finalState: RecurrentState | undefined;
  const variables = model.trainableVariables;
  try {
    const { value, grads } = optimizer.computeGradients(() => {
      const result = model.forward(tokens, state, { training: true, dropoutSeed: settings.dropoutSeed, lengths: window.lengths });
      finalState = keepState(result.finalState);
      return crossEntropy(result.logits, targets);
    }, variables);
    const loss = value.dataSync()[0];
    value.dispose();
    return applyGradients(
      model,
      optimizer,
      loss,
      variables.map((v) => grads[v.name]),
      finalState!,
      settings,
    );
  } finally {
    tokens.dispose();
    targets.dispose();
  }
}

/**
 * gradients → global norm g → record g → clip → record the clipped norm →
 * apply, unless the loss or g is not finite. Takes ownership of `gradients` and
 * `finalState`. (The fused kernels do the same in src/engine/fused/schedule.ts.)
 */
function applyGradients(
  model: RecurrentModel,
  optimizer: tf.Optimizer,
  loss: number,
  gradients: tf.Tensor[],
  finalState: RecurrentState,
  settings: StepSettings,
): StepOutcome {
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
