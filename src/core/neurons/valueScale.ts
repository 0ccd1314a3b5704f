/**
 * How a neuron's values map onto a diverging palette (Karpathy et al. 2015
 * colour text by a cell's value): the value shown neutral, and the distance
 * from it shown at full colour. h is a tanh in [−1, 1]; the cell state c is
 * unbounded, so it is scaled by the 98th percentile of |value| in the text
 * (not the maximum: one extreme step would wash every other character out);
 * gates are sigmoids in [0, 1], neutral at ½.
 */
export interface ValueScale {
  centre: number;
  half: number;
}

export function valueScale(kind: string, values: ArrayLike<number>): ValueScale {
  if (kind === 'h') return { centre: 0, half: 1 };
  if (kind === 'c') return { centre: 0, half: Math.max(1e-6, percentileOfMagnitude(values, 0.98)) };
  return { centre: 0.5, half: 0.5 };
}

/** The q-quantile of |value| over the finite values (nearest rank); 0 when there are none. */
export function percentileOfMagnitude(values: ArrayLike<number>, q: number): number {
  const magnitudes: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) magnitudes.push(Math.abs(values[i]));
  if (magnitudes.length === 0) return 0;
  magnitudes.sort((a, b) => a - b);
  return magnitudes[Math.min(magnitudes.length - 1, Math.ceil(q * magnitudes.length) - 1)];
}

/** The value's position on the scale in [−1, 1] (clamped; 0 for a non-finite value). */
export function scaled(value: number, scale: ValueScale): number {
  const t = (value - scale.centre) / (scale.half || 1);
  return Number.isFinite(t) ? Math.max(-1, Math.min(1, t)) : 0;
}

/**
 * One of 2·steps + 1 colour buckets, −steps (lowest) … 0 (neutral) … +steps
 * (highest): a fixed set of colours, so a view needs one style per bucket,
 * never one per character.
 */
export function colourBucket(value: number, scale: ValueScale, steps: number): number {
  // Rounded away from neutral on both sides alike (Math.round takes −2.5 to −2 but 2.5 to 3); never −0.
  const t = scaled(value, scale);
  return Math.sign(t) * Math.round(Math.abs(t) * steps) || 0;
}
