// Gathers training text from files, directories and globs, and splits it into
// train/validation sets. Pure Node: no vscode, no tfjs, so the CLI and the
// extension host can share it and unit tests run without either.

import * as fs from 'fs';
import * as path from 'path';
import ignore = require('ignore');
import picomatch = require('picomatch');

import { splitGroups } from './groupSplit';
import { isInsideReal } from './paths';
import type { SkipReason } from './runFormat';

export type { SkipReason };

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  detail?: string;
}

export interface CorpusDocument {
  /** Relative to `GatheredCorpus.root` (forward slashes), or absolute when the inputs share no root. */
  path: string;
  text: string;
}

export interface GatherOptions {
  /** Files larger than this are skipped as 'too-large'. Default 1 MB. */
  maxFileBytes?: number;
  /**
   * Picomatch globs that files found by walking a directory or glob must match,
   * tested against the path relative to that directory. A pattern without a
   * slash (e.g. '*.ts') matches the basename at any depth. Explicit files are
   * never filtered.
   */
  include?: string[];
  /**
   * Globs (same matching as `include`) for files and folders never to read
   * while walking, e.g. VS Code's `files.exclude`. Explicit files are never filtered.
   */
  exclude?: string[];
  /**
   * Read only these documents (their `CorpusDocument.path`s), as a resumed run does with the list
   * its run.json recorded: files that appeared since (an exported .onnx, a new source file) are
   * neither read nor reported as skipped.
   */
  onlyFiles?: readonly string[];
  /** Honour .gitignore files found while walking. Default true. */
  followGitignore?: boolean;
  /**
   * Restricted Mode: read only files whose real path (symlinks resolved) lies
   * in one of these folders; others are skipped as unreadable.
   */
  confineTo?: string[];
}

export interface GatheredCorpus {
  documents: CorpusDocument[];
  skipped: SkippedFile[];
  /** Common ancestor directory of the inputs; '' when there is none (different drives). */
  root: string;
  /** The inputs as given, so messages can name them. */
  inputs: string[];
  /** The size limit that was applied, so 'too-large' can be described. */
  maxFileBytes: number;
}

export const DEFAULT_MAX_FILE_BYTES = 1_000_000;

export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

// Never walked: far too many files, none of them the user's own text.
// .rnnlab holds RNN Lab's own runs: training on them would feed the model its metrics.
const NEVER_WALK = new Set(['node_modules', '.git', '.rnnlab']);

const GLOB_CHARS = /[*?[{]/;

// ---------------------------------------------------------------------------
// Text decoding

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes as strict UTF-8. A NUL byte marks the file as binary (text
 * never contains one, and UTF-16 text is full of them). A leading BOM is
 * dropped: TextDecoder strips it by default (ignoreBOM is false).
 */
export function decodeUtf8Text(bytes: Uint8Array): { ok: true; text: string } | { ok: false; reason: 'binary' | 'invalid-utf8' } {
  if (bytes.includes(0)) return { ok: false, reason: 'binary' };
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, reason: 'invalid-utf8' };
  }
}

/** CRLF (Windows) and lone CR (old Mac) become LF, so models never learn '\r'. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

// ---------------------------------------------------------------------------
// Gathering

/** One .gitignore's rules and the directory (relative to the walk root) they apply under. */
interface IgnoreScope {
  base: string;
  rules: ignore.Ignore;
}

interface WalkContext {
  followGitignore: boolean;
  /** Matches walked paths that must be passed over (files and whole folders). */
  exclude?: (relPath: string) => boolean;
  /** Absolute paths of files to read, in discovery order. */
  found: string[];
  skipped: { abs: string; reason: SkipReason; detail?: string }[];
}

/**
 * Reads files, directories and globs into documents. Never throws for files
 * that can't be used — they end up in `skipped` — only for an input path that
 * does not exist. An empty result is not an error here; see requireDocuments.
 *
 * .gitignore handling: files excluded by a .gitignore are listed in `skipped`
 * with reason 'ignored' (we already have their names, so it costs nothing).
 * Excluded directories are not descended into and not listed, like
 * node_modules and .git, since listing their contents would mean walking them.
 */
