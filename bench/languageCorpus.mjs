// Builds the language-classification corpus of docs/architecture.md's measured facts ("Tasks"):
// source files that installed packages ship, copied into OUT/<language>/ so a corpus walk (which
// skips node_modules) reads them. Two sets, each language drawn from where it is plentiful:
// - `node` (the default): .js, .ts, .json, .md, .css and .html from node_modules (fixed by
//   package-lock.json). The packages ship few CSS and HTML files, so those classes stay small.
// - `packages`: .js, .ts, .json and .md from node_modules, Python (.py) from /usr/lib/python3,
//   C headers (.h) from /usr/include and Perl modules (.pm) from /usr/share/perl*, the Debian
//   packages a test machine has (python3-torch is a test prerequisite).
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
// - At most 3 files per package and language (outside node_modules, per directory), in an order
//   set by a hash of each path: a sample spread over many packages rather than the first
//   package's files in folder order (which gave 40 .d.ts files of one SDK beside its compiled .js).
// - Up to 400 files per language (`perLanguage`; languageClassification.mjs --files N).
// - `distinct`: `packages` without TypeScript (see SETS.distinct).
// Deterministic for given installed packages. Usage: node bench/languageCorpus.mjs OUT [node|packages|distinct]
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const NODE_MODULES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'node_modules');
const PERL = [
  '/usr/share/perl',
  '/usr/share/perl5',
  '/usr/lib/x86_64-linux-gnu/perl',
  '/usr/lib/x86_64-linux-gnu/perl5',
  '/usr/lib/x86_64-linux-gnu/perl-base',
];
/** Per set, per language: its extensions and the folders it is drawn from. */
export const SETS = {
  node: {
    js: { exts: ['.js', '.mjs', '.cjs'], roots: [NODE_MODULES] },
    ts: { exts: ['.ts', '.mts', '.cts'], roots: [NODE_MODULES] },
    json: { exts: ['.json'], roots: [NODE_MODULES] },
    md: { exts: ['.md'], roots: [NODE_MODULES] },
    css: { exts: ['.css'], roots: [NODE_MODULES] },
    html: { exts: ['.html'], roots: [NODE_MODULES] },
  },
  packages: {
    js: { exts: ['.js', '.mjs', '.cjs'], roots: [NODE_MODULES] },
    ts: { exts: ['.ts', '.mts', '.cts'], roots: [NODE_MODULES] },
    json: { exts: ['.json'], roots: [NODE_MODULES] },
    md: { exts: ['.md'], roots: [NODE_MODULES] },
    py: { exts: ['.py'], roots: ['/usr/lib/python3'] },
    h: { exts: ['.h'], roots: ['/usr/include'] },
    pm: { exts: ['.pm'], roots: PERL },
  },
};
// `distinct`: `packages` without TypeScript, which is a superset of JavaScript (a TypeScript
// snippet without type annotations is JavaScript, so no reader can tell those two apart from it).
const { ts: _superset, ...distinct } = SETS.packages;
SETS.distinct = distinct;
const MIN_BYTES = 500;
const MAX_BYTES = 64_000;
const MIN_LINES = 10;
const MAX_MEAN_LINE = 200;
const PER_PACKAGE = 3;
const PER_LANGUAGE = 400;

/** Candidate files of one language, in hashed order: [{ file, pkg, rank }]. Symbolic links are not followed. */
function candidates({ exts, roots }) {
  const found = [];
  const walk = (root, dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // an unreadable folder
    }
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(root, file);
      else if (entry.isFile() && exts.some((ext) => entry.name.endsWith(ext))) {
        const size = fs.statSync(file).size;
        if (size >= MIN_BYTES && size <= MAX_BYTES) found.push({ file, pkg: packageOf(root, file), rank: hash(path.relative(root, file)) });
      }
    }
  };
  for (const root of roots) if (fs.existsSync(root)) walk(root, root);
  return found.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
}

/**
 * What the per-package cap counts: in node_modules the innermost package
 * (`node_modules/<name>` or `node_modules/@scope/<name>`), elsewhere the file's folder.
 */
function packageOf(root, file) {
  const parts = path.relative(root, file).split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 && path.basename(root) !== 'node_modules') return path.relative('/', path.dirname(file));
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

/** Copies set `setName`'s files (up to `perLanguage` each) into OUT/<language>/; returns per language the files taken and skipped. */
export function buildCorpus(out, setName = 'node', perLanguage = PER_LANGUAGE) {
  const set = SETS[setName];
  if (!set) throw new Error(`unknown corpus set "${setName}" (known: ${Object.keys(SETS).join(', ')})`);
  const seen = new Set();
  const report = {};
  for (const [language, source] of Object.entries(set)) {
    const list = candidates(source);
    const perPackage = new Map();
    const taken = [];
    const skipped = { duplicate: 0, minified: 0 };
    for (const c of list) {
      if (taken.length >= perLanguage) break;
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
      const name = `${String(i).padStart(2, '0')}-${c.pkg.replaceAll('/', '+')}-${path.basename(c.file)}`;
      fs.copyFileSync(c.file, path.join(out, language, name));
    });
    report[language] = { files: taken.length, packages: perPackage.size, ...skipped };
  }
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, setName = 'node'] = process.argv.slice(2);
  if (!out) throw new Error('usage: node bench/languageCorpus.mjs OUT [node|packages|distinct]');
  for (const [language, r] of Object.entries(buildCorpus(out, setName))) {
    console.log(`${language}: ${r.files} files from ${r.packages} packages or folders (skipped ${r.duplicate} copies, ${r.minified} minified or generated)`);
  }
}
