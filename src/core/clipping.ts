/**
 * Gradient clipping arithmetic (seed slide "Exploding and vanishing gradients").
 * The slide computes `np.sum(grad * grad)` and compares it to the threshold:
 * that is the squared norm. The global norm is its square root,
 * g = √(Σ_k ‖∇_k‖²) over every weight tensor k.
 */

/** Global L2 norm over several gradient arrays. */
export function globalNorm(gradients: ArrayLike<number>[]): number {
  let sum = 0;
  for (const g of gradients) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/** The factor that brings a global norm `norm` down to `threshold`, and never scales up: min(1, τ / g). */
export function clipScale(norm: number, threshold: number): number {
  if (!(norm > threshold)) return 1;
  return threshold / norm;
}
