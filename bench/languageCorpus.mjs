// Builds the language-classification corpus of docs/architecture.md's measured facts ("Tasks"):
// up to 40 files per language from what the installed packages ship (node_modules), copied into
// OUT/<language>/ so a corpus walk (which skips node_modules) reads them. Deterministic: the first
// files by path between 1 and 30 kB.  Usage: node bench/languageCorpus.mjs OUT
import * as fs from 'node:fs';
import * as path from 'node:path';

const out = process.argv[2];
if (!out) throw new Error('usage: node bench/languageCorpus.mjs OUT');
const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'node_modules');
const extensions = ['js', 'ts', 'json', 'md', 'css', 'html'];
const found = Object.fromEntries(extensions.map((e) => [e, []]));

function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (entry.isFile()) {
      const ext = path.extname(entry.name).slice(1);
      const size = fs.statSync(file).size;
      if (found[ext] && found[ext].length < 40 && size >= 1000 && size <= 30_000) found[ext].push(file);
    }
  }
}
walk(root);
for (const [ext, files] of Object.entries(found)) {
  fs.mkdirSync(path.join(out, ext), { recursive: true });
  files.forEach((f, i) => fs.copyFileSync(f, path.join(out, ext, `${String(i).padStart(2, '0')}-${path.basename(f)}`)));
  console.log(`${ext}: ${files.length} files`);
}
