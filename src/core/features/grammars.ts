import * as path from 'node:path';
import { Language, Parser } from '@vscode/tree-sitter-wasm';
import type { GrammarName } from './languages';

/**
 * Loads tree-sitter's runtime and grammars from the installed
 * `@vscode/tree-sitter-wasm` package. The bundles keep that package external
 * (scripts/build.mjs), so `require.resolve` finds its `wasm/` folder in
 * node_modules both from dist/*.js and from compiled tests under out/.
 */
export function grammarDirectory(): string {
  return path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
}

let runtime: Promise<void> | undefined;
/** One parser per grammar, kept for the process's life (or until disposeFeatureParsers). A failed load stays failed. */
const parsers = new Map<GrammarName, Promise<Parser>>();

export function parserFor(grammar: GrammarName): Promise<Parser> {
  let parser = parsers.get(grammar);
  if (!parser) {
    parser = loadParser(grammar);
    parsers.set(grammar, parser);
  }
  return parser;
}

async function loadParser(grammar: GrammarName): Promise<Parser> {
  const dir = grammarDirectory();
  runtime ??= Parser.init({ locateFile: (file: string) => path.join(dir, file) });
  await runtime;
  const language = await Language.load(path.join(dir, `tree-sitter-${grammar}.wasm`));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** The loaded grammar itself (for tests that check node type names). */
export async function grammarLanguage(grammar: GrammarName): Promise<Language> {
  const language = (await parserFor(grammar)).language;
  if (!language) throw new Error(`tree-sitter grammar ${grammar} has no language`);
  return language;
}

/** Frees every parser (WebAssembly memory). The next computeSourceFeatures loads them again. */
export function disposeFeatureParsers(): void {
  for (const parser of parsers.values()) {
    parser.then(
      (p) => p.delete(),
      () => undefined,
    );
  }
  parsers.clear();
}
