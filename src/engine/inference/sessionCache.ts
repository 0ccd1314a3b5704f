import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { OnnxModelError } from '../onnx/onnxModelError';
import { readModelBytes, readRnnLabModelInfo, type RnnLabModelInfo } from '../onnx/onnxMetadata';

/**
 * onnxruntime sessions, one per model file version, shared by every caller
 * and released when unused. A session costs a parse and a graph optimisation
 * (tens of milliseconds) and its weights' memory, so the Samples view's
 * repeated Generate clicks reuse one; a file rewritten by a training (new
 * mtime or size) gets a new session, and the old one goes once its last
 * user releases it.
 */

export interface SessionCacheSettings {
  /** A session nobody uses is released after this long. */
  idleMs: number;
  /** onnxruntime's intra-op threads per session. One is enough for batch-1 generation and leaves the other core to training. */
  intraOpThreads: number;
}

const settings: SessionCacheSettings = { idleMs: 60_000, intraOpThreads: 1 };

export function configureSessionCache(changes: Partial<SessionCacheSettings>): void {
  Object.assign(settings, changes);
}

/** A session in use; `release()` once done (more calls are harmless). */
export interface SessionLease {
  readonly file: string;
  readonly session: ort.InferenceSession;
  readonly info: RnnLabModelInfo;
  release(): void;
}

interface Entry {
  key: string;
  file: string;
  ready: Promise<{ session: ort.InferenceSession; info: RnnLabModelInfo }>;
  refs: number;
  /** A newer version of the file exists: release as soon as unused. */
  stale: boolean;
  timer?: NodeJS.Timeout;
  released: boolean;
}

const entries = new Map<string, Entry>();

/** Opens (or reuses) a session for an RNN Lab `.onnx` file. Errors are OnnxModelErrors that say what is wrong with the file. */
export async function acquireSession(file: string): Promise<SessionLease> {
  const absolute = path.resolve(file);
  const key = await fileVersionKey(absolute);
  let entry = entries.get(key);
  if (!entry) {
    for (const other of entries.values()) {
      if (other.file === absolute) {
        other.stale = true;
        if (other.refs === 0) void dispose(other);
      }
    }
    entry = { key, file: absolute, ready: openSession(absolute), refs: 0, stale: false, released: false };
    entries.set(key, entry);
    const created = entry;
    created.ready.catch(() => entries.delete(created.key)); // a broken file is read again next time (it may have been fixed)
  }
  clearTimeout(entry.timer);
  entry.refs++;
  let ready: Awaited<Entry['ready']>;
  try {
    ready = await entry.ready;
  } catch (err) {
    entry.refs--;
    throw err;
  }
  const held = entry;
  let done = false;
  return {
    file: absolute,
    session: ready.session,
    info: ready.info,
    release: () => {
      if (done) return;
      done = true;
      held.refs--;
      if (held.refs > 0 || held.released) return;
      if (held.stale) void dispose(held);
      else {
        held.timer = setTimeout(() => void dispose(held), settings.idleMs);
        held.timer.unref(); // an idle session never keeps a CLI process alive
      }
    },
  };
}

/** Releases every session now, in use or not (engine shutdown, tests). */
export async function releaseAll(): Promise<void> {
  const all = [...entries.values()];
  await Promise.all(all.map((e) => dispose(e)));
}

/** Number of sessions held (tests and diagnostics). */
export function cachedSessionCount(): number {
  return entries.size;
}

/** Never rejects: callers fire and forget it. */
async function dispose(entry: Entry): Promise<void> {
  if (entry.released) return;
  entry.released = true;
  clearTimeout(entry.timer);
  entries.delete(entry.key);
  try {
    const { session } = await entry.ready;
    await session.release();
  } catch {
    // a session that never opened has nothing to release
  }
}

async function fileVersionKey(file: string): Promise<string> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new OnnxModelError(`model file not found: ${file}`);
    throw new OnnxModelError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!stat.isFile()) throw new OnnxModelError(`${file} is not a model file`);
  return `${file}\0${stat.mtimeMs}\0${stat.size}`;
}

/**
 * Reads the file once and gives the same bytes to the metadata parser and to
 * onnxruntime, so both see one version even if a training replaces the file
 * in between.
 */
async function openSession(file: string): Promise<{ session: ort.InferenceSession; info: RnnLabModelInfo }> {
  const bytes = readModelBytes(file);
  const info = readRnnLabModelInfo(bytes, file);
  try {
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: settings.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Failures reach us as rejected promises with the message; onnxruntime's own log lines would only repeat them on stderr.
      logSeverityLevel: 4,
    });
    return { session, info };
  } catch (err) {
    throw new OnnxModelError(`onnxruntime cannot load ${file}: it is truncated or corrupted (${firstLine(err)})`);
  }
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0];
}
