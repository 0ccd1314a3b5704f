import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from './tfjs';
import type { BatchPosition } from '../core/batching';
import { makeDir, remove, rename, writeFile } from '../core/fileSteps';
import { FileReadError, readRegularFile } from '../core/regularFile';
import { RUN_FILES } from '../core/runFormat';
import { OPTIMIZERS, validateModelSpec, type ModelSpec, type OptimizerName } from '../core/spec';
import type { Vocabulary } from '../core/vocabulary';
import type { RecurrentModel, RecurrentState } from './model';
import { restoreAdamPowers } from './training/optimizers';

export class CheckpointError extends Error {}

const MANIFEST = 'checkpoint.json';
/** A manifest lists a few dozen tensors: anything near this size is not one. */
const MAX_MANIFEST_BYTES = 10_000_000;
const WEIGHTS = 'weights.bin';

type TensorGroup = 'weight' | 'optimizer' | 'state';

interface TensorEntry {
  name: string;
  group: TensorGroup;
  shape: number[];
  /** Offset into weights.bin in float32 elements. */
  offset: number;
}

export interface CheckpointManifest {
  format: 'rnnlab-checkpoint';
  version: 1;
  step: number;
  /** The next window the batcher will read. */
  position: BatchPosition;
  model: ModelSpec;
  /** Vocabulary.fingerprint() of the vocabulary the weights were trained with. */
  vocabulary: string;
  optimizer: OptimizerName;
  tensors: TensorEntry[];
  byteLength: number;
  sha256: string;
  createdAt: string;
}

export interface CheckpointContents {
  step: number;
  position: BatchPosition;
  model: RecurrentModel;
  vocabulary: Vocabulary;
  optimizerName: OptimizerName;
  optimizer: tf.Optimizer;
  state: RecurrentState | undefined;
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  optimizerWeights: { name: string; shape: number[]; values: Float32Array }[];
  stateH: Float32Array[];
  stateC: Float32Array[];
  stateShape?: number[];
}

/** A step's checkpoint folder relative to the run folder, e.g. `checkpoints/step-0000200`. */
export function checkpointPathOf(step: number): string {
  return path.join(RUN_FILES.checkpoints, `step-${String(step).padStart(7, '0')}`);
}

/**
 * Writes `checkpoints/step-NNNNNNN/` (tfjs weights as float32, Adam/RMSprop
 * moments, the carried hidden state and the batch position), built in a
 * temporary folder and renamed into place. Returns the folder's path relative
 * to the run folder. A folder of the same step is replaced: the caller never
 * saves over the checkpoint run.json names (see training/checkpointer.ts), and
 * removes older ones with pruneCheckpoints once run.json names the new one.
 */
