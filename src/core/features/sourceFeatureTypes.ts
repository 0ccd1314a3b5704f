import type { GrammarName } from './languages';

/**
 * Per-character features of source code (docs/architecture.md, "Looking inside"): one
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
