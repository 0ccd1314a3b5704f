import { createHash } from 'crypto';
import { tokenizeCode } from './codeTokenizer';
import type { Resolution } from './spec';

export type { Resolution };
/** A resolution, or `word`: whitespace-separated words (a CoNLL tagger's input), unknown words → unk. */
export type VocabularyKind = Resolution | 'word';

/** The JSON form of a vocabulary: `vocab.json` in a run and `rnnlab.vocab` in an ONNX file. */
export interface VocabularyJson {
  kind: VocabularyKind;
  tokens: string[];
  unk: number;
}

export const UNK_TOKEN = '<unk>';
/** What an unknown token decodes to. */
export const UNK_TEXT = '\uFFFD';

export interface TokenVocabularyOptions {
  /** Tokens seen fewer times than this are not kept whole; they are spelled with characters. */
  minCount?: number;
  /** Upper bound on the number of whole tokens kept (most frequent first). */
  maxTokens?: number;
}

export class VocabularyError extends Error {}

/**
 * A mapping between text and token ids. Index `unk` stands for anything
 * training never saw.
 *
 * - `char`: one token per Unicode code point (an astral character such as 😀 is
 *   one token, not two UTF-16 halves).
 * - `token`: whole code tokens (see codeTokenizer) that occur at least
 *   `minCount` times, plus every character seen, so a rare identifier falls
 *   back to its characters and the text still round-trips.
 */
export class Vocabulary {
  readonly kind: VocabularyKind;
  readonly tokens: readonly string[];
  readonly unk: number;
  private readonly index: Map<string, number>;

