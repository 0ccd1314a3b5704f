import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  type CorpusDocument,
  CorpusError,
  DEFAULT_MAX_FILE_BYTES,
  type GatheredCorpus,
  decodeUtf8Text,
  describeSkipped,
  gatherCorpus,
  normalizeNewlines,
  requireDocuments,
  splitByDocument,
} from '../../src/core/corpus';

// One temp root for the whole file, removed at the end; each test gets its own subfolder.
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-corpus-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

let dirCount = 0;
/** Creates a fresh folder holding `files` (relative path -> contents) and returns its path. */
function makeTree(files: Record<string, string | Uint8Array> = {}): string {
  const dir = path.join(tmpRoot, `t${dirCount++}`);
  fs.mkdirSync(dir);
  for (const [rel, contents] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, contents);
  }
  return dir;
}

const docPaths = (c: GatheredCorpus) => c.documents.map((d) => d.path);
const skippedAs = (c: GatheredCorpus) => c.skipped.map((s) => `${s.path}:${s.reason}`);
const textOf = (c: GatheredCorpus, p: string) => c.documents.find((d) => d.path === p)?.text;

// --- per-file skip rules ----------------------------------------------------

test('a file containing a NUL byte is skipped as binary', async () => {
  const dir = makeTree({ 'ok.txt': 'hello', 'img.bin': Uint8Array.from([0x89, 0x50, 0x00, 0x47]) });
  const c = await gatherCorpus([dir]);
  assert.deepEqual(docPaths(c), ['ok.txt']);
  assert.deepEqual(skippedAs(c), ['img.bin:binary']);
});

test('invalid UTF-8 is skipped', async () => {
  const dir = makeTree({ 'latin1.txt': Uint8Array.from([0x63, 0x61, 0x66, 0xe9]) }); // "café" in Latin-1
  const c = await gatherCorpus([dir]);
  assert.deepEqual(c.documents, []);
  assert.deepEqual(skippedAs(c), ['latin1.txt:invalid-utf8']);
});

test('files over maxFileBytes are skipped as too-large; files at the limit are kept', async () => {
  const dir = makeTree({ 'at.txt': '0123456789', 'over.txt': '0123456789X' });
  const c = await gatherCorpus([dir], { maxFileBytes: 10 });
  assert.deepEqual(docPaths(c), ['at.txt']);
  assert.equal(c.skipped.length, 1);
  assert.equal(c.skipped[0].reason, 'too-large');
  assert.match(c.skipped[0].detail ?? '', /11 bytes > 10 bytes/);
  assert.equal(c.maxFileBytes, 10);
});

test('empty, whitespace-only and BOM-only files are skipped as empty', async () => {
  const dir = makeTree({
    'zero.txt': '',
    'blank.txt': '  \r\n\t\n ',
    'bom.txt': Uint8Array.from([0xef, 0xbb, 0xbf]),
    'real.txt': 'x',
  });
  const c = await gatherCorpus([dir]);
  assert.deepEqual(docPaths(c), ['real.txt']);
  assert.deepEqual(skippedAs(c), ['blank.txt:empty', 'bom.txt:empty', 'zero.txt:empty']);
});

// --- text normalisation -----------------------------------------------------

test('CRLF and lone CR become LF', async () => {
  assert.equal(normalizeNewlines('a\r\nb\rc\nd\r\n\r\n'), 'a\nb\nc\nd\n\n');
  const dir = makeTree({ 'win.txt': 'one\r\ntwo\rthree\n' });
  const c = await gatherCorpus([dir]);
  assert.equal(textOf(c, 'win.txt'), 'one\ntwo\nthree\n');
});

test('a UTF-8 BOM is stripped', async () => {
  const dir = makeTree({ 'bom.txt': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('hello')]) });
  const c = await gatherCorpus([dir]);
  assert.equal(textOf(c, 'bom.txt'), 'hello');
});

