import { RANKED_FEATURES, featureName } from '../../core/neurons/featureNames';
import { neuronLabel } from '../../core/neurons/neuronLabel';
import type { NeuronId } from '../../protocol/activations';
import type { RankedFeature, RankedNeuron } from '../../protocol/neurons';

/** A ranking of the neurons of one model on one text, kept to answer "which neuron tracks …?". */
export interface KnownRanking {
  modelId: string;
  /** The text it was measured on, for people ("greeter.ts"). */
  documentName: string;
  features: readonly RankedFeature[];
}

/** A row of the neuron picker's "by feature" section. */
export interface FeatureChoice {
  feature: string;
  /** "in a string", "token: keyword". */
  name: string;
  /** The neuron that tracks it best, when a ranking is known. */
  best?: NeuronId;
  /** "AUC 0.975", "r −0.412". */
  measure?: string;
  /** Why no neuron is listed, when the ranking says so. */
  note?: string;
}

/** Every ranked feature, with its best neuron when `ranking` is given. */
export function featureChoices(ranking: KnownRanking | undefined): FeatureChoice[] {
  return RANKED_FEATURES.map((feature) => {
    const ranked = ranking?.features.find((f) => f.feature === feature);
    const top = ranked?.top[0];
    const choice: FeatureChoice = { feature, name: featureName(feature) };
    if (top) return { ...choice, best: neuronOf(top), measure: measure(ranked, top) };
    return ranked?.note ? { ...choice, note: ranked.note } : choice;
  });
}

/** The neuron that tracks `feature` best in the ranking, if any does. */
export function bestNeuronFor(ranking: KnownRanking, feature: string): NeuronId | undefined {
  const top = ranking.features.find((f) => f.feature === feature)?.top[0];
  return top && neuronOf(top);
}

function neuronOf(n: RankedNeuron): NeuronId {
  return { layer: n.layer, kind: n.kind, unit: n.unit };
}

/**
 * For the neuron picker: each ranked neuron, "c1[37]", with the feature it
 * tracks best ("in a string · AUC 0.105"), strongest first.
 */
export function neuronHints(features: readonly RankedFeature[]): Map<string, string> {
  const best = new Map<string, { score: number; hint: string }>();
  for (const f of features) {
    for (const n of f.top) {
      const key = neuronLabel(n);
      if (!best.has(key) || best.get(key)!.score < n.score) best.set(key, { score: n.score, hint: `${featureName(f.feature)} · ${measure(f, n)}` });
    }
  }
  return new Map([...best].sort((a, b) => b[1].score - a[1].score).map(([key, { hint }]) => [key, hint]));
}

function measure(f: RankedFeature, n: RankedNeuron): string {
  if (f.kind === 'binary' && n.auc !== undefined) return `AUC ${n.auc.toFixed(3)}`;
  return `r ${n.r < 0 ? '−' : '+'}${Math.abs(n.r).toFixed(3)}`;
}
