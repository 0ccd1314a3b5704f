import { FeatureBuilder } from './featureBuilder';
import { paintFallback } from './fallbackLexer';
import { parserFor } from './grammars';
import { languageEntry } from './languages';
import { paintSyntaxTree } from './treeSitterFeatures';
import { TokenKind, type TokenKindName } from './tokenKind';
import type { SourceFeatures } from './sourceFeatureTypes';

export type { SourceFeatures };

/**
 * Features of `text` in `language`: a VS Code language id (`typescriptreact`),
 * an extension (`tsx`, `.tsx`) or a file name. Languages without a grammar,
 * and any failure to load one, fall back to the small lexer; this never throws.
 */
export async function computeSourceFeatures(text: string, language: string): Promise<SourceFeatures> {
  const entry = languageEntry(language);
  if (entry) {
    try {
      const parser = await parserFor(entry.grammar);
      const builder = new FeatureBuilder(text);
      if (paintSyntaxTree(parser, text, entry, builder)) return builder.build(entry.grammar);
    } catch {
      // A grammar that cannot load (missing .wasm) must not cost the user the overlay: the lexer still gives features.
    }
  }
  const builder = new FeatureBuilder(text);
  paintFallback(text, builder);
  return builder.build('fallback');
}

export const BINARY_FEATURES = ['inString', 'inComment'] as const;
export const SCALAR_FEATURES = ['depth', 'indent', 'column', 'lineLength'] as const;
export type BinaryFeature = (typeof BINARY_FEATURES)[number];
export type ScalarFeature = (typeof SCALAR_FEATURES)[number];
export type FeatureName = BinaryFeature | ScalarFeature;

/** One feature as floats, position by position, for correlation and AUC. */
export function featureVector(features: SourceFeatures, name: FeatureName): Float32Array {
  return Float32Array.from(features[name]);
}

/** 1 where the character belongs to a token of `kind`, else 0: a binary feature per token kind. */
export function tokenKindVector(features: SourceFeatures, kind: TokenKindName): Float32Array {
  const value = TokenKind[kind];
  return Float32Array.from(features.tokenKind, (k) => (k === value ? 1 : 0));
}
