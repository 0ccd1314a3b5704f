/** How many examples (or tokens) each label has, most frequent first. */
export function classCounts(labels: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

/** The most frequent class this many times the least frequent one is "heavily imbalanced". */
export const IMBALANCE_RATIO = 10;

/**
 * A warning for a heavily imbalanced set (accuracy then flatters a model that
 * always answers the majority class), or undefined.
 */
export function imbalanceWarning(counts: ReadonlyMap<string, number>): string | undefined {
  if (counts.size < 2) return undefined;
  const [[most, many]] = counts;
  const [least, few] = [...counts].at(-1)!;
  if (many < IMBALANCE_RATIO * few) return undefined;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return (
    `the classes are heavily imbalanced: "${most}" has ${many} of ${total} examples, "${least}" only ${few}; ` +
    `always answering "${most}" would be ${((100 * many) / total).toFixed(0)}% accurate, so watch macro-F1`
  );
}

/** "keyword 1,204 · identifier 980 · …" for progress lines and run.json. */
export function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([label, n]) => `${label} ${n.toLocaleString('en-US')}`).join(' · ');
}
