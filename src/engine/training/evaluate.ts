import * as tf from '../tfjs';
import type { Window } from '../../core/batching';
import { crossEntropy, type RecurrentModel, type RecurrentState } from '../model';
import { disposeState, keepState } from '../recurrentState';

/**
 * Mean loss (nats per token) over held-out windows, state carried from window
 * to window as in training, no dropout. NaN when there are no windows.
 */
export function evaluateLoss(model: RecurrentModel, windows: Window[]): number {
  let state: RecurrentState | undefined;
  let total = 0;
  let count = 0;
  for (const w of windows) {
    if (w.resetState) {
      disposeState(state);
      state = undefined;
    }
    const previous = state;
    const loss = tf.tidy(() => {
      const result = model.forward(tf.tensor2d(w.inputs, [w.batch, w.time], 'int32'), previous);
      state = keepState(result.finalState);
      return crossEntropy(result.logits, tf.tensor1d(w.targets, 'int32')).dataSync()[0];
    });
    disposeState(previous);
    total += loss * w.inputs.length;
    count += w.inputs.length;
  }
  disposeState(state);
  return count > 0 ? total / count : NaN;
}
