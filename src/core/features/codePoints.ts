/**
 * The one place where UTF-16 offsets (JavaScript string indices, and so
 * tree-sitter's `startIndex`/`endIndex`, measured here to count UTF-16 code
 * units, not bytes, despite its type docs) become the vocabulary's positions:
 * Unicode code points, the units `for (const ch of text)` yields. An astral
 * character such as 😀 is one position; a lone surrogate is one position too.
 */
export class CodePointOffsets {
  /** Number of code points in the text. */
  readonly length: number;
  /** UTF-16 index → code-point index (length text.length + 1); absent when the text has no surrogate pair. */
  private readonly table: Int32Array | undefined;

  constructor(text: string) {
    if (!/[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text)) {
      this.length = text.length;
      this.table = undefined;
      return;
    }
    const table = new Int32Array(text.length + 1);
    let cp = 0;
    for (let i = 0; i < text.length; i++) {
      table[i] = cp;
      if (isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
        table[++i] = cp;
      }
      cp++;
    }
    table[text.length] = cp;
    this.length = cp;
    this.table = table;
  }

  /** The code-point position of the character that starts at (or contains) UTF-16 index `index`. */
  toCodePoint(index: number): number {
    return this.table === undefined ? index : this.table[index];
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