export async function saveCheckpoint(runDir: string, contents: CheckpointContents): Promise<string> {
  const entries: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  const add = (name: string, group: TensorGroup, shape: number[], values: Float32Array) => {
    entries.push({ name, group, shape, offset });
    chunks.push(values);
    offset += values.length;
  };
  for (const [name, w] of await contents.model.readWeights()) add(name, 'weight', w.shape, w.values);
  for (const { name, tensor } of await contents.optimizer.getWeights()) {
    add(contents.model.weightNameOf(name), 'optimizer', tensor.shape, Float32Array.from(await tensor.data()));
    // The moments are the optimizer's own variables; the iteration count is a fresh scalar made for us.
    if (name === 'iter') tensor.dispose();
  }
  const state = contents.state;
  if (state) {
    for (const [l, h] of state.h.entries()) add(`state/h/${l}`, 'state', h.shape, (await h.data()) as Float32Array);
    for (const [l, c] of (state.c ?? []).entries()) add(`state/c/${l}`, 'state', c.shape, (await c.data()) as Float32Array);
  }
  const bytes = new Uint8Array(offset * 4);
  const all = new Float32Array(bytes.buffer);
  for (let i = 0, at = 0; i < chunks.length; at += chunks[i].length, i++) all.set(chunks[i], at);

  const manifest: CheckpointManifest = {
    format: 'rnnlab-checkpoint',
    version: 1,
    step: contents.step,
    position: contents.position,
    model: contents.model.spec,
    vocabulary: contents.vocabulary.fingerprint(),
    optimizer: contents.optimizerName,
    tensors: entries,
    byteLength: bytes.length,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    createdAt: new Date().toISOString(),
  };
  const relative = checkpointPathOf(contents.step);
  const final = path.join(runDir, relative);
  const tmp = path.join(runDir, RUN_FILES.checkpoints, `.tmp-${path.basename(relative)}-${process.pid}`);
  try {
    remove(tmp);
    makeDir(tmp, { recursive: true });
    // No temporary files inside: the folder's rename publishes both at once.
    writeFile(path.join(tmp, WEIGHTS), bytes);
    writeFile(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    remove(final);
    rename(tmp, final);
  } catch (err) {
    try {
      remove(tmp);
    } catch {
      // the first error is the one to report
    }
    throw err;
  }
  return relative;
}

/**
 * Removes every checkpoint folder but the ones named in `keep` (paths relative
 * to the run folder). Best effort: one that cannot be removed now goes at the
 * next save.
 */
export function pruneCheckpoints(runDir: string, keep: (string | undefined)[]): void {
  const kept = new Set(keep.filter((k): k is string => k !== undefined).map((k) => path.basename(k)));
  for (const name of listCheckpoints(runDir)) {
    if (kept.has(name)) continue;
    try {
      remove(path.join(runDir, RUN_FILES.checkpoints, name));
    } catch {
      // kept until the next save
    }
  }
}

/** Checkpoint folder names, oldest first. */
export function listCheckpoints(runDir: string): string[] {
  const root = path.join(runDir, RUN_FILES.checkpoints);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((n) => /^step-\d+$/.test(n))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
}

/** Reads and verifies a checkpoint folder: manifest fields, file size and checksum. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const where = dir;
  let manifest: CheckpointManifest;
  let bytes: Buffer;
  try {
    manifest = JSON.parse(readRegularFile(path.join(dir, MANIFEST), MAX_MANIFEST_BYTES).toString('utf8')) as CheckpointManifest;
    bytes = readRegularFile(path.join(dir, WEIGHTS));
  } catch (err) {
    throw new CheckpointError(`checkpoint ${where} is unreadable or corrupted (${describe(err)})`);
  }
  const problem = manifestProblem(manifest);
  if (problem) throw new CheckpointError(`checkpoint ${where} has a damaged manifest (${problem})`);
  if (bytes.length !== manifest.byteLength || crypto.createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) {
    throw new CheckpointError(`checkpoint ${where} is corrupted (its weights do not match the recorded checksum)`);
  }
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const loaded: LoadedCheckpoint = { manifest, weights: new Map(), optimizerWeights: [], stateH: [], stateC: [] };
  for (const t of manifest.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!(t.offset >= 0 && t.offset + size <= all.length))
      throw new CheckpointError(`checkpoint ${where} is corrupted (tensor ${t.name} lies outside the file)`);
    const values = all.slice(t.offset, t.offset + size);
    if (t.group === 'weight') loaded.weights.set(t.name, { shape: t.shape, values });
    else if (t.group === 'optimizer') loaded.optimizerWeights.push({ name: t.name, shape: t.shape, values });
    else {
      loaded.stateShape = t.shape;
      (t.name.startsWith('state/c/') ? loaded.stateC : loaded.stateH).push(values);
    }
  }
  return loaded;
}

const TENSOR_GROUPS: readonly TensorGroup[] = ['weight', 'optimizer', 'state'];
const natural = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** What is wrong with a parsed checkpoint.json, in words; undefined when every field has its type. */
function manifestProblem(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not a JSON object';
  const v = m as Partial<Record<keyof CheckpointManifest, unknown>>;
  if (v.format !== 'rnnlab-checkpoint' || v.version !== 1) return 'not an RNN Lab checkpoint';
  if (!natural(v.step)) return 'step must be a whole number';
  const position = v.position as Partial<BatchPosition> | null;
  if (typeof position !== 'object' || position === null || !natural(position.epoch) || !natural(position.window)) return 'position must be {epoch, window}';
  if (typeof v.model !== 'object' || v.model === null) return 'model must be a model description';
  try {
    validateModelSpec(v.model as ModelSpec);
  } catch (err) {
    return `model: ${(err as Error).message}`;
  }
  if (typeof v.vocabulary !== 'string') return 'vocabulary must be a fingerprint';
  if (!OPTIMIZERS.includes(v.optimizer as OptimizerName)) return `optimizer must be one of ${OPTIMIZERS.join(', ')}`;
  if (!natural(v.byteLength) || typeof v.sha256 !== 'string') return 'byteLength and sha256 must describe weights.bin';
  if (!Array.isArray(v.tensors)) return 'tensors must be a list';
  const bad = v.tensors.findIndex((t) => tensorProblem(t) !== undefined);
  return bad < 0 ? undefined : `tensor ${bad}: ${tensorProblem(v.tensors[bad])}`;
}

function tensorProblem(t: unknown): string | undefined {
  if (typeof t !== 'object' || t === null) return 'not an object';
  const e = t as Partial<Record<keyof TensorEntry, unknown>>;
  if (typeof e.name !== 'string') return 'name must be a string';
  if (!TENSOR_GROUPS.includes(e.group as TensorGroup)) return `group must be one of ${TENSOR_GROUPS.join(', ')}`;
  if (!Array.isArray(e.shape) || e.shape.length > 4 || !e.shape.every(natural)) return 'shape must be a list of at most 4 whole numbers';
  if (e.group === 'state' && e.shape.length !== 2) return 'a carried state has 2 dimensions';
  return natural(e.offset) ? undefined : 'offset must be a whole number';
}

/**
 * Refuses a checkpoint whose weights were trained with another vocabulary than
 * the one beside it: token ids would silently mean different characters.
 */
export function checkVocabularyMatches(loaded: LoadedCheckpoint, vocab: Vocabulary, where: string): void {
  const sizes = `${loaded.manifest.model.vocabSize} tokens in the checkpoint, ${vocab.size} in ${where}`;
  if (loaded.manifest.model.vocabSize !== vocab.size || loaded.manifest.vocabulary !== vocab.fingerprint()) {
    throw new CheckpointError(`mismatched vocabularies: the checkpoint was trained with a different vocabulary than ${where} (${sizes})`);
  }
}

/** Puts a loaded checkpoint's optimizer moments into a fresh optimizer of the same kind. */
export async function restoreOptimizer(optimizer: tf.Optimizer, loaded: LoadedCheckpoint): Promise<void> {
  if (loaded.optimizerWeights.length === 0) return;
  const tensors = loaded.optimizerWeights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape, 'float32') }));
  await optimizer.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor)); // the optimizer made its own variables from them
  restoreAdamPowers(optimizer);
}

export function restoreState(loaded: LoadedCheckpoint): RecurrentState | undefined {
  if (loaded.stateH.length === 0 || !loaded.stateShape) return undefined;
  const shape = loaded.stateShape as [number, number];
  const h = loaded.stateH.map((v) => tf.tensor2d(v, shape));
  return loaded.stateC.length > 0 ? { h, c: loaded.stateC.map((v) => tf.tensor2d(v, shape)) } : { h };
}

function describe(err: unknown): string {
  if (err instanceof FileReadError && (err.code === 'ESPECIAL' || err.code === 'EFBIG')) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code) return e.code;
  if (err instanceof SyntaxError) return 'invalid JSON';
  return e?.message ?? String(err);
}
