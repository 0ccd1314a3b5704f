import type { NeuronColumns, NeuronRef } from './neuronColumns';

/**
 * LSTMVis's select-and-match (Strobelt et al. 2018): the user selects a span;
 * the neurons whose activation inside it differs most from outside it are
 * taken as the pattern, and other spans where those neurons fire together
 * are the matches.
 */
export interface SelectionMatchOptions {
  /** Neurons taken as the pattern (default 5). */
  neurons?: number;
  /**
   * A neuron fires at a step when its value has gone at least this fraction of
   * the way from its mean outside the selection to its mean inside (default 0.5).
   */
  threshold?: number;
  /** Fraction of the pattern's neurons that must fire at a step for it to match (default 1: all). */
  agreement?: number;
  /** Matches returned, best first (default 20). */
  maxMatches?: number;
  /** Shortest match in steps (default 1). */
  minLength?: number;
}

export interface SelectedNeuron {
  neuron: NeuronRef;
  /** Mean inside and outside the selection. */
  inside: number;
  outside: number;
  /** Standardised difference (inside − outside) / standard deviation over all steps; its size ranks the neurons. */
  effect: number;
}

export interface MatchSpan {
  /** Steps [start, end). */
  start: number;
  end: number;
  /** Mean fraction of the pattern's neurons firing, times the length similarity to the selection (min/max of the lengths): 1 is a perfect match. */
  score: number;
  /** Mean fraction of the pattern's neurons firing over the span. */
  firing: number;
}

export interface SelectionMatch {
  neurons: SelectedNeuron[];
  matches: MatchSpan[];
}

export function selectionMatch(columns: NeuronColumns, selection: { start: number; end: number }, options: SelectionMatchOptions = {}): SelectionMatch {
  const steps = columns.steps;
  const start = Math.max(0, Math.min(selection.start, steps));
  const end = Math.max(start, Math.min(selection.end, steps));
  const insideCount = end - start;
  if (insideCount === 0) throw new RangeError('the selection is empty');
  const outsideCount = steps - insideCount;
  if (outsideCount === 0) return { neurons: [], matches: [] };
  const take = options.neurons ?? 5;
  const threshold = options.threshold ?? 0.5;
  const agreement = options.agreement ?? 1;
  const maxMatches = options.maxMatches ?? 20;
  const minLength = Math.max(1, options.minLength ?? 1);

  const candidates: (SelectedNeuron & { index: number })[] = [];
  for (let n = 0; n < columns.neurons.length; n++) {
    const values = columns.column(n);
    let total = 0;
    let inside = 0;
    for (let t = 0; t < steps; t++) total += values[t];
    for (let t = start; t < end; t++) inside += values[t];
    const mean = total / steps;
    let squares = 0;
    for (let t = 0; t < steps; t++) squares += (values[t] - mean) ** 2;
    const std = Math.sqrt(squares / steps);
    if (!(std > 0)) continue;
    const insideMean = inside / insideCount;
    const outsideMean = (total - inside) / outsideCount;
    if (insideMean === outsideMean) continue;
    candidates.push({ index: n, neuron: columns.neurons[n], inside: insideMean, outside: outsideMean, effect: (insideMean - outsideMean) / std });
  }
  candidates.sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect) || a.index - b.index);
  const chosen = candidates.slice(0, take);
  if (chosen.length === 0) return { neurons: [], matches: [] };

  // Per step: how many chosen neurons fire, and their mean progress toward the inside mean.
  const firingCount = new Int32Array(steps);
  for (const c of chosen) {
    const values = columns.column(c.index);
    const span = c.inside - c.outside;
    for (let t = 0; t < steps; t++) if ((values[t] - c.outside) / span >= threshold) firingCount[t]++;
  }
  const needed = Math.max(1, Math.ceil(agreement * chosen.length - 1e-9));
  const matches: MatchSpan[] = [];
  for (let t = 0; t < steps;) {
    if (firingCount[t] < needed) {
      t++;
      continue;
    }
    const runStart = t;
    let fired = 0;
    while (t < steps && firingCount[t] >= needed) fired += firingCount[t++];
    const length = t - runStart;
    const overlapsSelection = runStart < end && t > start;
    if (overlapsSelection || length < minLength) continue;
    const firing = fired / (length * chosen.length);
    const similarity = Math.min(length, insideCount) / Math.max(length, insideCount);
    matches.push({ start: runStart, end: t, score: firing * similarity, firing });
  }
  matches.sort((a, b) => b.score - a.score || a.start - b.start);
  return { neurons: chosen.map(({ index: _index, ...rest }) => rest), matches: matches.slice(0, maxMatches) };
}