test('astral characters survive decoding', async () => {
  const text = 'const 𝔘 = "😀";\n';
  const dir = makeTree({ 'emoji.ts': text });
  const c = await gatherCorpus([dir]);
  assert.equal(textOf(c, 'emoji.ts'), text);
});

test('decodeUtf8Text reports binary before invalid UTF-8', () => {
  assert.deepEqual(decodeUtf8Text(Uint8Array.from([0xff, 0x00])), { ok: false, reason: 'binary' });
  assert.deepEqual(decodeUtf8Text(Uint8Array.from([0xff])), { ok: false, reason: 'invalid-utf8' });
  assert.deepEqual(decodeUtf8Text(Buffer.from('\uFEFFhi')), { ok: true, text: 'hi' });
});

// --- walking ----------------------------------------------------------------

test('node_modules and .git are never read, in directory walks or globs', async () => {
  const dir = makeTree({
    'index.js': 'main',
    'node_modules/dep/index.js': 'dependency',
    '.git/config': '[core]',
    'sub/node_modules/x.js': 'nested dependency',
  });
  for (const input of [dir, `${dir}/**/*.js`]) {
    const c = await gatherCorpus([input]);
    assert.deepEqual(docPaths(c), ['index.js'], input);
    assert.deepEqual(c.skipped, [], input);
  }
});

test('.gitignore is respected, including a nested file with a negation', async () => {
  const dir = makeTree({
    '.gitignore': '*.log\nbuild/\n',
    'a.txt': 'a',
    'x.log': 'log',
    'build/out.txt': 'generated',
    'sub/.gitignore': '!keep.log\nlocal.txt\n',
    'sub/keep.log': 'kept',
    'sub/other.log': 'still ignored',
    'sub/local.txt': 'ignored only under sub',
    'other/local.txt': 'not under sub',
  });
  const c = await gatherCorpus([dir]);
  assert.deepEqual(docPaths(c), ['.gitignore', 'a.txt', 'other/local.txt', 'sub/.gitignore', 'sub/keep.log']);
  // Ignored files are listed; the ignored build/ directory is not walked, so nothing under it is.
  assert.deepEqual(skippedAs(c), ['sub/local.txt:ignored', 'sub/other.log:ignored', 'x.log:ignored']);

  const all = await gatherCorpus([dir], { followGitignore: false });
  assert.ok(docPaths(all).includes('build/out.txt'));
  assert.ok(docPaths(all).includes('x.log'));
  assert.deepEqual(all.skipped, []);
});

test('an explicitly named file is read even if .gitignore excludes it', async () => {
  const dir = makeTree({ '.gitignore': '*.log\n', 'x.log': 'wanted' });
  const alone = await gatherCorpus([path.join(dir, 'x.log')]);
  assert.deepEqual(docPaths(alone), ['x.log']);
  assert.equal(alone.root, dir);

  // Also when the same file is reached (and ignored) through its folder.
  const both = await gatherCorpus([dir, path.join(dir, 'x.log')]);
  assert.deepEqual(docPaths(both), ['.gitignore', 'x.log']);
  assert.deepEqual(both.skipped, []);
});

test('glob input matches relative to its static prefix', async () => {
  const dir = makeTree({ 'a.py': 'a', 'pkg/b.py': 'b', 'pkg/c.txt': 'c', 'pkg/deep/d.py': 'd' });
  const c = await gatherCorpus([`${dir}/**/*.py`]);
  assert.deepEqual(docPaths(c), ['a.py', 'pkg/b.py', 'pkg/deep/d.py']);
  assert.equal(c.root, dir);

  const shallow = await gatherCorpus([`${dir}/pkg/*.{py,txt}`]);
  assert.deepEqual(docPaths(shallow), ['b.py', 'c.txt']);
});

test('relative globs resolve against process.cwd()', async () => {
  const dir = makeTree({ 'src/a.ts': 'a', 'src/b.js': 'b' });
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const c = await gatherCorpus(['src/*.ts']);
    assert.deepEqual(docPaths(c), ['a.ts']);
  } finally {
    process.chdir(cwd);
  }
});

