import type { CorpusDocument } from '../corpus';
import { languageEntry } from '../features/languages';
import type { ClassifyExample } from './taskData';

/**
 * Source files cut into snippets of `lines` lines, each labelled by its file's
 * language: one file gives many examples, and every snippet of a file keeps
 * that file as its group, so a split by group never puts snippets of one file
 * on both sides. Snippets with no visible text are dropped, and so is a short
 * last piece (under half the length) of a file that gave a whole one.
 */
export function languageSnippets(documents: readonly CorpusDocument[], lines: number): ClassifyExample[] {
  const examples: ClassifyExample[] = [];
  for (const doc of documents) {
    const label = languageOfFile(doc.path);
    if (!label) continue;
    const all = doc.text.split('\n');
    for (let start = 0; start < all.length; start += lines) {
      const piece = all.slice(start, start + lines);
      if ((start > 0 && piece.length < lines / 2) || piece.every((l) => l.trim() === '')) continue;
      examples.push({ text: piece.join('\n'), label, source: `${doc.path}:${start + 1}`, group: doc.path });
    }
  }
  return examples;
}

/**
 * A file's language: the tree-sitter grammar its name maps to (so `.ts`,
 * `.mts` and `.cts` are all "typescript"), else its extension ("md", "json");
 * undefined for a file without one.
 */
export function languageOfFile(file: string): string | undefined {
  const entry = languageEntry(file);
  if (entry) return entry.grammar;
  const ext = /\.([A-Za-z0-9+_-]+)$/.exec(file)?.[1].toLowerCase();
  return ext || undefined;
}
