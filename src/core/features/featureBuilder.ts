import { CodePointOffsets } from './codePoints';
import { TokenKind, isWhitespace, type TokenKindValue } from './tokenKind';
import type { SourceFeatures } from './sourceFeatureTypes';

/** Columns per tab stop when measuring indentation (VS Code's default `editor.tabSize`). */
export const TAB_SIZE = 4;

const INT16_MAX = 0x7fff;

/**
 * Collects the per-character features while a parser or the fallback lexer
 * walks the text. Its callers speak UTF-16 offsets (string indices, as
 * tree-sitter reports them); everything it stores is per code point.
 */
export class FeatureBuilder {
  readonly length: number;
  private readonly offsets: CodePointOffsets;
  private readonly inString: Uint8Array;
  private readonly inComment: Uint8Array;
  private readonly tokenKind: Uint8Array;
  /** What a character is when no token claims it: whitespace or other. */
  private readonly baseline: Uint8Array;
  /** Depth changes: +1 after an opening bracket, −1 at a closing one. */
  private readonly depthDelta: Int32Array;

  constructor(private readonly text: string) {
    this.offsets = new CodePointOffsets(text);
    this.length = this.offsets.length;
    this.inString = new Uint8Array(this.length);
    this.inComment = new Uint8Array(this.length);
    this.baseline = new Uint8Array(this.length);
    this.depthDelta = new Int32Array(this.length + 1);
    for (let i = 0, p = 0; i < text.length; p++) {
      const code = text.codePointAt(i)!;
      this.baseline[p] = isWhitespace(code) ? TokenKind.whitespace : TokenKind.other;
      i += code > 0xffff ? 2 : 1;
    }
    this.tokenKind = this.baseline.slice();
  }

  /** A string literal, quotes included. */
  string(start: number, end: number): void {
    const [from, to] = this.range(start, end);
    this.inString.fill(1, from, to);
    this.tokenKind.fill(TokenKind.string, from, to);
  }

  /** A comment, delimiters included. */
  comment(start: number, end: number): void {
    const [from, to] = this.range(start, end);
    this.inComment.fill(1, from, to);
    this.tokenKind.fill(TokenKind.comment, from, to);
  }

  /** Code inside a string (`${…}`, f-string `{…}`): back to not-in-string, its tokens painted afterwards. */
  code(start: number, end: number): void {
    const [from, to] = this.range(start, end);
    this.inString.fill(0, from, to);
    this.tokenKind.set(this.baseline.subarray(from, to), from);
  }

  token(start: number, end: number, kind: TokenKindValue): void {
    const [from, to] = this.range(start, end);
    this.tokenKind.fill(kind, from, to);
  }

  /** An opening bracket spanning [start, end): what follows it is one level deeper. */
  open(start: number, end: number): void {
    this.token(start, end, TokenKind.punctuation);
    this.depthDelta[this.offsets.toCodePoint(end)]++;
  }

  /** A closing bracket: it and what follows are one level shallower. */
  close(start: number, end: number): void {
    this.token(start, end, TokenKind.punctuation);
    this.depthDelta[this.offsets.toCodePoint(start)]--;
  }

  build(parser: SourceFeatures['parser']): SourceFeatures {
    const { length, text } = this;
    const depth = new Int16Array(length);
    // An unmatched closing bracket is ignored rather than taking the depth below 0.
    for (let p = 0, d = 0; p < length; p++) {
      d = Math.max(0, d + this.depthDelta[p]);
      depth[p] = Math.min(d, INT16_MAX);
    }
    const indent = new Int16Array(length);
    const column = new Int32Array(length);
    const lineLength = new Int32Array(length);
    for (let start = 0; start <= text.length;) {
      const newline = text.indexOf('\n', start);
      const end = newline === -1 ? text.length : newline;
      const from = this.offsets.toCodePoint(start);
      const to = this.offsets.toCodePoint(end);
      // The line's length leaves out its terminator, '\r\n' as well as '\n'.
      const crlf = end > start && text.charCodeAt(end - 1) === 13 ? 1 : 0;
      const width = Math.min(indentWidth(text, start, end), INT16_MAX);
      // The newline belongs to the line it ends.
      const last = newline === -1 ? to : to + 1;
      for (let p = from; p < last; p++) {
        column[p] = p - from;
        lineLength[p] = to - from - crlf;
        indent[p] = width;
      }
      if (newline === -1) break;
      start = newline + 1;
    }
    return {
      length,
      parser,
      inString: this.inString,
      inComment: this.inComment,
      depth,
      indent,
      column,
      lineLength,
      tokenKind: this.tokenKind,
    };
  }

  private range(start: number, end: number): [number, number] {
    return [this.offsets.toCodePoint(start), this.offsets.toCodePoint(end)];
  }
}

/** Columns of leading spaces and tabs in text[start, end), tabs advancing to the next multiple of TAB_SIZE. */
function indentWidth(text: string, start: number, end: number): number {
  let width = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 32) width++;
    else if (code === 9) width += TAB_SIZE - (width % TAB_SIZE);
    else break;
  }
  return width;
}
