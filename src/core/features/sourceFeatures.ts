import { FeatureBuilder } from './featureBuilder';
import { paintFallback } from './fallbackLexer';
import { parserFor } from './grammars';
import { languageEntry, type GrammarName } from './languages';
import { paintSyntaxTree } from './treeSitterFeatures';
import { TokenKind, type TokenKindName } from './tokenKind';

/**
 * Per-character features of source code (DESIGN.md "Interpretability"): one
 * value per code point of the text, for the character at that position, so
 * they line up with a char-level model's steps.
 */
export interface SourceFeatures {
  /** Number of code points (an astral character such as 😀 is one). */
  length: number;
  /** The tree-sitter grammar that parsed the text, or 'fallback' for the small lexer. */
  parser: GrammarName | 'fallback';
  /** 1 inside a string or character literal, its quotes included; 0 in code interpolated into it (`${…}`). */
  inString: Uint8Array;
  /** 1 inside a comment, its delimiters included. */
  inComment: Uint8Array;
  /**
   * Bracket nesting, ( [ { and interpolation openers such as `${`, outside
   * strings and comments. An opening bracket and its closing one sit at the
   * outer depth, what lies between them one deeper. Blocks made by
   * indentation (Python) show in `indent`, not here.
   */
  depth: Int16Array;
  /** Leading whitespace of the character's line in columns, a tab advancing to the next multiple of TAB_SIZE (4). */
  indent: Int16Array;
  /** Code points from the start of the line (0-based); a newline's column is its line's length. */
  column: Int32Array;
  /** Code points in the character's line, without its '\n' or '\r\n'; a newline belongs to the line it ends. */
  lineLength: Int32Array;
  /** A TokenKind value. */
  tokenKind: Uint8Array;
}

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
