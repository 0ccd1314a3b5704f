import { BINARY_FEATURES, SCALAR_FEATURES, computeSourceFeatures, featureVector, tokenKindVector, type SourceFeatures } from '../../core/features';
import { rankNeurons, type FeatureInput, type FeatureRanking } from '../../core/neurons/featureRanking';
import type { ActivationDocument, ActivationRange } from './activationDocument';
import { GateSaturationTallies, RANKED_KINDS, characterColumns, keepKinds, type LayerGateSaturation } from './neuronAnalysis';
import { RANKED_TOKEN_KINDS } from '../../core/neurons/featureNames';

/** Token kinds ranked as binary features (string and comment are already inString and inComment). */

/** Tokens computed and tallied at a time. */
const SLICE_TOKENS = 4096;

/** The ranked features of a text, in the order rankings list them: binary ones (AUC), then scalar ones (r). */
export function sourceFeatureInputs(features: SourceFeatures): FeatureInput[] {
  return [
    ...BINARY_FEATURES.map((name): FeatureInput => ({ name, kind: 'binary', values: featureVector(features, name) })),
    ...RANKED_TOKEN_KINDS.map((kind): FeatureInput => ({ name: `token:${kind}`, kind: 'binary', values: tokenKindVector(features, kind) })),
    ...SCALAR_FEATURES.map((name): FeatureInput => ({ name, kind: 'scalar', values: featureVector(features, name) })),
  ];
}

export interface RankedText {
  /** What the text was called (a file name). */
  name: string;
  characters: number;
  /** The tree-sitter grammar that gave its features, or 'fallback'. */
  parser: string;
}

export interface NeuronRankingResult {
  ranking: FeatureRanking[];
  gates: LayerGateSaturation[];
  texts: RankedText[];
  /** Code points ranked over, all texts together. */
  characters: number;
}

/**
 * The feature ranking of docs/architecture.md, "Looking inside", assembled over one or
 * more texts (the CLI's files, the editor's document): each text's
 * activations (h and, for an LSTM, c of every layer) at every character
 * against per-character features from tree-sitter (the fallback lexer for
 * other languages), and gate saturation over the same steps. Activations are
 * read in slices: the gates are tallied and dropped, only h and c are kept.
 */
export class NeuronRankingBuilder {
  private readonly ranges: ActivationRange[] = [];
  private readonly saturation = new GateSaturationTallies();
  private readonly featureParts = new Map<string, { kind: FeatureInput['kind']; values: ArrayLike<number>[] }>();
  private readonly texts: RankedText[] = [];
  private used = 0;

  /** Code points added so far. */
  get characters(): number {
    return this.used;
  }

  /**
   * Adds a document's whole text. `language` picks the grammar: a VS Code
   * language id, an extension or a file name.
   */
  async add(document: ActivationDocument, language: string, name: string): Promise<void> {
    const text = document.text;
    for (let t = 0; t < document.tokenCount; t += SLICE_TOKENS) {
      const range = await document.tokenRange(t, t + SLICE_TOKENS);
      this.saturation.add(range);
      this.ranges.push(keepKinds(range, RANKED_KINDS));
    }
    const features = await computeSourceFeatures(text, language);
    for (const input of sourceFeatureInputs(features)) {
      let part = this.featureParts.get(input.name);
      if (!part) this.featureParts.set(input.name, (part = { kind: input.kind, values: [] }));
      part.values.push(input.values);
    }
    this.texts.push({ name, characters: document.length, parser: features.parser });
    this.used += document.length;
  }

  /** The `top` neurons of every feature, and gate saturation per layer and gate. */
  result(top: number): NeuronRankingResult {
    const features: FeatureInput[] = [...this.featureParts].map(([name, { kind, values }]) => ({ name, kind, values: concat(values) }));
    return {
      ranking: rankNeurons(characterColumns(this.ranges), features, { top }),
      gates: this.saturation.results(),
      texts: this.texts,
      characters: this.used,
    };
  }
}

function concat(parts: ArrayLike<number>[]): ArrayLike<number> {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
