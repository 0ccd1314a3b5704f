import type { Parser } from '@vscode/tree-sitter-wasm';
import type { FeatureBuilder } from './featureBuilder';
import type { GrammarSyntax } from './languages';
import { TokenKind, type TokenKindValue } from './tokenKind';

const OPENERS = new Set(['(', '[', '{', '${', '#{', '[[']);
const CLOSERS = new Set([')', ']', '}', ']]']);
/** Named leaves spelled like words that are keywords rather than names. */
const KEYWORD_LEAVES = new Set([
  'true',
  'false',
  'null',
  'undefined',
  'none',
  'nil',
  'this',
  'self',
  'super',
  'nullptr',
  'null_literal',
  'primitive_type',
  'predefined_type',
  'integral_type',
  'floating_point_type',
  'boolean_type',
  'void_type',
  'implicit_type',
  'mutable_specifier',
  'crate',
]);
/** A word, or a directive such as C's `#include`. */
const WORD = /^#?[\p{L}_][\p{L}\p{N}_$]*[?!]?$/u;
const NUMBER_START = /^\.?\p{Nd}/u;

const enum Mode {
  Code,
  String,
}

/**
 * Parses `text` and paints strings, comments, brackets and token kinds into
 * `builder`. Returns false when tree-sitter gives no tree.
 */
export function paintSyntaxTree(parser: Parser, text: string, syntax: GrammarSyntax, builder: FeatureBuilder): boolean {
  const tree = parser.parse(text);
  if (!tree) return false;
  const strings = new Set(syntax.strings);
  const holes = new Set(syntax.holes);
  const comments = new Set(syntax.comments);
  const cursor = tree.walk();
  try {
    // Iterative pre-order walk: a parent paints first, its children may repaint (a hole in a string).
    const modes: Mode[] = [];
    let mode = Mode.Code;
    for (;;) {
      const type = cursor.nodeType;
      const named = cursor.nodeIsNamed;
      const start = cursor.startIndex;
      const end = cursor.endIndex;
      let childMode: Mode = mode;
      let descend = true;
      let special = true;
      // Only named nodes: TypeScript's keyword `string` is an anonymous node of type "string".
      if (named && comments.has(type)) {
        builder.comment(start, end);
        descend = false;
      } else if (named && strings.has(type)) {
        if (mode === Mode.Code) builder.string(start, end);
        childMode = Mode.String;
      } else if (named && mode === Mode.String && holes.has(type)) {
        builder.code(start, end);
        childMode = Mode.Code;
      } else {
        special = false;
      }
      if (descend && cursor.gotoFirstChild()) {
        modes.push(mode);
        mode = childMode;
        continue;
      }
      if (!special && mode === Mode.Code && end > start) paintLeaf(builder, text.slice(start, end), type, named, start, end);
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return true;
        mode = modes.pop()!;
      }
    }
  } finally {
    cursor.delete();
    tree.delete();
  }
}

function paintLeaf(builder: FeatureBuilder, leaf: string, type: string, named: boolean, start: number, end: number): void {
  if (OPENERS.has(leaf)) builder.open(start, end);
  else if (CLOSERS.has(leaf)) builder.close(start, end);
  else builder.token(start, end, leafKind(leaf, type, named));
}

function leafKind(leaf: string, type: string, named: boolean): TokenKindValue {
  if (named && NUMBER_START.test(leaf)) return TokenKind.number;
  if (WORD.test(leaf)) {
    // Anonymous word tokens are the grammar's literal keywords (`if`, `def`, `const`).
    if (!named || KEYWORD_LEAVES.has(type)) return TokenKind.keyword;
    return TokenKind.identifier;
  }
  if (!named) return TokenKind.punctuation;
  return /identifier|variable|name/.test(type) ? TokenKind.identifier : TokenKind.other;
}
