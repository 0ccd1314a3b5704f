import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from './tfjs';
import type { BatchPosition } from '../core/batching';
import { RUN_FILES } from '../core/runFormat';
import type { ModelSpec, OptimizerName } from '../core/spec';
import type { Vocabulary } from '../core/vocabulary';
import type { RecurrentModel, RecurrentState } from './model';
import { writeFileAtomic, writeJsonAtomic } from '../core/runStore';

export class CheckpointError extends Error {}

const MANIFEST = 'checkpoint.json';
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

/**
 * Writes `checkpoints/step-NNNNNN/` (tfjs weights as float32, Adam/RMSprop
 * moments, the carried hidden state and the batch position), built in a
 * temporary folder and renamed into place, then keeps only the newest `keep`.
 * Returns the folder's path relative to the run folder.
 */
export async function saveCheckpoint(runDir: string, contents: CheckpointContents, keep = 2): Promise<string> {
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
  const root = path.join(runDir, RUN_FILES.checkpoints);
  const name = `step-${String(contents.step).padStart(7, '0')}`;
  const tmp = path.join(root, `.tmp-${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  writeFileAtomic(path.join(tmp, WEIGHTS), bytes);
  writeJsonAtomic(path.join(tmp, MANIFEST), manifest);
  const final = path.join(root, name);
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  for (const old of listCheckpoints(runDir).slice(0, -keep)) fs.rmSync(path.join(root, old), { recursive: true, force: true });
  return path.join(RUN_FILES.checkpoints, name);
}

/** Checkpoint folder names, oldest first. */
export function listCheckpoints(runDir: string): string[] {
  const root = path.join(runDir, RUN_FILES.checkpoints);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((n) => /^step-\d+$/.test(n))
    .sort();
}

/** Reads and verifies a checkpoint folder: manifest fields, file size and checksum. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const where = dir;
  let manifest: CheckpointManifest;
  let bytes: Buffer;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as CheckpointManifest;
    bytes = fs.readFileSync(path.join(dir, WEIGHTS));
  } catch (err) {
    throw new CheckpointError(`checkpoint ${where} is unreadable or corrupted (${describe(err)})`);
  }
  if (manifest?.format !== 'rnnlab-checkpoint' || manifest.version !== 1 || !Array.isArray(manifest.tensors)) {
    throw new CheckpointError(`checkpoint ${where} is not an RNN Lab checkpoint`);
  }
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
}

export function restoreState(loaded: LoadedCheckpoint): RecurrentState | undefined {
  if (loaded.stateH.length === 0 || !loaded.stateShape) return undefined;
  const shape = loaded.stateShape as [number, number];
  const h = loaded.stateH.map((v) => tf.tensor2d(v, shape));
  return loaded.stateC.length > 0 ? { h, c: loaded.stateC.map((v) => tf.tensor2d(v, shape)) } : { h };
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code) return e.code;
  if (err instanceof SyntaxError) return 'invalid JSON';
  return e?.message ?? String(err);
}
