import type { Vocabulary } from '../../core/vocabulary';

/**
 * A text split into the vocabulary's units, with each unit's position in code
 * points (the positions of activations and features) and in UTF-16 code units
 * (the editor's offsets).
 */
export class TokenizedText {
  private constructor(
    readonly text: string,
    readonly units: string[],
    readonly ids: Int32Array,
    /** starts[i]: code point where token i starts; starts[count] is the text's length in code points. */
    readonly starts: Int32Array,
    /** The same in UTF-16 code units. */
    readonly utf16: Int32Array,
  ) {}

  static of(vocab: Vocabulary, text: string): TokenizedText {
    const words = vocab.kind === 'word';
    const units = words ? wordTiles(text) : vocab.split(text);
    const ids = new Int32Array(units.length);
    const starts = new Int32Array(units.length + 1);
    const utf16 = new Int32Array(units.length + 1);
    for (let i = 0; i < units.length; i++) {
      const unit = units[i];
      ids[i] = vocab.idOf(words ? unit.trim() : unit);
      utf16[i + 1] = utf16[i] + unit.length;
      starts[i + 1] = starts[i] + codePointCount(unit);
    }
    return new TokenizedText(text, units, ids, starts, utf16);
  }

  get count(): number {
    return this.units.length;
  }

  /** Length in code points. */
  get length(): number {
    return this.starts[this.units.length];
  }

  /** The token covering a code point (clamped to the text); −1 when there are no tokens. */
  tokenAt(position: number): number {
    const n = this.units.length;
    if (n === 0) return -1;
    if (position <= 0) return 0;
    if (position >= this.length) return n - 1;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The token covering a UTF-16 offset (clamped); −1 when there are no tokens. */
  tokenAtUtf16(offset: number): number {
    const n = this.units.length;
    if (n === 0) return -1;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.utf16[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * A word-level model's units as tiles of the text: each whitespace-separated
 * word (the words `Vocabulary.split` gives, in order) with the whitespace
 * after it, the text's leading whitespace joined to its first word. Tiles keep
 * what every other vocabulary gives (units that spell the text, so a position
 * always falls in a unit); a word's value covers the space after it, and the
 * overlay leaves line breaks uncoloured.
 */
export function wordTiles(text: string): string[] {
  const tiles = text.match(/\S+\s*/g) ?? [];
  const lead = text.length - text.trimStart().length;
  if (lead > 0 && tiles.length > 0) tiles[0] = text.slice(0, lead) + tiles[0];
  return tiles;
}

function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Where two tokenizations of successive texts first differ: the first code
 * point that changed, and the first token whose unit (so whose id or span)
 * changed. Units are compared from the start: with code tokens an edit can
 * change units before it (typing "c" after "ab" can turn the spelled-out
 * "a", "b" into the whole token "abc"), and comparing is cheap next to
 * splitting the text.
 */
export function firstChangedToken(old: TokenizedText, next: TokenizedText): { position: number; token: number } {
  const a = old.text;
  const b = next.text;
  const limit = Math.min(a.length, b.length);
  let p16 = 0;
  while (p16 < limit && a.charCodeAt(p16) === b.charCodeAt(p16)) p16++;
  // Never split a surrogate pair: two astral characters can share their first half.
  if (p16 > 0) {
    const c = a.charCodeAt(p16 - 1);
    if (c >= 0xd800 && c <= 0xdbff) p16--;
  }
  const common = Math.min(old.count, next.count);
  let token = 0;
  while (token < common && old.units[token] === next.units[token]) token++;
  return { position: codePointCount(a.slice(0, p16)), token };
}
