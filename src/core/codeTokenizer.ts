/**
 * The code-token resolution's tokenizer: deliberately simple and lossless, so
 * that joining the tokens of a text gives the text back exactly.
 *
 * A token is one of:
 *  - an identifier or keyword: a letter, `_` or `$`, then letters, digits, `_`, `$`;
 *  - a number: digits, optionally with one `.` and more digits;
 *  - a run of spaces, or a run of tabs (indentation is learnt as a unit);
 *  - a newline;
 *  - any other single code point (operators, brackets, quotes, non-Latin text).
 * "Letter" and "digit" follow Unicode (`\p{L}`, `\p{N}`), so identifiers in any
 * script stay whole.
 */
const TOKEN_PATTERN = /[\p{L}_$][\p{L}\p{N}_$]*|\p{Nd}+(?:\.\p{Nd}+)?| +|\t+|\n|[\s\S]/gu;

export function tokenizeCode(text: string): string[] {
  return text.match(TOKEN_PATTERN) ?? [];
}
