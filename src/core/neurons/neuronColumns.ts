/** A neuron: one unit of one kind of value (h, c, a gate) in one layer. */
export interface NeuronRef {
  layer: number;
  /** 'h', 'c', or a gate name ('i', 'f', 'o', 'z', 'r'). */
  kind: string;
  unit: number;
  /** 'backward' for the right-to-left direction of a bidirectional layer (neuronLabel.ts); absent for forward. */
  direction?: 'backward';
}

/**
 * Activations of many neurons over the same steps (characters or tokens),
 * read one neuron at a time: the ranking needs each neuron's whole column
 * once, and the caller decides how to lay out (or expand) its values.
 */
export interface NeuronColumns {
  readonly steps: number;
  readonly neurons: readonly NeuronRef[];
  /** The values of neurons[n] at every step; may be a fresh array or a view. */
  column(n: number): Float32Array;
}

export { neuronLabel } from './neuronLabel';

/** Columns from a neuron-major matrix: values[n·steps + t]. */
export function columnsFromMatrix(neurons: NeuronRef[], steps: number, values: Float32Array): NeuronColumns {
  if (values.length !== neurons.length * steps) throw new RangeError(`${values.length} values for ${neurons.length} neurons × ${steps} steps`);
  return { steps, neurons, column: (n) => values.subarray(n * steps, (n + 1) * steps) };
}

/** The k units with the largest |value| in one step's row, largest first. */
export function strongestUnits(row: ArrayLike<number>, k: number): { unit: number; value: number }[] {
  const units = Array.from({ length: row.length }, (_, unit) => ({ unit, value: row[unit] }));
  units.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.unit - b.unit);
  return units.slice(0, k);
}