test('a glob matching nothing is not an error', async () => {
  const dir = makeTree({ 'a.txt': 'a' });
  const c = await gatherCorpus([`${dir}/**/*.rs`, `${dir}/missing/*.txt`]);
  assert.deepEqual(c.documents, []);
  assert.deepEqual(c.skipped, []);
});

test('include filters files found under directories, but not explicit files', async () => {
  const dir = makeTree({ 'a.ts': 'a', 'src/b.ts': 'b', 'src/c.js': 'c', 'notes.md': 'n' });
  const byExt = await gatherCorpus([dir], { include: ['*.ts'] });
  assert.deepEqual(docPaths(byExt), ['a.ts', 'src/b.ts']);

  const byDir = await gatherCorpus([dir], { include: ['src/**'] });
  assert.deepEqual(docPaths(byDir), ['src/b.ts', 'src/c.js']);

  const explicit = await gatherCorpus([dir, path.join(dir, 'notes.md')], { include: ['**/*.ts'] });
  assert.deepEqual(docPaths(explicit), ['a.ts', 'notes.md', 'src/b.ts']);
});

test('a missing path throws CorpusError naming it', async () => {
  const missing = path.join(tmpRoot, 'does-not-exist');
  await assert.rejects(gatherCorpus([missing]), (err: unknown) => {
    assert.ok(err instanceof CorpusError);
    assert.equal(err.message, `path not found: ${missing}`);
    return true;
  });
});

test('files reached twice are read once; documents are sorted by path', async () => {
  const dir = makeTree({ 'b.txt': 'b', 'a.txt': 'a', 'B.txt': 'B', 'sub/z.txt': 'z' });
  const c = await gatherCorpus([path.join(dir, 'sub'), dir, path.join(dir, 'a.txt'), `${dir}/*.txt`]);
  assert.deepEqual(docPaths(c), ['B.txt', 'a.txt', 'b.txt', 'sub/z.txt']);
});

test('symlinked directories are not followed', async () => {
  const dir = makeTree({ 'sub/a.txt': 'a' });
  fs.symlinkSync(dir, path.join(dir, 'sub', 'loop'), 'dir'); // a loop back to the root
  const c = await gatherCorpus([dir]);
  assert.deepEqual(docPaths(c), ['sub/a.txt']);
});

// --- no documents -----------------------------------------------------------

test('requireDocuments: an empty folder gives a clear "no files found" message', async () => {
  const dir = makeTree();
  const c = await gatherCorpus([dir]);
  assert.deepEqual(c.documents, []);
  assert.throws(
    () => requireDocuments(c),
    (err: unknown) => {
      assert.ok(err instanceof CorpusError);
      assert.match(err.message, /^no files found in /);
      assert.ok(err.message.includes(dir));
      return true;
    },
  );
});

test('requireDocuments: a folder of only binary files says so', async () => {
  const dir = makeTree({ 'a.bin': Uint8Array.from([0]), 'b.bin': Uint8Array.from([1, 0, 2]) });
  const c = await gatherCorpus([dir]);
  assert.throws(() => requireDocuments(c), { name: 'CorpusError', message: 'no trainable text in 2 files: 2 binary' });
});

test('requireDocuments passes when there is a document', async () => {
  const dir = makeTree({ 'a.txt': 'a', 'b.bin': Uint8Array.from([0]) });
  requireDocuments(await gatherCorpus([dir]));
});

// --- describeSkipped --------------------------------------------------------

test('describeSkipped counts per reason in a fixed order', () => {
  assert.equal(describeSkipped([]), '');
  const skipped = [
    { path: 'big', reason: 'too-large' as const },
    { path: 'x', reason: 'binary' as const },
    { path: 'y', reason: 'binary' as const },
    { path: 'z', reason: 'invalid-utf8' as const },
    { path: 'e', reason: 'empty' as const },
    { path: 'i', reason: 'ignored' as const },
    { path: 'u', reason: 'unreadable' as const },
  ];
  assert.equal(describeSkipped(skipped), '2 binary, 1 not valid UTF-8, 1 over 1 MB, 1 empty, 1 ignored by .gitignore, 1 unreadable');
  assert.equal(describeSkipped(skipped.slice(0, 1), 250_000), '1 over 250 kB');
  assert.equal(DEFAULT_MAX_FILE_BYTES, 1_000_000);
});

