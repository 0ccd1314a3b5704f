import { NEURON_KINDS, type NeuronId } from '../../protocol/activations';
import { int, isRecord, oneOf, optional, shape, str } from '../../protocol/guards';
import { RANKED_FEATURES } from '../../core/neurons/featureNames';
import { parseNeuronLabel } from './neuronLabels';

/**
 * Arguments of `RNN Lab: Show Neuron Activations` that skip its questions
 * (tests, keybindings): a run folder, run id or .onnx file, and a neuron.
 */
export interface ShowActivationsArgs {
  modelId?: string;
  layer?: number;
  kind?: NeuronId['kind'];
  unit?: number;
  /** 'backward': the right-to-left direction of a bidirectional layer. */
  direction?: 'backward';
}

const argsCheck = shape({
  modelId: optional(str),
  layer: optional(int),
  kind: optional(oneOf(...NEURON_KINDS)),
  unit: optional(int),
  direction: optional(oneOf('backward')),
});

/** The arguments, or the problem in words; anything not an object (a menu's URI, nothing) means "ask". */
export function parseShowActivationsArgs(value: unknown): ShowActivationsArgs | string {
  if (!isRecord(value)) return {};
  return argsCheck(value, 'arguments') ?? value;
}

/** The neuron the arguments name, filling what they leave out from `fallback`; undefined when they name none. */
export function neuronFromArgs(args: ShowActivationsArgs, fallback: NeuronId): NeuronId | undefined {
  if (args.layer === undefined && args.kind === undefined && args.unit === undefined && args.direction === undefined) return undefined;
  const direction = args.direction ?? (args.layer === undefined && args.unit === undefined ? fallback.direction : undefined);
  return { layer: args.layer ?? fallback.layer, kind: args.kind ?? fallback.kind, unit: args.unit ?? fallback.unit, ...(direction ? { direction } : {}) };
}

/** A neuron given to `RNN Lab: Choose Neuron…` (by the Neurons view, a keybinding): a label "c1[37]" or { layer, kind, unit }. */
export function parseNeuronArg(value: unknown): NeuronId | undefined {
  if (typeof value === 'string') return parseNeuronLabel(value);
  if (!isRecord(value)) return undefined;
  const problem = shape({ layer: int, kind: oneOf(...NEURON_KINDS), unit: int, direction: optional(oneOf('backward')) })(value, 'neuron');
  if (problem) return undefined;
  const neuron: NeuronId = { layer: value.layer as number, kind: value.kind as NeuronId['kind'], unit: value.unit as number };
  return value.direction === 'backward' ? { ...neuron, direction: 'backward' } : neuron;
}

/** A feature given to `RNN Lab: Choose Neuron…` ({ feature: "inString" }): its best neuron is shown, ranking first when needed. */
export function parseFeatureArg(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.feature !== 'string' || Object.keys(value).length !== 1) return undefined;
  return RANKED_FEATURES.includes(value.feature) ? value.feature : undefined;
}
