/**
 * The gradient-flow probe (docs/architecture.md, "Gradient flow"): how far
 * back in time one prediction's error reaches. On one fixed held-out window
 * of length T, from a zero state and with the current parameters, per layer:
 * ‖∂L_T/∂h_t‖ (L_T the mean loss of the last position) and ‖∂L/∂h_t‖ (L the
 * window's mean loss), norms over the window's streams and units.
 */
import type { GradFlowRecord } from '../../core/runFormat';
import * as tf from '../tfjs';
import { crossEntropy, type RecurrentModel } from '../model';
import type { StepInput } from './stepTypes';

/** Per layer, ‖∂L/∂h_t‖ for t = 0 … T − 1, on tfjs ops: gradients with respect to zeros added to every h_t. */
export function tfjsGradientFlow(model: RecurrentModel, window: StepInput, lastOnly: boolean): Float64Array[] {
  const { batch: B, time: T } = window;
  const { layers, hidden: H } = model.spec;
  const values: Float32Array[] = [];
  tf.tidy(() => {
    const tokens = tf.tensor2d(window.inputs, [B, T], 'int32');
    // The model's logits are batch-major (row b·T + t): the last position of stream b is row b·T + T − 1.
    const lastRows = tf.tensor1d(
      Int32Array.from({ length: B }, (_, b) => b * T + T - 1),
      'int32',
    );
    const targets = tf.tensor1d(lastOnly ? Int32Array.from({ length: B }, (_, b) => window.targets[b * T + T - 1]) : window.targets, 'int32');
    const probes = Array.from({ length: layers }, () => tf.zeros<tf.Rank.R3>([B, T, H]));
    const loss = (...inputs: tf.Tensor[]) => {
      const { logits } = model.forward(tokens, undefined, { probes: inputs as tf.Tensor3D[] });
      return crossEntropy(lastOnly ? tf.gather(logits, lastRows) : logits, targets);
    };
    for (const g of tf.grads(loss)(probes)) values.push(g.dataSync() as Float32Array);
  });
  return values.map((g) => {
    const norms = new Float64Array(T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        let sum = 0;
        for (let u = (b * T + t) * H, end = u + H; u < end; u++) sum += g[u] * g[u];
        norms[t] += sum;
      }
    }
    return norms.map(Math.sqrt);
  });
}

/** Something that can run the probe (a StepRunner). */
export interface GradientFlowSource {
  gradientFlow(window: StepInput, lastOnly: boolean): Promise<Float64Array[]>;
}

/** Both profiles of every layer at `step`, as gradflow.jsonl lines (index k = distance T − t). */
export async function measureGradientFlow(source: GradientFlowSource, window: StepInput, step: number): Promise<GradFlowRecord[]> {
  const last = await source.gradientFlow(window, true);
  const whole = await source.gradientFlow(window, false);
  return last.map((profile, layer) => ({ step, layer, lastLoss: byDistance(profile), windowLoss: byDistance(whole[layer]) }));
}

/** t-ordered norms → distance-ordered, with non-finite values as null (what JSON can hold). */
function byDistance(profile: Float64Array): (number | null)[] {
  const out: (number | null)[] = [];
  for (let k = 0; k < profile.length; k++) {
    const v = profile[profile.length - 1 - k];
    out.push(Number.isFinite(v) ? v : null);
  }
  return out;
}
