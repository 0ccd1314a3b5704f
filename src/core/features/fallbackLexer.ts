import type { FeatureBuilder } from './featureBuilder';
import { TokenKind } from './tokenKind';

/** Words treated as keywords by the fallback lexer: common to many languages, nothing more. */
const KEYWORDS = new Set([
  'if',
  'else',
  'elif',
  'for',
  'while',
  'do',
  'return',
  'break',
  'continue',
  'function',
  'fn',
  'func',
  'def',
  'class',
  'struct',
  'enum',
  'let',
  'var',
  'const',
  'import',
  'from',
  'export',
  'package',
  'public',
  'private',
  'static',
  'new',
  'true',
  'false',
  'null',
  'nil',
  'none',
  'None',
  'True',
  'False',
  'this',
  'self',
]);

const WORD_START = /[\p{L}_$]/u;
const WORD_REST = /[\p{L}\p{N}_$]/u;
const DIGIT = /\p{Nd}/u;

/**
 * A small lexer for languages without a grammar: strings in ' " ` with
 * backslash escapes (' and " end at the end of the line, ` may span lines),
 * comments // # and /* *\/, brackets ( [ {. An apostrophe right after a letter
 * or digit (don't, it's) starts no string, so prose stays mostly outside strings.
 */
export function paintFallback(text: string, builder: FeatureBuilder): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if ((c === '/' && next === '/') || c === '#') {
      const newline = text.indexOf('\n', i);
      const end = newline === -1 ? n : newline;
      builder.comment(i, end);
      i = end;
    } else if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      const end = close === -1 ? n : close + 2;
      builder.comment(i, end);
      i = end;
    } else if ((c === '"' || c === '`' || c === "'") && !(c === "'" && i > 0 && WORD_REST.test(text[i - 1]))) {
      const end = stringEnd(text, i);
      builder.string(i, end);
      i = end;
    } else if (c === '(' || c === '[' || c === '{') {
      builder.open(i, i + 1);
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      builder.close(i, i + 1);
      i++;
    } else if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < n && WORD_REST.test(text[end])) end++;
      builder.token(i, end, KEYWORDS.has(text.slice(i, end)) ? TokenKind.keyword : TokenKind.identifier);
      i = end;
    } else if (DIGIT.test(c)) {
      let end = i + 1;
      while (end < n && (WORD_REST.test(text[end]) || text[end] === '.')) end++;
      builder.token(i, end, TokenKind.number);
      i = end;
    } else {
      // Whitespace keeps its baseline kind; other ASCII symbols are punctuation, the rest 'other'.
      if (c.charCodeAt(0) < 128 && /[!-/:-@\\^`|~]/.test(c)) builder.token(i, i + 1, TokenKind.punctuation);
      i++;
    }
  }
}

/** The UTF-16 index just past the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === quote) return i + 1;
    else if (c === '\n' && quote !== '`') return i;
    else i++;
  }
  return text.length;
}
