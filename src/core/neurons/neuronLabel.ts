/**
 * How people name a neuron, everywhere (status bar, picker, hover, Neurons
 * view, CLI): the kind of value, the layer and the unit, as an index into that
 * layer's vector — `c1[37]` is unit 37 of layer 1's cell state, layers and units
 * counted from 0. It reads as code (c₁[37]) and in prose ("neuron c1[37]").
 *
 * A bidirectional layer has two vectors of each kind, one per direction: the
 * forward one keeps the plain form (so a language model's names never change)
 * and the backward one, which reads the text from right to left, has an arrow
 * after the layer: `h1←[37]`.
 */

/** What can be read of a neuron: hidden state h, LSTM cell state c and gates i, f, o, GRU gates z, r. */
export const NEURON_KINDS = ['h', 'c', 'i', 'f', 'o', 'z', 'r'] as const;
export type NeuronKind = (typeof NEURON_KINDS)[number];

/** The direction of a bidirectional layer that reads right to left; absent means forward (every unidirectional layer). */
export type NeuronDirection = 'backward';

/** One neuron: layer and unit counted from 0. */
export interface NeuronId {
  layer: number;
  kind: NeuronKind;
  unit: number;
  direction?: NeuronDirection;
}

/** The arrow of the backward direction in a label. */
export const BACKWARD_MARK = '←';

/** "c1[37]", or "h1←[37]" for the backward direction. */
export function neuronLabel({ layer, kind, unit, direction }: { layer: number; kind: string; unit: number; direction?: string }): string {
  return `${kind}${layer}${direction === 'backward' ? BACKWARD_MARK : ''}[${unit}]`;
}

/**
 * A neuron from its label: "c1[37]" and "h1←[37]" (also typed as "h1<[37]"),
 * and, as typed or stored by older versions, "c1:37", "c1 37" and "1:c:37"
 * (spaces allowed around the parts).
 */
export function parseNeuronLabel(label: string): NeuronId | undefined {
  const text = label.trim();
  const m = /^([a-z])\s*(\d{1,4})\s*(?:([←<])\s*)?(?:\[\s*(\d{1,6})\s*\]|[:\s]\s*(\d{1,6}))$/.exec(text) ?? legacy(text);
  if (!m) return undefined;
  const kind = m[1]!;
  if (!(NEURON_KINDS as readonly string[]).includes(kind)) return undefined;
  const id: NeuronId = { layer: Number(m[2]), kind: kind as NeuronKind, unit: Number(m[4] ?? m[5]) };
  if (m[3]) id.direction = 'backward';
  return id;
}

/** "1:c:37" as [, kind, layer, direction, unit]. */
function legacy(text: string): (string | undefined)[] | undefined {
  const m = /^(\d{1,4})\s*:\s*([a-z])\s*:\s*(\d{1,6})$/.exec(text);
  return m ? ['', m[2], m[1], undefined, m[3]] : undefined;
}
