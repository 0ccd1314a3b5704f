/**
 * Gate saturation (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and
 * Understanding Recurrent Networks", section 4.3): for each unit of a gate,
 * the fraction of steps at which it is left-saturated (< 0.1: nearly shut) or
 * right-saturated (> 0.9: nearly open). Forget gates that are right-saturated
 * most of the time mark units that remember over long spans.
 */
export interface GateSaturation {
  steps: number;
  units: number;
  /** Per unit: fraction of steps below `low` / above `high`. */
  left: Float64Array;
  right: Float64Array;
  /** Over all units and steps. */
  meanLeft: number;
  meanRight: number;
  /** Units left- or right-saturated more than half the time. */
  mostlyLeft: number;
  mostlyRight: number;
}

/** Counts saturated steps of one gate over chunks of steps ([steps, units] row-major each). */
export class SaturationTally {
  private readonly lowCounts: Float64Array;
  private readonly highCounts: Float64Array;
  private steps = 0;

  constructor(
    readonly units: number,
    readonly low = 0.1,
    readonly high = 0.9,
  ) {
    this.lowCounts = new Float64Array(units);
    this.highCounts = new Float64Array(units);
  }

  /**
   * Counts rows of `rowWidth` values, this tally's units being the columns
   * from `offset` on (a bidirectional row holds the forward units, then the
   * backward ones).
   */
  add(values: ArrayLike<number>, rowWidth = this.units, offset = 0): void {
    const U = this.units;
    if (values.length % rowWidth !== 0) throw new RangeError(`${values.length} values are not whole rows of ${rowWidth}`);
    if (offset < 0 || offset + U > rowWidth) throw new RangeError(`units ${offset} to ${offset + U - 1} are outside rows of ${rowWidth}`);
    for (let k = offset; k < values.length; k += rowWidth) {
      for (let j = 0; j < U; j++) {
        const v = values[k + j];
        if (v < this.low) this.lowCounts[j]++;
        else if (v > this.high) this.highCounts[j]++;
      }
    }
    this.steps += values.length / rowWidth;
  }

  result(): GateSaturation {
    const U = this.units;
    const n = this.steps || 1;
    const left = this.lowCounts.map((c) => c / n);
    const right = this.highCounts.map((c) => c / n);
    const mean = (a: Float64Array) => (U ? a.reduce((s, v) => s + v, 0) / U : 0);
    return {
      steps: this.steps,
      units: U,
      left,
      right,
      meanLeft: mean(left),
      meanRight: mean(right),
      mostlyLeft: left.filter((f) => f > 0.5).length,
      mostlyRight: right.filter((f) => f > 0.5).length,
    };
  }
}

/** Saturation of one gate over [steps, units] row-major values. */
export function gateSaturation(values: ArrayLike<number>, units: number, low = 0.1, high = 0.9): GateSaturation {
  const tally = new SaturationTally(units, low, high);
  tally.add(values);
  return tally.result();
}