export async function gatherCorpus(inputs: string[], options: GatherOptions = {}): Promise<GatheredCorpus> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const exclude = options.exclude?.length ? includeFilter(options.exclude) : undefined;
  const ctx: WalkContext = { followGitignore: options.followGitignore ?? true, exclude, found: [], skipped: [] };
  const roots = await findFiles(inputs, options.include?.length ? includeFilter(options.include) : undefined, ctx);
  const root = commonDir(roots);
  const display = (abs: string) => (root ? toPosix(path.relative(root, abs)) : abs);
  if (options.onlyFiles) {
    const only = new Set(options.onlyFiles);
    ctx.found = ctx.found.filter((abs) => only.has(display(abs)));
    ctx.skipped = ctx.skipped.filter((s) => only.has(display(s.abs)));
  }
  const { documents, skipped } = await readFound(ctx, display, maxFileBytes, options.confineTo);
  documents.sort((a, b) => compareStrings(a.path, b.path));
  skipped.sort((a, b) => compareStrings(a.path, b.path));
  return { documents, skipped, root, inputs: [...inputs], maxFileBytes };
}

/** Walks the inputs into `ctx.found` and `ctx.skipped`; returns the folders they lie in (for display names). */
async function findFiles(inputs: string[], includeMatcher: ((rel: string) => boolean) | undefined, ctx: WalkContext): Promise<string[]> {
  const roots: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(input);
    let stat: fs.Stats | undefined;
    try {
      stat = await fs.promises.stat(abs);
    } catch (err) {
      const code = errorCode(err);
      // Exists but can't be inspected (e.g. EACCES): report it rather than claim it's missing.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        roots.push(path.dirname(abs));
        ctx.skipped.push({ abs, reason: 'unreadable', detail: code });
        continue;
      }
    }

    // An existing path is taken literally even if its name has glob characters (e.g. 'notes[1].txt').
    if (!stat && GLOB_CHARS.test(input)) {
      const scan = picomatch.scan(input);
      const base = path.resolve(scan.base || '.');
      const globMatcher = picomatch(scan.glob);
      roots.push(base);
      if ((await statOrUndefined(base))?.isDirectory()) {
        await walk(base, '', [], (rel) => globMatcher(rel) && (!includeMatcher || includeMatcher(rel)), ctx);
      }
      continue;
    }
    if (!stat) throw new CorpusError(`path not found: ${input}`);

    if (stat.isDirectory()) {
      roots.push(abs);
      await walk(abs, '', [], (rel) => !includeMatcher || includeMatcher(rel), ctx);
    } else {
      // Explicit files bypass .gitignore and include filters: the user asked for them.
      roots.push(path.dirname(abs));
      ctx.found.push(abs);
    }
  }
  return roots;
}

