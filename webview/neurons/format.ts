/** Numbers and names as the Neurons view writes them. */
import { featureName } from '../../src/core/neurons/featureNames';
import type { RankedNeuron } from '../../src/protocol/neuronsView';
import type { NeuronId } from '../../src/protocol/activations';

export { featureName };

const KIND_NAMES: Record<string, string> = {
  h: 'hidden state',
  c: 'cell state',
  i: 'input gate',
  f: 'forget gate',
  o: 'output gate',
  z: 'update gate',
  r: 'reset gate',
};

/** Only a neuron's id (a result's neuron has a label and scores too), its backward direction kept. */
export function neuronIdOf(n: NeuronId): NeuronId {
  return { layer: n.layer, kind: n.kind, unit: n.unit, ...(n.direction === 'backward' ? { direction: 'backward' as const } : {}) };
}

/** "layer 0 cell state, unit 16". */
export function describeNeuron(n: { layer: number; kind: string; unit: number; direction?: string }): string {
  return `layer ${n.layer}${n.direction === 'backward' ? ' backward' : ''} ${KIND_NAMES[n.kind] ?? n.kind}, unit ${n.unit}`;
}

/** A signed number with a real minus sign: "−0.351", "+0.120". */
export function signed(x: number, digits = 3): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(digits)}`;
}

/** A neuron's score as measured: "AUC 0.105" for a binary feature, "r −0.351" for a scalar one. */
export function scoreText(n: RankedNeuron, kind: 'binary' | 'scalar'): string {
  return kind === 'binary' && n.auc !== undefined ? `AUC ${n.auc.toFixed(3)}` : `r ${signed(n.r)}`;
}

/** Why the score is what it is, for a tooltip. */
export function scoreHint(n: RankedNeuron, kind: 'binary' | 'scalar', feature: string): string {
  const direction = n.sign > 0 ? 'high' : 'low';
  return kind === 'binary'
    ? `${describeNeuron(n)}: ${direction} where ${featureName(feature)} holds (AUC ${n.auc?.toFixed(3)}; 1 or 0 separate perfectly, 0.5 is chance)`
    : `${describeNeuron(n)}: ${n.sign > 0 ? 'grows' : 'falls'} with ${featureName(feature)} (Pearson r ${signed(n.r)})`;
}

export function percent(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}
