/** Small random models and their exported .onnx files for the ONNX tests. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '../../../src/engine/tfjs';
import { SeededRandom } from '../../../src/core/random';
import type { CellType, ModelSpec } from '../../../src/core/spec';
import { Vocabulary } from '../../../src/core/vocabulary';
import { RecurrentModel, type RecurrentState } from '../../../src/engine/model';
import { writeOnnxModel } from '../../../src/engine/onnx/onnxExport';

export const ROOT = path.join(__dirname, '..', '..', '..', '..');

/** 7 characters and <unk>. */
export const TINY_VOCAB = Vocabulary.buildChar(['abc de\n']);

export function tinySpec(cell: CellType, layers: number, embedding: number, bidirectional: boolean, hidden = 5): ModelSpec {
  return { cell, layers, hidden, embedding, dropout: 0, vocabSize: TINY_VOCAB.size, bidirectional };
}

/**
 * A model whose every weight, biases included, is uniform in ±scale: the
 * trained-from-scratch initial weights have zero biases, which would hide a
 * misplaced bias block.
 */
export function randomModel(spec: ModelSpec, seed: number, scale = 0.6): RecurrentModel {
  const model = new RecurrentModel(spec, seed);
  const rng = new SeededRandom(seed * 7919 + 1);
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const v of model.trainableVariables) {
    weights.set(model.weightNameOf(v.name), { shape: v.shape.slice(), values: Float32Array.from({ length: v.size }, () => (rng.next() * 2 - 1) * scale) });
  }
  model.setWeights(weights);
  return model;
}

export async function exportModel(model: RecurrentModel, file: string, vocab = TINY_VOCAB): Promise<void> {
  writeOnnxModel(file, { spec: model.spec, weights: await model.readWeights(), vocab, step: 1, runId: 'test' });
}

/** Random initial states in tfjs's layout: per layer [batch, directions·hidden]. */
export function randomState(spec: ModelSpec, batch: number, rng: SeededRandom): { state: RecurrentState; h: Float32Array[]; c: Float32Array[] } {
  const width = spec.hidden * (spec.bidirectional ? 2 : 1);
  const make = () => Array.from({ length: spec.layers }, () => Float32Array.from({ length: batch * width }, () => rng.next() * 2 - 1));
  const h = make();
  const c = spec.cell === 'lstm' ? make() : [];
  const state: RecurrentState = { h: h.map((v) => tf.tensor2d(v, [batch, width])) };
  if (spec.cell === 'lstm') state.c = c.map((v) => tf.tensor2d(v, [batch, width]));
  return { state, h, c };
}

/** tfjs [batch, D·H] (forward half, then backward) ↔ ONNX [D, batch, H]. */
export function toOnnxState(values: Float32Array, batch: number, hidden: number, directions: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let d = 0; d < directions; d++)
    for (let b = 0; b < batch; b++) for (let j = 0; j < hidden; j++) out[(d * batch + b) * hidden + j] = values[b * directions * hidden + d * hidden + j];
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Debian's interpreter: the `python3` first on PATH may be another one without onnx and torch. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function runPython(script: string, args: string[]): { status: number | null; verdict: Record<string, unknown> | undefined; stderr: string } {
  const r = spawnSync(SYSTEM_PYTHON, [path.join(ROOT, script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    timeout: 120_000,
  });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let verdict: Record<string, unknown> | undefined;
  try {
    verdict = JSON.parse(last) as Record<string, unknown>;
  } catch {
    verdict = undefined;
  }
  const hint = /No module named '(onnx|torch|numpy)'/.test(r.stderr ?? '') ? ' (install Debian python3-onnx and python3-torch: .ci/run does)' : '';
  return { status: r.status, verdict, stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') + hint };
}
