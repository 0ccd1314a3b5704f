import * as fs from 'fs';
import * as path from 'path';
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { ModelPrecision } from '../../core/precision';
import { toGenerationGraph } from '../onnx/generationGraph';
import { OnnxModelError } from '../onnx/onnxModelError';
import { createOnnxSession } from '../onnx/onnxRuntime';
import { readModelBytes, readRnnLabModelInfo, requireLanguageModel, type RnnLabModelInfo } from '../onnx/onnxMetadata';
import { quantizeModelBytes } from '../onnx/quantizeModel';

/**
 * onnxruntime sessions, one per model file version, shared by every caller
 * and released when unused. A session costs a parse and a graph optimisation
 * (tens of milliseconds) and its weights' memory, so the Samples view's
 * repeated Generate clicks reuse one; a file rewritten by a training (new
 * mtime or size) gets a new session, and the old one goes once its last
 * user releases it. A float file asked for as int8 is quantized in memory
 * (quantizeModel.ts) and cached as its own session.
 */

export interface SessionCacheSettings {
  /** A session nobody uses is released after this long. */
  idleMs: number;
  /** onnxruntime's session options, shared with the activation probe's sessions (measured: bench/sessionTuning.ts). */
  session: ort.InferenceSession.SessionOptions;
}

/**
 * One intra-op thread: one token at a time is latency-bound; a second thread
 * doubled the CPU time, was slower by the clock on a shared machine, and takes
 * the core a training needs. The other options at their defaults: changing
 * them moved nothing beyond the noise (docs/architecture.md, "Measured facts
 * behind the design").
 */
export const DEFAULT_SESSION_OPTIONS: Readonly<ort.InferenceSession.SessionOptions> = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // Failures reach us as rejected promises with the message; onnxruntime's own log lines would only repeat them on stderr.
  logSeverityLevel: 4,
};

const settings: SessionCacheSettings = { idleMs: 60_000, session: { ...DEFAULT_SESSION_OPTIONS } };

export function configureSessionCache(changes: Partial<SessionCacheSettings>): void {
  Object.assign(settings, changes);
}

/** The options every onnxruntime session of the engine is created with. */
export function sessionOptions(): ort.InferenceSession.SessionOptions {
  return { ...settings.session };
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
  /** The file's mtime and size when it was read. */
  version: string;
  ready: Promise<{ session: ort.InferenceSession; info: RnnLabModelInfo }>;
  refs: number;
  /** A newer version of the file exists: release as soon as unused. */
  stale: boolean;
  timer?: NodeJS.Timeout;
  released: boolean;
}

const entries = new Map<string, Entry>();

/** Which session of a file: the weights as stored or `int8`, and the graph as exported or rewritten for generation. */
export interface SessionVariant {
  precision?: ModelPrecision;
  /** The packed-state graph of generationGraph.ts. */
  generation?: boolean;
}

/**
 * Opens (or reuses) a session for an RNN Lab `.onnx` file, in the given variant.
 * Errors are OnnxModelErrors that say what is wrong with the file.
 */
export async function acquireSession(file: string, variant: SessionVariant = {}): Promise<SessionLease> {
  const absolute = path.resolve(file);
  const version = await fileVersion(absolute);
  const key = `${absolute}\0${version}\0${variant.precision ?? 'stored'}\0${variant.generation ? 'generation' : 'contract'}`;
  let entry = entries.get(key);
  if (!entry) {
    for (const other of entries.values()) {
      if (other.file === absolute && other.version !== version) {
        other.stale = true;
        if (other.refs === 0) void dispose(other);
      }
    }
    entry = { key, file: absolute, version, ready: openSession(absolute, variant), refs: 0, stale: false, released: false };
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

async function fileVersion(file: string): Promise<string> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new OnnxModelError(`model file not found: ${file}`);
    throw new OnnxModelError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!stat.isFile()) throw new OnnxModelError(`${file} is not a model file`);
  return `${stat.mtimeMs}\0${stat.size}`;
}

/**
 * Reads the file once and gives the same bytes to the metadata parser and to
 * onnxruntime, so both see one version even if a training replaces the file
 * in between.
 */
async function openSession(file: string, variant: SessionVariant): Promise<{ session: ort.InferenceSession; info: RnnLabModelInfo }> {
  let bytes: Uint8Array = readModelBytes(file);
  let info = readRnnLabModelInfo(bytes, file);
  if (variant.precision === 'int8' && info.precision !== 'int8') {
    bytes = quantizeModelBytes(bytes, info, file);
    info = { ...info, precision: 'int8' };
  }
  if (variant.generation) bytes = generationBytes(bytes, info, file);
  try {
    const session = await createOnnxSession(bytes, sessionOptions());
    return { session, info };
  } catch (err) {
    throw new OnnxModelError(`onnxruntime cannot load ${file}: it is truncated or corrupted (${firstLine(err)})`);
  }
}

/** The model rewritten for generation (generationGraph.ts). */
function generationBytes(bytes: Uint8Array, info: RnnLabModelInfo, file: string): Uint8Array {
  requireLanguageModel(info, file, 'generate text');
  if (info.spec.bidirectional) {
    throw new OnnxModelError(`${file} is bidirectional: it reads each sequence backwards too, so it cannot generate text one token at a time`);
  }
  const model = onnx.ModelProto.decode(bytes);
  try {
    toGenerationGraph(model.graph ?? {}, info.spec);
  } catch (err) {
    throw new OnnxModelError(`${file} does not have the graph RNN Lab exports (${(err as Error).message})`);
  }
  return onnx.ModelProto.encode(model).finish();
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0];
}
