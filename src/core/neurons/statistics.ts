/**
 * Correlation and ROC AUC of one neuron's activations against a feature, in
 * float64. Pure functions; the ranking calls them once per neuron and feature.
 */

/** Pearson's r; NaN when either side is constant (no correlation is defined). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`pearson: ${x.length} values against ${y.length}`);
  return new CenteredFeature(y).correlation(x);
}

/** A feature centred once, for correlating many neurons with it. */
export class CenteredFeature {
  readonly centered: Float64Array;
  readonly norm: number;

  constructor(values: ArrayLike<number>) {
    const n = values.length;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += values[i];
    mean /= n || 1;
    this.centered = new Float64Array(n);
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const d = values[i] - mean;
      this.centered[i] = d;
      squares += d * d;
    }
    this.norm = Math.sqrt(squares);
  }

  /** r between `x` and this feature. */
  correlation(x: ArrayLike<number>): number {
    const n = x.length;
    if (n !== this.centered.length) throw new RangeError(`correlation: ${n} values against ${this.centered.length}`);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i];
    mean /= n || 1;
    let cross = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const d = x[i] - mean;
      cross += d * this.centered[i];
      squares += d * d;
    }
    const denominator = Math.sqrt(squares) * this.norm;
    if (!(denominator > 0)) return NaN;
    return Math.max(-1, Math.min(1, cross / denominator));
  }
}

/**
 * Scores sorted once, so that the average rank of any value is two binary
 * searches: tied scores share the mean of the ranks they span.
 */
export class RankedScores {
  private readonly sorted: Float64Array;

  constructor(readonly scores: ArrayLike<number>) {
    this.sorted = Float64Array.from(scores).sort();
  }

  /** 1-based rank of `x` among the scores, ties averaged. */
  averageRank(x: number): number {
    const below = lowerBound(this.sorted, x);
    const upTo = upperBound(this.sorted, x, below);
    return (below + 1 + upTo) / 2;
  }

  /**
   * Area under the ROC curve of the scores for a binary label (non-zero =
   * positive): the probability that a random positive scores above a random
   * negative, ties counting one half (Mann–Whitney U / n₊n₋). NaN when either
   * class is empty.
   */
  auc(labels: ArrayLike<number>): number {
    const n = this.scores.length;
    if (labels.length !== n) throw new RangeError(`auc: ${labels.length} labels for ${n} scores`);
    let positives = 0;
    let rankSum = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i]) {
        positives++;
        rankSum += this.averageRank(this.scores[i]);
      }
    }
    const negatives = n - positives;
    if (positives === 0 || negatives === 0) return NaN;
    return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
  }
}

/** ROC AUC of `scores` for binary `labels` (see RankedScores.auc). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return new RankedScores(scores).auc(labels);
}

/** Number of sorted values < x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of sorted values ≤ x, searching from `from`. */
function upperBound(sorted: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
