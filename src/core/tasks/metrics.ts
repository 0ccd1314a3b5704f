/**
 * A tagger's or classifier's held-out figures from its confusion matrix:
 * accuracy, per-class precision and recall, macro-F1 (the unweighted mean of
 * the classes' F1, so a rare class counts as much as a frequent one).
 */

/** confusion[truth][predicted]: how many examples (or tokens) of class `truth` were predicted as `predicted`. */
export type ConfusionMatrix = number[][];

export interface ClassMetrics {
  label: string;
  /** Of the predictions of this class, the share that were right; null when it was never predicted. */
  precision: number | null;
  /** Of this class's examples, the share predicted right; null when it has none. */
  recall: number | null;
  /** Harmonic mean of precision and recall (0 when either is 0 or undefined but the class occurs). */
  f1: number | null;
  /** Examples (or tokens) of this class. */
  support: number;
}

export interface TaskMetrics {
  accuracy: number;
  /** Mean F1 over the classes that occur or are predicted (a class neither in the data nor predicted is left out). */
  macroF1: number;
  classes: ClassMetrics[];
}

export function emptyConfusion(classes: number): ConfusionMatrix {
  return Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
}

/** Adds each (truth, prediction) pair to the matrix. */
export function addToConfusion(confusion: ConfusionMatrix, truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (truth.length !== predicted.length) throw new RangeError(`${truth.length} true labels but ${predicted.length} predictions`);
  for (let i = 0; i < truth.length; i++) confusion[truth[i]][predicted[i]]++;
}

export function taskMetrics(confusion: ConfusionMatrix, labels: readonly string[]): TaskMetrics {
  const n = labels.length;
  if (confusion.length !== n) throw new RangeError(`a confusion matrix of ${confusion.length} classes for ${n} labels`);
  let total = 0;
  let right = 0;
  const classes: ClassMetrics[] = labels.map((label, k) => {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < n; j++) {
      support += confusion[k][j];
      predicted += confusion[j][k];
    }
    const hits = confusion[k][k];
    total += support;
    right += hits;
    const precision = predicted > 0 ? hits / predicted : null;
    const recall = support > 0 ? hits / support : null;
    const occurs = support > 0 || predicted > 0;
    const f1 = !occurs ? null : precision && recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const f1s = classes.map((c) => c.f1).filter((f): f is number => f !== null);
  return {
    accuracy: total > 0 ? right / total : NaN,
    macroF1: f1s.length > 0 ? f1s.reduce((a, b) => a + b, 0) / f1s.length : NaN,
    classes,
  };
}
