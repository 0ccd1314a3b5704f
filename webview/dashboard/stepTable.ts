/**
 * Columns of values aligned on training steps, the data layout uPlot draws:
 * one shared x array (steps, ascending) and one array per series with null
 * where a series has no value at that step (e.g. validation loss between
 * evaluations, or a run that has not reached the step yet).
 *
 * Appending steps past the last one is O(1) per value, so tens of thousands of
 * points arrive without copying. A step that falls between existing rows (a
 * run behind the others) is inserted, which costs O(rows).
 */
export type Column = (number | null)[];

export class StepTable {
  readonly steps: number[] = [];
  readonly columns: Column[];
  private readonly rowOfStep = new Map<number, number>();

  /** `fills[c]` is what column c holds on rows it was not given a value for (null, or a constant such as a threshold). */
  constructor(private readonly fills: (number | null)[]) {
    this.columns = fills.map(() => []);
  }

  get length(): number {
    return this.steps.length;
  }

  set(step: number, column: number, value: number | null): void {
    this.columns[column][this.rowFor(step)] = value;
  }

  /** The data in uPlot's aligned layout. The arrays are the table's own, not copies. */
  aligned(): [number[], ...Column[]] {
    return [this.steps, ...this.columns];
  }

  private rowFor(step: number): number {
    const known = this.rowOfStep.get(step);
    if (known !== undefined) return known;
    const steps = this.steps;
    if (steps.length === 0 || step > steps[steps.length - 1]) {
      steps.push(step);
      this.columns.forEach((column, c) => column.push(this.fills[c]));
      this.rowOfStep.set(step, steps.length - 1);
      return steps.length - 1;
    }
    const row = firstRowAfter(steps, step);
    steps.splice(row, 0, step);
    this.columns.forEach((column, c) => column.splice(row, 0, this.fills[c]));
    for (let r = row; r < steps.length; r++) this.rowOfStep.set(steps[r], r);
    return row;
  }
}

/** Index of the first element greater than `value` in an ascending array. */
function firstRowAfter(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