/** Reads every file found once (by real path), and lists what was skipped on the way or on reading. */
async function readFound(
  ctx: WalkContext,
  display: (abs: string) => string,
  maxFileBytes: number,
  confineTo: string[] | undefined,
): Promise<{ documents: CorpusDocument[]; skipped: SkippedFile[] }> {
  const documents: CorpusDocument[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  for (const abs of ctx.found) {
    // realpath so a file reached via a symlink and directly is read once.
    const key = await fs.promises.realpath(abs).catch(() => abs);
    if (seen.has(key)) continue;
    seen.add(key);
    seen.add(abs);
    const outside = confineTo && !isInsideReal(key, confineTo);
    const result = outside ? ({ reason: 'unreadable', detail: 'outside the workspace (Restricted Mode)' } as const) : await readCandidate(abs, maxFileBytes);
    if ('text' in result) documents.push({ path: display(abs), text: result.text });
    else skipped.push({ path: display(abs), ...result });
  }
  for (const s of ctx.skipped) {
    // A file ignored by one walk but also given explicitly (or reached by another input) was read.
    if (seen.has(s.abs)) continue;
    seen.add(s.abs);
    skipped.push({ path: display(s.abs), reason: s.reason, ...(s.detail ? { detail: s.detail } : {}) });
  }
  return { documents, skipped };
}

/**
 * Recursively collects files under `dir` (absolute) in sorted order.
 * `rel` is dir's path relative to the walk root, '' for the root itself.
 * Symlinked directories are not followed, which rules out loops.
 */
async function walk(dir: string, rel: string, scopes: IgnoreScope[], accept: (relPath: string) => boolean, ctx: WalkContext): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (err) {
    ctx.skipped.push({ abs: dir, reason: 'unreadable', detail: errorCode(err) });
    return;
  }

  if (ctx.followGitignore && entries.some((e) => e.name === '.gitignore' && !e.isDirectory())) {
    const text = await fs.promises.readFile(path.join(dir, '.gitignore'), 'utf8').catch(() => '');
    scopes = [...scopes, { base: rel, rules: ignore().add(text) }];
  }

  entries.sort((a, b) => compareStrings(a.name, b.name));
  for (const entry of entries) {
    if (NEVER_WALK.has(entry.name)) continue;
    const abs = path.join(dir, entry.name);
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    if (ctx.exclude?.(relPath)) continue;

    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await statOrUndefined(abs);
      if (!target) {
        ctx.skipped.push({ abs, reason: 'unreadable', detail: 'broken symlink' });
        continue;
      }
      if (target.isDirectory()) continue; // not followed: could loop back up the tree
      isDir = false;
      isFile = target.isFile();
    }

    if (isIgnored(relPath, isDir, scopes)) {
      if (!isDir) ctx.skipped.push({ abs, reason: 'ignored', detail: '.gitignore' });
      continue;
    }
    if (isDir) await walk(abs, relPath, scopes, accept, ctx);
    else if (isFile && accept(relPath)) ctx.found.push(abs);
    // Sockets, FIFOs and devices are silently passed over: reading a FIFO would hang.
  }
}

/**
 * Git semantics: the deepest .gitignore with an opinion wins, so a nested
 * '!keep.log' can re-include what a parent '*.log' excluded.
 */
