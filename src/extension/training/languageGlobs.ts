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

/** A sample opened in an editor takes the language most of the run's files were in (by file extension); undefined for none known. */
export function languageOfFiles(files: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const file of files) {
    const ext = /\.([A-Za-z0-9_+-]+)$/.exec(file)?.[1]?.toLowerCase();
    const language = ext && Object.keys(GLOBS).find((id) => GLOBS[id].includes(`*.${ext}`));
    if (language) counts.set(language, (counts.get(language) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [language, count] of counts) if (best === undefined || count > counts.get(best)!) best = language;
  return best;
}

/** Globs for a language id; falls back to the file's own extension. */
export function globsForLanguage(languageId: string, fileName?: string): string[] | undefined {
  const known = GLOBS[languageId];
  if (known) return known;
  const ext = fileName && /\.([A-Za-z0-9_+-]+)$/.exec(fileName)?.[1];
  return ext ? [`*.${ext}`] : undefined;
}
