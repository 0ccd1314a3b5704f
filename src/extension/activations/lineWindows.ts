/** Lines [start, end], both included (as VS Code's visible ranges count them). */
export interface LineWindow {
  start: number;
  end: number;
}

/**
 * The lines to compute for an editor: its visible ranges widened by `margin`
 * lines each way (a short scroll finds them coloured already), clamped to the
 * text, overlapping or touching windows merged, in order.
 */
export function linesToRender(visible: readonly LineWindow[], margin: number, lineCount: number): LineWindow[] {
  const last = Math.max(0, lineCount - 1);
  const widened = visible
    .map((w) => ({ start: Math.max(0, Math.min(w.start, w.end) - margin), end: Math.min(last, Math.max(w.start, w.end) + margin) }))
    .filter((w) => w.start <= w.end)
    .sort((a, b) => a.start - b.start);
  const merged: LineWindow[] = [];
  for (const w of widened) {
    const previous = merged[merged.length - 1];
    if (previous && w.start <= previous.end + 1) previous.end = Math.max(previous.end, w.end);
    else merged.push({ ...w });
  }
  return merged;
}

/** Whether `outer` covers every line of `inner`. */
export function covers(outer: readonly LineWindow[], inner: readonly LineWindow[]): boolean {
  return inner.every((w) => outer.some((o) => o.start <= Math.min(w.start, w.end) && Math.max(w.start, w.end) <= o.end));
}
