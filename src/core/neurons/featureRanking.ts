import type { NeuronColumns, NeuronRef } from './neuronColumns';
import { CenteredFeature, RankedScores } from './statistics';

/** A per-step feature: binary (in a string, in a comment) or scalar (depth, column, line length). */
export interface FeatureInput {
  name: string;
  kind: 'binary' | 'scalar';
  /** One value per step; for a binary feature non-zero means true. */
  values: ArrayLike<number>;
}

export interface NeuronScore {
  neuron: NeuronRef;
  /** What the neurons are ranked by: |r| for a scalar feature, max(AUC, 1 − AUC) for a binary one. */
  score: number;
  /** +1 when the neuron is higher where the feature is higher (or true), −1 when lower. */
  sign: 1 | -1;
  /** Pearson r (point-biserial for a binary feature). */
  r: number;
  /** ROC AUC of the neuron's value as a detector of the binary feature. */
  auc?: number;
}

export interface FeatureRanking {
  feature: string;
  kind: 'binary' | 'scalar';
  /** Steps where a binary feature is true. */
  positives?: number;
  /** Best first. Empty when the feature does not vary in the text (then `note` says so). */
  top: NeuronScore[];
  note?: string;
}

export interface RankingOptions {
  /** Neurons listed per feature (default 5). */
  top?: number;
}

/**
 * For every feature, the neurons that track it best: by |Pearson r| for a
 * scalar feature and by ROC AUC for a binary one (a neuron that is low inside
 * strings is as good a detector as one that is high: the score is
 * max(AUC, 1 − AUC), the sign says which). Each neuron's column is read once.
 */
export function rankNeurons(columns: NeuronColumns, features: readonly FeatureInput[], options: RankingOptions = {}): FeatureRanking[] {
  const top = options.top ?? 5;
  const steps = columns.steps;
  for (const f of features) if (f.values.length !== steps) throw new RangeError(`feature ${f.name} has ${f.values.length} values for ${steps} steps`);
  const prepared = features.map((f) => {
    const centered = new CenteredFeature(f.values);
    let positives = 0;
    if (f.kind === 'binary') for (let i = 0; i < steps; i++) if (f.values[i]) positives++;
    const constant = !(centered.norm > 0);
    return { feature: f, centered, positives, constant, best: [] as NeuronScore[] };
  });
  const needsRanks = prepared.some((p) => p.feature.kind === 'binary' && !p.constant);
  for (let n = 0; n < columns.neurons.length; n++) {
    const values = columns.column(n);
    const ranked = needsRanks ? new RankedScores(values) : undefined;
    for (const p of prepared) {
      if (p.constant) continue;
      const r = p.centered.correlation(values);
      let entry: NeuronScore;
      if (p.feature.kind === 'binary') {
        const auc = ranked!.auc(p.feature.values);
        if (Number.isNaN(auc)) continue;
        entry = { neuron: columns.neurons[n], score: Math.max(auc, 1 - auc), sign: auc >= 0.5 ? 1 : -1, r, auc };
      } else {
        if (Number.isNaN(r)) continue; // a constant neuron
        entry = { neuron: columns.neurons[n], score: Math.abs(r), sign: r >= 0 ? 1 : -1, r };
      }
      insertBest(p.best, entry, top);
    }
  }
  return prepared.map((p) => ({
    feature: p.feature.name,
    kind: p.feature.kind,
    ...(p.feature.kind === 'binary' ? { positives: p.positives } : {}),
    top: p.best,
    ...(p.constant
      ? { note: p.feature.kind === 'binary' ? (p.positives === 0 ? 'never true in this text' : 'always true in this text') : 'constant in this text' }
      : {}),
  }));
}

/** Keeps `best` sorted by score (ties: earlier neuron first) and at most `limit` long. */
function insertBest(best: NeuronScore[], entry: NeuronScore, limit: number): void {
  if (limit <= 0) return;
  if (best.length === limit && entry.score <= best[limit - 1].score) return;
  let at = best.length;
  while (at > 0 && best[at - 1].score < entry.score) at--;
  best.splice(at, 0, entry);
  if (best.length > limit) best.pop();
}
