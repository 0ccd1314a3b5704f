/**
 * How a neuron's values map onto a diverging palette (Karpathy et al. 2015
 * colour text by a cell's value): the value shown neutral, and the distance
 * from it shown at full colour. h is a tanh in [−1, 1]; the cell state c is
 * unbounded, so it is scaled by its largest |value| in the text; gates are
 * sigmoids in [0, 1], neutral at ½.
 */
export interface ValueScale {
  centre: number;
  half: number;
}

export function valueScale(kind: string, values: ArrayLike<number>): ValueScale {
  if (kind === 'h') return { centre: 0, half: 1 };
  if (kind === 'c') {
    let max = 1e-6;
    for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) > max) max = Math.abs(values[i]);
    return { centre: 0, half: max };
  }
  return { centre: 0.5, half: 0.5 };
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
