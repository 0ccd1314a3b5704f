import * as tf from '../tfjs';
import { clipScale } from '../../core/clipping';
import type { ClipMode } from '../../core/spec';

export interface ClipResult {
  gradients: tf.Tensor[];
  /** Global norm before clipping. */
  norm: number;
  /** Global norm of what will be applied. */
  clippedNorm: number;
}

/** √(Σ‖g‖²) as a scalar tensor (no download). */
export function globalNormTensor(gradients: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Clips gradients and measures their global norm before and after. Returns new
 * tensors (the caller disposes both the inputs and the result).
 *
 * - `norm`: scale all gradients together by min(1, τ/g) — direction kept.
 * - `value`: clamp every element to [−τ, τ] (char-rnn's choice) — direction may change.
 * - `none`: unchanged.
 */
export function clipGradients(gradients: tf.Tensor[], mode: ClipMode, threshold: number): ClipResult {
  const norm = globalNormTensor(gradients);
  const before = norm.dataSync()[0];
  norm.dispose();
  if (mode === 'none' || !Number.isFinite(before)) {
    return { gradients: gradients.map((g) => tf.clone(g)), norm: before, clippedNorm: before };
  }
  if (mode === 'norm') {
    const scale = clipScale(before, threshold);
    const clipped = gradients.map((g) => (scale === 1 ? tf.clone(g) : tf.mul(g, scale)));
    return { gradients: clipped, norm: before, clippedNorm: before * scale };
  }
  const clipped = gradients.map((g) => tf.clipByValue(g, -threshold, threshold));
  const after = globalNormTensor(clipped);
  const clippedNorm = after.dataSync()[0];
  after.dispose();
  return { gradients: clipped, norm: before, clippedNorm };
}
