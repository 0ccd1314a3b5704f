// Builds the language-classification corpus of docs/architecture.md's measured facts ("Tasks"):
// files of six languages that the installed packages ship (node_modules, fixed by package-lock.json),
// copied into OUT/<language>/ so a corpus walk (which skips node_modules) reads them.
//
// The rules, each for a reason:
// - JavaScript is .js/.mjs/.cjs, TypeScript .ts/.mts/.cts (declarations .d.ts included: they are
//   TypeScript people read), then .json, .md, .css, .html; 500 bytes to 64 kB.
// - A file whose text is byte-identical to one already taken is skipped: packages ship the same
//   file several times (esm/commonjs builds, vendored copies), and a copy on each side of the
//   split would be a held-out example the model has already seen.
// - Minified or generated one-liners are skipped: fewer than 10 lines, or a mean line over 200
//   characters. A 20-line snippet of one is the whole file on one line, which nobody writes or
//   reads as that language; these are the only files left out for their content.
// - At most 3 files per package and language, in an order set by a hash of each path: a sample
//   spread over many packages rather than the first package's files in folder order (which gave
//   40 .d.ts files of one SDK beside its compiled .js).
// - Up to 60 files per language; CSS and HTML have fewer (the packages ship few).
// Deterministic for a given node_modules. Usage: node bench/languageCorpus.mjs OUT
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const LANGUAGES = {
  js: ['.js', '.mjs', '.cjs'],
  ts: ['.ts', '.mts', '.cts'],
  json: ['.json'],
  md: ['.md'],
  css: ['.css'],
  html: ['.html'],
};
const MIN_BYTES = 500;
const MAX_BYTES = 64_000;
const MIN_LINES = 10;
const MAX_MEAN_LINE = 200;
const PER_PACKAGE = 3;
const PER_LANGUAGE = 400;

/** Candidate files per language under `root`: [{ file, pkg, rank }]. */
function candidates(root) {
  const found = Object.fromEntries(Object.keys(LANGUAGES).map((l) => [l, []]));
  const languageOf = (name) => Object.keys(LANGUAGES).find((l) => LANGUAGES[l].some((ext) => name.endsWith(ext)));
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile()) {
        const language = languageOf(entry.name);
        const size = language ? fs.statSync(file).size : 0;
        if (language && size >= MIN_BYTES && size <= MAX_BYTES)
          found[language].push({ file, pkg: packageOf(root, file), rank: hash(path.relative(root, file)) });
      }
    }
  };
  walk(root);
  for (const list of Object.values(found)) list.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return found;
}

/** The innermost package a file belongs to: `node_modules/<name>` or `node_modules/@scope/<name>`. */
function packageOf(root, file) {
  const parts = path.relative(root, file).split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  const rest = parts.slice(at + 1);
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

function hash(text) {
  return createHash('sha1').update(text).digest('hex');
}

function isMinified(text) {
  const lines = text.split('\n');
  return lines.length < MIN_LINES || text.length / lines.length > MAX_MEAN_LINE;
}

export function buildCorpus(root, out) {
  const seen = new Set();
  const report = {};
  for (const [language, list] of Object.entries(candidates(root))) {
    const perPackage = new Map();
    const taken = [];
    const skipped = { duplicate: 0, minified: 0 };
    for (const c of list) {
      if (taken.length >= PER_LANGUAGE) break;
      if ((perPackage.get(c.pkg) ?? 0) >= PER_PACKAGE) continue;
      const text = fs.readFileSync(c.file, 'utf8');
      const digest = hash(text);
      if (seen.has(digest)) skipped.duplicate++;
      else if (isMinified(text)) skipped.minified++;
      else {
        seen.add(digest);
        perPackage.set(c.pkg, (perPackage.get(c.pkg) ?? 0) + 1);
        taken.push(c);
      }
    }
    fs.mkdirSync(path.join(out, language), { recursive: true });
    taken.forEach((c, i) => {
      const name = `${String(i).padStart(2, '0')}-${c.pkg.replace('/', '+')}-${path.basename(c.file)}`;
      fs.copyFileSync(c.file, path.join(out, language, name));
    });
    report[language] = { files: taken.length, packages: perPackage.size, ...skipped };
  }
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node bench/languageCorpus.mjs OUT');
  const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'node_modules');
  for (const [language, r] of Object.entries(buildCorpus(root, out))) {
    console.log(`${language}: ${r.files} files from ${r.packages} packages (skipped ${r.duplicate} copies, ${r.minified} minified or generated)`);
  }
}
