import { neuronLabel, parseNeuronLabel } from '../../core/neurons/neuronLabel';
import type { NeuronId, NeuronKind, OpenDocumentResult } from '../../protocol/activations';

export { neuronLabel, parseNeuronLabel };

/** What a kind of value is, in words. */
export const KIND_NAMES: Record<NeuronKind, string> = {
  h: 'hidden state',
  c: 'cell state',
  i: 'input gate',
  f: 'forget gate',
  o: 'output gate',
  z: 'update gate',
  r: 'reset gate',
};

export function sameNeuron(a: NeuronId | undefined, b: NeuronId | undefined): boolean {
  return a !== undefined && b !== undefined && a.layer === b.layer && a.kind === b.kind && a.unit === b.unit && a.direction === b.direction;
}

/** The model's layers as openDocument describes them. */
export type ModelLayout = OpenDocumentResult['layers'];

/** Whether the model has this neuron. */
export function hasNeuron(layout: ModelLayout, n: NeuronId): boolean {
  const layer = layout[n.layer];
  const direction = n.direction === undefined || (n.direction === 'backward' && layer?.directions === 2);
  return layer !== undefined && direction && layer.kinds.includes(n.kind) && Number.isInteger(n.unit) && n.unit >= 0 && n.unit < layer.hidden;
}

/** The neuron shown when none was chosen: the first hinted one the model has, else unit 0 of the last layer's hidden state. */
export function defaultNeuron(layout: ModelLayout, hints: ReadonlyMap<string, string>): NeuronId {
  for (const label of hints.keys()) {
    const n = parseNeuronLabel(label);
    if (n && hasNeuron(layout, n)) return n;
  }
  return { layer: Math.max(0, layout.length - 1), kind: 'h', unit: 0 };
}

export interface NeuronPickEntry {
  /** A separator's title, or a neuron. */
  separator?: string;
  neuron?: NeuronId;
  label: string;
  /** The feature it tracks best, when a ranking is known. */
  description?: string;
  current?: boolean;
}

/**
 * The picker's rows: the neurons a ranking names first (with the feature each
 * tracks best), then every neuron by layer and kind. Filtering by label finds
 * "c1[37]"; by description, "string".
 */
export function neuronPickEntries(layout: ModelLayout, hints: ReadonlyMap<string, string>, current: NeuronId | undefined): NeuronPickEntry[] {
  const entry = (n: NeuronId): NeuronPickEntry => {
    const label = neuronLabel(n);
    const hint = hints.get(label);
    return { neuron: n, label, ...(hint ? { description: hint } : {}), ...(sameNeuron(n, current) ? { current: true } : {}) };
  };
  const out: NeuronPickEntry[] = [];
  const ranked = [...hints.keys()].map(parseNeuronLabel).filter((n): n is NeuronId => n !== undefined && hasNeuron(layout, n));
  if (ranked.length > 0) {
    out.push({ separator: 'Tracking a feature of the code', label: '' });
    for (const n of ranked) out.push(entry(n));
  }
  layout.forEach((layer, l) => {
    for (const backward of layer.directions === 2 ? [false, true] : [false]) {
      const where = layer.directions === 2 ? (backward ? ' backward' : ' forward') : '';
      for (const kind of layer.kinds) {
        out.push({ separator: `Layer ${l}${where} · ${kind} (${KIND_NAMES[kind]})`, label: '' });
        for (let unit = 0; unit < layer.hidden; unit++) out.push(entry({ layer: l, kind, unit, ...(backward ? { direction: 'backward' as const } : {}) }));
      }
    }
  });
  return out;
}
