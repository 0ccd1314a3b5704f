/**
 * Which tree-sitter grammar parses a language, and which of its node types are
 * strings, comments, and code inside strings. One table for both VS Code
 * language ids and file extensions; anything not in it goes to the fallback
 * lexer. Node type names were read from each grammar's own type list (a test
 * checks that every name here exists in its grammar).
 */
export type GrammarName = 'typescript' | 'tsx' | 'javascript' | 'python' | 'cpp' | 'go' | 'rust' | 'java' | 'c-sharp' | 'ruby' | 'php' | 'bash' | 'css';

export interface GrammarSyntax {
  /** Node types of string literals, their quotes included. */
  strings: readonly string[];
  /** Node types of code embedded in a string (interpolations): not in the string. */
  holes: readonly string[];
  /** Node types of comments. */
  comments: readonly string[];
}

export interface LanguageEntry extends GrammarSyntax {
  grammar: GrammarName;
  /** VS Code language ids and file extensions (without the dot), lower case. */
  names: readonly string[];
}

const JS: GrammarSyntax = {
  strings: ['string', 'template_string'],
  holes: ['template_substitution'],
  comments: ['comment', 'html_comment'],
};

export const LANGUAGES: readonly LanguageEntry[] = [
  { grammar: 'typescript', names: ['typescript', 'ts', 'mts', 'cts'], ...JS },
  { grammar: 'tsx', names: ['typescriptreact', 'tsx'], ...JS },
  { grammar: 'javascript', names: ['javascript', 'javascriptreact', 'js', 'jsx', 'mjs', 'cjs'], ...JS },
  {
    grammar: 'python',
    names: ['python', 'py', 'pyi', 'pyw'],
    strings: ['string'],
    holes: ['interpolation'],
    comments: ['comment'],
  },
  {
    // No C grammar ships with @vscode/tree-sitter-wasm; C parses well enough as C++ for these features.
    grammar: 'cpp',
    names: ['cpp', 'c', 'cuda-cpp', 'cc', 'cxx', 'c++', 'hpp', 'hh', 'hxx', 'h', 'cu', 'ino'],
    strings: ['string_literal', 'raw_string_literal', 'char_literal', 'system_lib_string'],
    holes: [],
    comments: ['comment'],
  },
  {
    grammar: 'go',
    names: ['go'],
    strings: ['interpreted_string_literal', 'raw_string_literal', 'rune_literal'],
    holes: [],
    comments: ['comment'],
  },
  {
    grammar: 'rust',
    names: ['rust', 'rs'],
    strings: ['string_literal', 'raw_string_literal', 'char_literal'],
    holes: [],
    comments: ['line_comment', 'block_comment'],
  },
  {
    grammar: 'java',
    names: ['java'],
    strings: ['string_literal', 'character_literal'],
    holes: ['string_interpolation'],
    comments: ['line_comment', 'block_comment'],
  },
  {
    grammar: 'c-sharp',
    names: ['csharp', 'cs', 'csx'],
    strings: ['string_literal', 'verbatim_string_literal', 'raw_string_literal', 'interpolated_string_expression', 'character_literal'],
    holes: ['interpolation'],
    comments: ['comment'],
  },
  {
    grammar: 'ruby',
    names: ['ruby', 'rb', 'rake', 'gemspec'],
    strings: ['string', 'character', 'heredoc_body', 'subshell', 'string_array'],
    holes: ['interpolation'],
    comments: ['comment'],
  },
  {
    grammar: 'php',
    names: ['php'],
    strings: ['string', 'encapsed_string', 'heredoc', 'nowdoc'],
    holes: [],
    comments: ['comment'],
  },
  {
    grammar: 'bash',
    names: ['shellscript', 'bash', 'sh', 'zsh'],
    strings: ['string', 'raw_string', 'ansi_c_string', 'translated_string', 'heredoc_body'],
    holes: ['simple_expansion', 'expansion', 'command_substitution', 'arithmetic_expansion'],
    comments: ['comment'],
  },
  {
    grammar: 'css',
    names: ['css'],
    strings: ['string_value'],
    holes: [],
    comments: ['comment', 'js_comment'],
  },
];

const BY_NAME = new Map<string, LanguageEntry>(LANGUAGES.flatMap((entry) => entry.names.map((name) => [name, entry] as const)));

/**
 * The table entry for a VS Code language id (`typescriptreact`), an extension
 * (`tsx`, `.tsx`) or a file name (`App.tsx`); undefined means the fallback lexer.
 */
export function languageEntry(language: string): LanguageEntry | undefined {
  const name = language.trim().toLowerCase();
  const direct = BY_NAME.get(name);
  if (direct) return direct;
  const dot = name.lastIndexOf('.');
  return dot === -1 ? undefined : BY_NAME.get(name.slice(dot + 1));
}
