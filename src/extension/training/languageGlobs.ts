/** File globs for common VS Code language ids, for "files of the active editor's language". */
const GLOBS: Record<string, string[]> = {
  typescript: ['*.ts', '*.mts', '*.cts'],
  typescriptreact: ['*.tsx'],
  javascript: ['*.js', '*.mjs', '*.cjs'],
  javascriptreact: ['*.jsx'],
  python: ['*.py', '*.pyi'],
  c: ['*.c', '*.h'],
  cpp: ['*.cpp', '*.cc', '*.cxx', '*.hpp', '*.hh', '*.hxx', '*.h'],
  csharp: ['*.cs'],
  java: ['*.java'],
  go: ['*.go'],
  rust: ['*.rs'],
  ruby: ['*.rb'],
  php: ['*.php'],
  shellscript: ['*.sh', '*.bash'],
  css: ['*.css'],
  html: ['*.html', '*.htm'],
  json: ['*.json'],
  markdown: ['*.md'],
  plaintext: ['*.txt'],
};

/** Globs for a language id; falls back to the file's own extension. */
export function globsForLanguage(languageId: string, fileName?: string): string[] | undefined {
  const known = GLOBS[languageId];
  if (known) return known;
  const ext = fileName && /\.([A-Za-z0-9_+-]+)$/.exec(fileName)?.[1];
  return ext ? [`*.${ext}`] : undefined;
}