  private constructor(kind: VocabularyKind, tokens: string[], unk: number) {
    this.kind = kind;
    this.tokens = tokens;
    this.unk = unk;
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  get size(): number {
    return this.tokens.length;
  }

  static buildChar(texts: Iterable<string>): Vocabulary {
    const seen = new Set<string>();
    for (const text of texts) for (const ch of text) seen.add(ch);
    return new Vocabulary('char', [UNK_TOKEN, ...[...seen].sort(compareCodePoints)], 0);
  }

  static buildToken(texts: Iterable<string>, options: TokenVocabularyOptions = {}): Vocabulary {
    const minCount = options.minCount ?? 2;
    const maxTokens = options.maxTokens ?? 20_000;
    const counts = new Map<string, number>();
    const chars = new Set<string>();
    for (const text of texts) {
      for (const ch of text) chars.add(ch);
      for (const tok of tokenizeCode(text)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    }
    const whole = [...counts]
      .filter(([tok, n]) => n >= minCount && [...tok].length > 1)
      .sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]))
      .slice(0, maxTokens)
      .map(([tok]) => tok);
    const single = [...chars].sort(compareCodePoints);
    return new Vocabulary('token', [UNK_TOKEN, ...single, ...whole.sort(compareCodePoints)], 0);
  }

  /** Words seen at least `minCount` times (most frequent first, at most `maxTokens`); the others are unk. */
  static buildWords(words: Iterable<string>, options: TokenVocabularyOptions = {}): Vocabulary {
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    const kept = [...counts]
      .filter(([, n]) => n >= (options.minCount ?? 1))
      .sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]))
      .slice(0, options.maxTokens ?? 50_000)
      .map(([w]) => w);
    return new Vocabulary('word', [UNK_TOKEN, ...kept.filter((w) => w !== UNK_TOKEN)], 0);
  }

  static build(resolution: Resolution, texts: string[], options?: TokenVocabularyOptions): Vocabulary {
    return resolution === 'char' ? Vocabulary.buildChar(texts) : Vocabulary.buildToken(texts, options);
  }

  /** Splits text into this vocabulary's units (code points or code tokens with character fallback). */
  split(text: string): string[] {
    if (this.kind === 'char') return [...text];
    if (this.kind === 'word') return text.split(/\s+/).filter((w) => w !== '');
    const units: string[] = [];
    for (const tok of tokenizeCode(text)) {
      if (this.index.has(tok)) units.push(tok);
      else units.push(...tok);
    }
    return units;
  }

  encode(text: string): Int32Array {
    if (this.kind === 'char') return this.encodeChars(text);
    const units = this.split(text);
    const ids = new Int32Array(units.length);
    for (let i = 0; i < units.length; i++) ids[i] = this.idOf(units[i]);
    return ids;
  }

  /** Code point by code point, without an array of them: a 50 MB text costs its ids (4 bytes a character), not gigabytes. */
  private encodeChars(text: string): Int32Array {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit < 0xdc00 || unit > 0xdfff || i === 0 || (text.charCodeAt(i - 1) & 0xfc00) !== 0xd800) count++; // a low surrogate after a high one continues it
    }
    const ids = new Int32Array(count);
    let i = 0;
    for (const ch of text) ids[i++] = this.idOf(ch);
    return ids;
  }

  idOf(unit: string): number {
    return this.index.get(unit) ?? this.unk;
  }

  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) out += this.textOf(ids[i]);
    return out;
  }

  textOf(id: number): string {
    if (id === this.unk || id < 0 || id >= this.tokens.length) return UNK_TEXT;
    return this.tokens[id];
  }

  /** Number of ids in `text` that are unknown to this vocabulary. */
  countUnknown(text: string): number {
    let n = 0;
    for (const unit of this.split(text)) if (!this.index.has(unit)) n++;
    return n;
  }

  toJSON(): VocabularyJson {
    return { kind: this.kind, tokens: [...this.tokens], unk: this.unk };
  }

  static fromJSON(value: unknown): Vocabulary {
    const v = value as Partial<VocabularyJson> | null;
    if (!v || typeof v !== 'object') throw new VocabularyError('vocabulary is not a JSON object');
    if (v.kind !== 'char' && v.kind !== 'token' && v.kind !== 'word')
      throw new VocabularyError(`vocabulary kind must be "char", "token" or "word", got ${JSON.stringify(v.kind)}`);
    if (!Array.isArray(v.tokens) || v.tokens.length < 2 || !v.tokens.every((t) => typeof t === 'string' && t.length > 0)) {
      throw new VocabularyError('vocabulary tokens must be a list of at least 2 non-empty strings');
    }
    if (new Set(v.tokens).size !== v.tokens.length) throw new VocabularyError('vocabulary tokens are not unique');
    if (!Number.isInteger(v.unk) || (v.unk as number) < 0 || (v.unk as number) >= v.tokens.length) {
      throw new VocabularyError('vocabulary unk index is out of range');
    }
    if (v.kind === 'char' && v.tokens.some((t, i) => i !== v.unk && [...t].length !== 1)) {
      throw new VocabularyError('a character vocabulary holds one code point per token');
    }
    return new Vocabulary(v.kind, [...v.tokens], v.unk as number);
  }

  /** A short hash of the kind, tokens and unk index: checkpoints record it to detect a swapped vocabulary. */
  fingerprint(): string {
    return createHash('sha256').update(JSON.stringify(this.toJSON())).digest('hex').slice(0, 16);
  }

  /** True when both map the same units to the same ids (a checkpoint fits a model). */
  equals(other: Vocabulary): boolean {
    return (
      this.kind === other.kind && this.unk === other.unk && this.tokens.length === other.tokens.length && this.tokens.every((t, i) => t === other.tokens[i])
    );
  }
}

/** The resolution of a language model's vocabulary (a word vocabulary belongs to a CoNLL tagger, which these paths refuse first). */
export function resolutionOf(vocab: Vocabulary): Resolution {
  if (vocab.kind === 'word') throw new VocabularyError('a word vocabulary belongs to a word-level tagger, not to a language model');
  return vocab.kind;
}

function compareCodePoints(a: string, b: string): number {
  // Code-point order, not UTF-16 order, so astral characters sort after the BMP.
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
  return ca.length - cb.length;
}