function isIgnored(relPath: string, isDir: boolean, scopes: IgnoreScope[]): boolean {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const { base, rules } = scopes[i];
    const sub = base ? relPath.slice(base.length + 1) : relPath;
    // A trailing slash lets directory-only patterns like 'build/' match.
    const verdict = rules.test(isDir ? `${sub}/` : sub);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

/**
 * Patterns without a slash match the basename at any depth (as in .gitignore),
 * so include: ['*.ts'] does what people expect. picomatch's own `basename`
 * option can't be used: it also changes how patterns with slashes match.
 */
function includeFilter(patterns: string[]): (relPath: string) => boolean {
  // VS Code's exclude globs start with '**/'; a leading '**/' also matches at the root.
  patterns = patterns.flatMap((p) => (p.startsWith('**/') ? [p, p.slice(3)] : [p]));
  const byName = patterns.filter((p) => !p.includes('/'));
  const byPath = patterns.filter((p) => p.includes('/'));
  const nameMatch = byName.length ? picomatch(byName) : () => false;
  const pathMatch = byPath.length ? picomatch(byPath) : () => false;
  return (relPath) => nameMatch(path.posix.basename(relPath)) || pathMatch(relPath);
}

type ReadResult = { text: string } | { reason: SkipReason; detail?: string };

async function readCandidate(abs: string, maxFileBytes: number): Promise<ReadResult> {
  let bytes: Buffer;
  try {
    // stat first so a huge file is rejected without reading it into memory.
    const stat = await fs.promises.stat(abs);
    if (!stat.isFile()) return { reason: 'unreadable', detail: 'not a regular file' };
    if (stat.size > maxFileBytes) return tooLarge(stat.size, maxFileBytes);
    if (stat.size === 0) return { reason: 'empty' };
    bytes = await fs.promises.readFile(abs);
  } catch (err) {
    return { reason: 'unreadable', detail: errorCode(err) };
  }
  // The file may have grown between stat and read.
  if (bytes.length > maxFileBytes) return tooLarge(bytes.length, maxFileBytes);

  const decoded = decodeUtf8Text(bytes);
  if (!decoded.ok) return { reason: decoded.reason };
  const text = normalizeNewlines(decoded.text);
  if (text.trim() === '') return { reason: 'empty' };
  return { text };
}

function tooLarge(size: number, max: number): ReadResult {
  return { reason: 'too-large', detail: `${formatBytes(size)} > ${formatBytes(max)}` };
}

// ---------------------------------------------------------------------------
// Reporting

const REASON_ORDER: SkipReason[] = ['binary', 'invalid-utf8', 'too-large', 'empty', 'ignored', 'unreadable'];

/**
 * Counts per reason, e.g. "2 binary, 1 over 1 MB". Returns '' when nothing was
 * skipped. `maxFileBytes` only affects the wording of 'too-large'.
 */
export function describeSkipped(skipped: SkippedFile[], maxFileBytes = DEFAULT_MAX_FILE_BYTES): string {
  const labels: Record<SkipReason, string> = {
    binary: 'binary',
    'invalid-utf8': 'not valid UTF-8',
    'too-large': `over ${formatBytes(maxFileBytes)}`,
    empty: 'empty',
    ignored: 'ignored by .gitignore',
    unreadable: 'unreadable',
  };
  return REASON_ORDER.map((reason) => [reason, skipped.filter((s) => s.reason === reason).length] as const)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${labels[reason]}`)
    .join(', ');
}

/** Throws a user-facing CorpusError when gathering produced nothing to train on. */
export function requireDocuments(c: GatheredCorpus): void {
  if (c.documents.length > 0) return;
  const where = c.inputs.length ? c.inputs.join(', ') : '(no inputs)';
  if (c.skipped.length === 0) {
    throw new CorpusError(`no files found in ${where} (node_modules, .git and .gitignore'd folders are not searched)`);
  }
  const n = c.skipped.length;
  throw new CorpusError(`no trainable text in ${n} ${n === 1 ? 'file' : 'files'}: ${describeSkipped(c.skipped, c.maxFileBytes)}`);
}

// ---------------------------------------------------------------------------
// Train/validation split

export interface CorpusSplit {
  train: CorpusDocument[];
  validation: CorpusDocument[];
}

/**
 * Splits whole documents by character count (see splitGroups), so validation
 * text is never a continuation of a training file. With a single document
 * validation is empty: the caller should then hold out the tail of its text.
 */
export function splitByDocument(docs: CorpusDocument[], validationFraction = 0.05, seed = 0): CorpusSplit {
  const groups = docs.map((doc) => ({ name: doc.path, size: doc.text.length, doc }));
  const { train, validation } = splitGroups(groups, validationFraction, seed);
  return { train: train.map((g) => g.doc), validation: validation.map((g) => g.doc) };
}

// ---------------------------------------------------------------------------
// Small helpers

async function statOrUndefined(p: string): Promise<fs.Stats | undefined> {
  return fs.promises.stat(p).catch(() => undefined);
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}

/** Code-unit order, not localeCompare: the same on every machine and locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Decimal units, matching the 1_000_000-byte default ("1 MB"). */
function formatBytes(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

/** Deepest directory containing all of `dirs`; '' if they are on different drives. */
function commonDir(dirs: string[]): string {
  if (dirs.length === 0) return process.cwd();
  const [first, ...rest] = dirs;
  const fsRoot = path.parse(first).root;
  if (rest.some((d) => path.parse(d).root.toLowerCase() !== fsRoot.toLowerCase())) return '';
  const segments = (d: string) => d.slice(fsRoot.length).split(path.sep).filter(Boolean);
  let common = segments(first);
  for (const d of rest) {
    const other = segments(d);
    let i = 0;
    while (i < common.length && i < other.length && common[i] === other[i]) i++;
    common = common.slice(0, i);
  }
  return path.join(fsRoot, ...common);
}
