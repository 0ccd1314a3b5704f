/** What kind of token a character belongs to (SourceFeatures.tokenKind). */
export const TokenKind = {
  whitespace: 0,
  identifier: 1,
  keyword: 2,
  number: 3,
  string: 4,
  comment: 5,
  punctuation: 6,
  other: 7,
} as const;

export type TokenKindName = keyof typeof TokenKind;
export type TokenKindValue = (typeof TokenKind)[TokenKindName];

/** Names indexed by value: TOKEN_KIND_NAMES[TokenKind.keyword] === 'keyword'. */
export const TOKEN_KIND_NAMES = Object.keys(TokenKind) as TokenKindName[];

/** Whitespace as `/\s/` defines it, without a regular expression per character. */
export function isWhitespace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/.test(String.fromCharCode(code));
}
