import { rankNeurons, type FeatureInput, type FeatureRanking, type RankingOptions } from '../../core/neurons/featureRanking';
import { SaturationTally, type GateSaturation } from '../../core/neurons/gateSaturation';
import { strongestUnits, type NeuronColumns, type NeuronRef } from '../../core/neurons/neuronColumns';
import { selectionMatch, type SelectedNeuron, type SelectionMatchOptions } from '../../core/neurons/selectionMatch';
import type { ActivationDocument, ActivationRange } from './activationDocument';
import type { ActivationKind, GateName, LayerActivations } from './activationModel';

/** The kinds ranked against features by default: the hidden and cell states (the gates are judged by saturation). */
export const RANKED_KINDS: readonly ActivationKind[] = ['h', 'c'];

/**
 * Neuron columns over one or more texts' activations, one step per
 * character: a token spanning several characters gives each of them its
 * value, so the columns line up with per-character features.
 */
export function characterColumns(parts: readonly ActivationRange[], kinds: readonly ActivationKind[] = RANKED_KINDS): NeuronColumns {
  return columns(parts, kinds, true);
}

/** The same, one step per token. */
export function tokenColumns(parts: readonly ActivationRange[], kinds: readonly ActivationKind[] = RANKED_KINDS): NeuronColumns {
  return columns(parts, kinds, false);
}

function columns(parts: readonly ActivationRange[], kinds: readonly ActivationKind[], perCharacter: boolean): NeuronColumns {
  const neurons: NeuronRef[] = [];
  /** Per neuron, its layer's row width and its column in a row. */
  const places: { width: number; column: number }[] = [];
  const first = parts.find((p) => p.count > 0);
  if (first) {
    for (let l = 0; l < first.layers.length; l++) {
      for (const kind of kinds) {
        const values = first.layers[l][kind];
        if (!values) continue;
        const width = values.length / first.count;
        for (let column = 0; column < width; column++) {
          neurons.push(neuronAt(l, kind, column, width / first.directions));
          places.push({ width, column });
        }
      }
    }
  }
  const steps = parts.reduce((s, p) => s + (perCharacter ? (p.count ? p.ends[p.count - 1] - p.starts[0] : 0) : p.count), 0);
  return {
    steps,
    neurons,
    column: (n) => {
      const { layer, kind } = neurons[n];
      const { width, column } = places[n];
      const out = new Float32Array(steps);
      let at = 0;
      for (const p of parts) {
        const values = p.layers[layer][kind as ActivationKind]!;
        for (let t = 0; t < p.count; t++) {
          const v = values[t * width + column];
          const repeat = perCharacter ? p.ends[t] - p.starts[t] : 1;
          for (let r = 0; r < repeat; r++) out[at++] = v;
        }
      }
      return out;
    },
  };
}

/** The neuron at `column` of a layer's row, whose directions are `hidden` wide each (forward first). */
function neuronAt(layer: number, kind: ActivationKind, column: number, hidden: number): NeuronRef {
  return column < hidden ? { layer, kind, unit: column } : { layer, kind, unit: column - hidden, direction: 'backward' };
}

/** Where a neuron's values are in its layer's rows: its column, and the rows' width. */
export function columnOf(
  range: ActivationRange,
  neuron: { layer: number; kind: ActivationKind; unit: number; direction?: string },
): { width: number; column: number } {
  const values = range.layers[neuron.layer]?.[neuron.kind];
  if (!values) throw new RangeError(`layer ${neuron.layer} has no ${neuron.kind} values`);
  const width = range.count > 0 ? values.length / range.count : 0;
  const hidden = width / range.directions;
  const backward = neuron.direction === 'backward';
  if (backward && range.directions < 2) throw new RangeError('the model is not bidirectional: it has no backward direction');
  if (!(neuron.unit >= 0 && neuron.unit < hidden)) throw new RangeError(`unit ${neuron.unit} is outside 0 to ${hidden - 1}`);
  return { width, column: neuron.unit + (backward ? hidden : 0) };
}

/** Per layer and gate, saturation over the given activations (LSTM i, f, o; GRU z, r). */
export function gateSaturations(parts: readonly ActivationRange[]): LayerGateSaturation[] {
  const tallies = new GateSaturationTallies();
  for (const p of parts) tallies.add(p);
  return tallies.results();
}

export interface LayerGateSaturation {
  layer: number;
  gate: GateName;
  /** Set for the backward direction of a bidirectional layer. */
  direction?: 'backward';
  saturation: GateSaturation;
}

/**
 * Gate saturation counted range by range, so the gate values need not all be
 * kept; a bidirectional layer's two directions are counted apart (they are
 * two recurrences with their own gates).
 */
export class GateSaturationTallies {
  private readonly tallies = new Map<string, { layer: number; gate: GateName; backward: boolean; tally: SaturationTally }>();

  add(range: ActivationRange): void {
    if (range.count === 0) return;
    for (let l = 0; l < range.layers.length; l++) {
      for (const gate of GATES) {
        const values = range.layers[l][gate];
        if (!values) continue;
        const width = values.length / range.count;
        const units = width / range.directions;
        for (let d = 0; d < range.directions; d++) {
          const key = `${l}/${gate}/${d}`;
          let entry = this.tallies.get(key);
          if (!entry) this.tallies.set(key, (entry = { layer: l, gate, backward: d === 1, tally: new SaturationTally(units) }));
          entry.tally.add(values, width, d * units);
        }
      }
    }
  }

