/**
 * How people name a neuron, everywhere (status bar, picker, hover, Neurons
 * view, CLI): the kind of value, the layer and the unit, as an index into that
 * layer's vector — `c1[37]` is unit 37 of layer 1's cell state, layers and units
 * counted from 0. It reads as code (c₁[37]) and in prose ("neuron c1[37]").
 */

/** What can be read of a neuron: hidden state h, LSTM cell state c and gates i, f, o, GRU gates z, r. */
export const NEURON_KINDS = ['h', 'c', 'i', 'f', 'o', 'z', 'r'] as const;
export type NeuronKind = (typeof NEURON_KINDS)[number];

/** One neuron: layer and unit counted from 0. */
export interface NeuronId {
  layer: number;
  kind: NeuronKind;
  unit: number;
}

/** "c1[37]". */
export function neuronLabel({ layer, kind, unit }: { layer: number; kind: string; unit: number }): string {
  return `${kind}${layer}[${unit}]`;
}

/**
 * A neuron from its label: "c1[37]", and, as typed or stored by older
 * versions, "c1:37", "c1 37" and "1:c:37" (spaces allowed around the parts).
 */
export function parseNeuronLabel(label: string): NeuronId | undefined {
  const text = label.trim();
  const m = /^([a-z])\s*(\d{1,4})\s*(?:\[\s*(\d{1,6})\s*\]|[:\s]\s*(\d{1,6}))$/.exec(text) ?? legacy(text);
  if (!m) return undefined;
  const kind = m[1];
  if (!(NEURON_KINDS as readonly string[]).includes(kind)) return undefined;
  return { layer: Number(m[2]), kind: kind as NeuronKind, unit: Number(m[3] ?? m[4]) };
}

/** "1:c:37" as [, kind, layer, unit]. */
function legacy(text: string): string[] | undefined {
  const m = /^(\d{1,4})\s*:\s*([a-z])\s*:\s*(\d{1,6})$/.exec(text);
  return m ? ['', m[2], m[1], m[3]] : undefined;
}