// --- splitByDocument --------------------------------------------------------

const doc = (p: string, length: number): CorpusDocument => ({ path: p, text: 'x'.repeat(length) });
const names = (docs: CorpusDocument[]) => docs.map((d) => d.path);

test('split: 0 and 1 documents leave validation empty', () => {
  assert.deepEqual(splitByDocument([]), { train: [], validation: [] });
  const only = [doc('a', 1000)];
  assert.deepEqual(splitByDocument(only, 0.5), { train: only, validation: [] });
});

test('split: 2 documents put one on each side, whatever the fraction', () => {
  const docs = [doc('a', 100), doc('b', 10)];
  for (const fraction of [0, 0.05, 0.5, 0.99]) {
    const s = splitByDocument(docs, fraction);
    assert.equal(s.train.length, 1, `fraction ${fraction}`);
    assert.equal(s.validation.length, 1, `fraction ${fraction}`);
  }
  // When both overshoot a small target, the smaller one is held out.
  assert.deepEqual(names(splitByDocument(docs, 0.05).validation), ['b']);
});

test('split: whole documents, deterministic for a seed and independent of input order', () => {
  const docs = Array.from({ length: 40 }, (_, i) => doc(`file${i}.txt`, 100));
  const a = splitByDocument(docs, 0.1, 7);
  const b = splitByDocument([...docs].reverse(), 0.1, 7);
  assert.deepEqual(names(a.validation).sort(), names(b.validation).sort());
  assert.equal(a.train.length + a.validation.length, docs.length);
  assert.ok(a.validation.every((d) => !a.train.includes(d)));
  assert.equal(a.validation.length, 4); // 10% of equal-sized documents

  const seeds = [1, 2, 3, 4, 5].map((seed) => names(splitByDocument(docs, 0.1, seed).validation).join());
  assert.ok(
    seeds.some((v) => v !== names(a.validation).join()),
    'different seeds should give different splits',
  );
});

test('split: aims at the fraction of characters, not of files', () => {
  const docs = [doc('big', 10_000), ...Array.from({ length: 20 }, (_, i) => doc(`small${i}`, 100))];
  const s = splitByDocument(docs, 0.05, 3); // target 600 of 12,000 characters
  const chars = s.validation.reduce((n, d) => n + d.text.length, 0);
  assert.ok(!names(s.validation).includes('big'));
  assert.equal(chars, 600);
});

test('split: train always keeps at least one document; bad fractions throw', () => {
  const docs = [doc('a', 1), doc('b', 1), doc('c', 1)];
  assert.equal(splitByDocument(docs, 0.99).train.length, 1);
  assert.throws(() => splitByDocument(docs, 1), RangeError);
  assert.throws(() => splitByDocument(docs, -0.1), RangeError);
});

test('exclude globs pass over matching files and whole folders while walking, never explicit files', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corpus-exclude-'));
  try {
    fs.mkdirSync(path.join(root, 'build', 'deep'), { recursive: true });
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(path.join(root, 'build', 'deep', 'out.js'), 'built\n');
    fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'let a = 1;\n');
    fs.writeFileSync(path.join(root, 'src', 'a.min.js'), 'minified\n');
    const walked = await gatherCorpus([root], { exclude: ['**/build', '**/*.min.js'] });
    assert.deepEqual(
      walked.documents.map((d) => d.path),
      ['src/a.ts'],
    );
    assert.deepEqual(walked.skipped, [], 'excluded paths are not reported as skipped');
    const explicit = await gatherCorpus([path.join(root, 'src', 'a.min.js')], { exclude: ['**/*.min.js'] });
    assert.equal(explicit.documents.length, 1);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