  /** By layer, the forward direction first, gates in the order LSTM i, f, o / GRU z, r. */
  results(): LayerGateSaturation[] {
    return [...this.tallies.values()]
      .sort((a, b) => a.layer - b.layer || Number(a.backward) - Number(b.backward) || GATES.indexOf(a.gate) - GATES.indexOf(b.gate))
      .map(({ layer, gate, backward, tally }) => ({ layer, gate, ...(backward ? { direction: 'backward' as const } : {}), saturation: tally.result() }));
  }
}

const GATES: readonly GateName[] = ['i', 'f', 'o', 'z', 'r'];

/** The range with only the given kinds kept (to hold many ranges in less memory). */
export function keepKinds(range: ActivationRange, kinds: readonly ActivationKind[]): ActivationRange {
  return { ...range, layers: range.layers.map((layer) => Object.fromEntries(kinds.filter((k) => layer[k]).map((k) => [k, layer[k]])) as LayerActivations) };
}

/** Ranks a whole document's neurons against per-code-point features (see rankNeurons). */
export async function rankDocumentNeurons(
  document: ActivationDocument,
  features: readonly FeatureInput[],
  options: RankingOptions & { kinds?: readonly ActivationKind[] } = {},
): Promise<FeatureRanking[]> {
  const range = await document.range(0, document.length);
  return rankNeurons(characterColumns([range], options.kinds ?? RANKED_KINDS), features, options);
}

export interface DocumentMatchSpan {
  /** Code-point span [start, end) in the text. */
  start: number;
  end: number;
  /** The same span in UTF-16 code units (editor offsets). */
  utf16Start: number;
  utf16End: number;
  score: number;
  firing: number;
}

export interface DocumentSelectionMatch {
  /** The selection widened to whole tokens: code points, and UTF-16 code units. */
  selection: { start: number; end: number; utf16Start: number; utf16End: number };
  neurons: SelectedNeuron[];
  matches: DocumentMatchSpan[];
}

/**
 * LSTMVis select-and-match over a document, token by token: the neurons that
 * set the selected code points [from, to) apart, and the other spans of the
 * text where they fire together (see selectionMatch).
 */
export async function matchSelection(
  document: ActivationDocument,
  from: number,
  to: number,
  options: SelectionMatchOptions & { kinds?: readonly ActivationKind[] } = {},
): Promise<DocumentSelectionMatch> {
  const range = await document.range(0, document.length);
  if (range.count === 0) throw new RangeError('the text is empty');
  const first = document.tokenAt(Math.min(from, to));
  const last = document.tokenAt(Math.max(from, to, Math.min(from, to) + 1) - 1);
  const result = selectionMatch(tokenColumns([range], options.kinds ?? RANKED_KINDS), { start: first, end: last + 1 }, options);
  return {
    selection: { start: range.starts[first], end: range.ends[last], utf16Start: range.utf16Starts[first], utf16End: range.utf16Ends[last] },
    neurons: result.neurons,
    matches: result.matches.map((m) => ({
      start: range.starts[m.start],
      end: range.ends[m.end - 1],
      utf16Start: range.utf16Starts[m.start],
      utf16End: range.utf16Ends[m.end - 1],
      score: m.score,
      firing: m.firing,
    })),
  };
}

/**
 * One neuron's value at every code point the range covers (a token spanning
 * several characters gives each of them its value): the text coloured
 * character by character of Karpathy et al. 2015.
 */
export function characterTrace(range: ActivationRange, layer: number, kind: ActivationKind, unit: number, direction?: 'backward'): Float32Array {
  if (range.count === 0) return new Float32Array(0);
  const values = range.layers[layer][kind]!;
  const { width, column } = columnOf(range, { layer, kind, unit, direction });
  const origin = range.starts[0];
  const out = new Float32Array(range.ends[range.count - 1] - origin);
  for (let t = 0; t < range.count; t++) out.fill(values[t * width + column], range.starts[t] - origin, range.ends[t] - origin);
  return out;
}

export interface NeuronValue {
  layer: number;
  kind: ActivationKind;
  unit: number;
  direction?: 'backward';
  value: number;
}

/** The k neurons of `kind` (every layer) with the largest |value| at the token covering a code-point position (hovers). */
export async function strongestNeuronsAt(document: ActivationDocument, position: number, k = 5, kind: ActivationKind = 'h'): Promise<NeuronValue[]> {
  const range = await document.range(position, position + 1, [kind]);
  if (range.count === 0) return [];
  const all: NeuronValue[] = [];
  range.layers.forEach((layer, l) => {
    const row = layer[kind];
    if (row) for (const { unit, value } of strongestUnits(row, k)) all.push({ ...neuronAt(l, kind, unit, row.length / range.directions), kind, value });
  });
  return all.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.layer - b.layer || a.unit - b.unit).slice(0, k);
}
