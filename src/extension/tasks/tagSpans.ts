import type { TagTextResult } from '../../protocol/tagText';

/** [start, end) in UTF-16 code units. */
export type Span = [number, number];

/** A class named so is left uncoloured: colouring indentation and line ends only hides the code. */
export const UNCOLOURED_LABEL = 'whitespace';

/**
 * Ten categorical colours (Tableau 10), translucent so the text stays
 * readable on light and dark themes; more classes than colours repeat them.
 */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function classColour(index: number): { light: string; dark: string; swatch: string } {
  const base = PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
  return { light: `${base}55`, dark: `${base}66`, swatch: base };
}

/** Consecutive tokens of one predicted class merged into spans, per class label (the uncoloured class left out). */
export function classSpans(result: TagTextResult): Map<string, Span[]> {
  const spans = new Map<string, Span[]>();
  forRuns(result, result.predicted, (k, span) => {
    const label = result.labels[k];
    if (label === UNCOLOURED_LABEL) return;
    const list = spans.get(label) ?? [];
    list.push(span);
    spans.set(label, list);
  });
  return spans;
}

/** Spans of consecutive tokens whose predicted class is not the parser's (none when the truth is unknown). */
export function mismatchSpans(result: TagTextResult): Span[] {
  const truth = result.truth;
  if (!truth) return [];
  const wrong = result.predicted.map((k, i) => (truth[i] >= 0 && truth[i] !== k ? 1 : 0));
  const spans: Span[] = [];
  forRuns(result, wrong, (flag, span) => flag === 1 && spans.push(span));
  return spans;
}

/** Calls `visit` for each run of equal values over adjacent tokens, with the run's span; empty tokens are skipped. */
function forRuns(result: TagTextResult, values: readonly number[], visit: (value: number, span: Span) => void): void {
  let runValue = -1;
  let start = 0;
  let end = 0;
  for (let i = 0; i < values.length; i++) {
    const s = result.starts[i];
    const e = s + result.lengths[i];
    if (e === s) continue;
    if (values[i] === runValue && s === end) {
      end = e;
      continue;
    }
    if (runValue !== -1 && end > start) visit(runValue, [start, end]);
    runValue = values[i];
    start = s;
    end = e;
  }
  if (runValue !== -1 && end > start) visit(runValue, [start, end]);
}
