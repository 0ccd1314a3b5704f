import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { RUN_FILES, type RunInfo } from '../../core/runFormat';
import { writeFileAtomic } from '../../core/fileSteps';
import { isInside, realPathOf } from '../../core/paths';
import { RunFolder } from '../../core/runStore';
import { taskOf, type ModelSpec } from '../../core/spec';
import { Vocabulary } from '../../core/vocabulary';
import { checkVocabularyMatches, loadCheckpoint } from '../checkpoint';
import { runCheckpointPath } from '../runModel';
import type { ModelPrecision } from '../../core/precision';
import { buildOnnxModel } from './onnxGraph';
import { METADATA_KEYS, ONNX_FORMAT_VERSION, type OnnxTaskMetadata } from './onnxNames';
import { onnxModelWeights, type NamedWeights, type OnnxModelWeights } from './onnxWeights';

/** What an exported file is made from. */
export interface OnnxExportSource {
  spec: ModelSpec;
  /** By name as trained, or already in the ONNX ops' layout (read back from a float file to quantize it). */
  weights: NamedWeights | OnnxModelWeights;
  vocab: Vocabulary;
  step?: number;
  runId?: string;
  /** A tagger's or classifier's labels and window (required for them). */
  task?: OnnxTaskMetadata;
}

export interface OnnxExportResult {
  file: string;
  step: number;
  bytes: number;
}

/**
 * The model file's bytes, with the vocabulary and spec in `metadata_props` so the file alone can sample;
 * `int8` writes the quantized variant (int8Graph.ts).
 */
export function encodeOnnxModel(source: OnnxExportSource, precision: ModelPrecision = 'float32'): Uint8Array {
  const metadata: Record<string, string> = {
    [METADATA_KEYS.format]: String(ONNX_FORMAT_VERSION),
    [METADATA_KEYS.vocab]: JSON.stringify(source.vocab.toJSON()),
    [METADATA_KEYS.spec]: JSON.stringify(source.spec),
  };
  if (source.step !== undefined) metadata[METADATA_KEYS.step] = String(source.step);
  if (source.runId !== undefined) metadata[METADATA_KEYS.run] = source.runId;
  if (precision !== 'float32') metadata[METADATA_KEYS.precision] = precision;
  if (taskOf(source.spec) !== 'lm') {
    if (!source.task) throw new Error(`a ${taskOf(source.spec)} model is exported with its labels`);
    metadata[METADATA_KEYS.task] = JSON.stringify({ labels: source.task.labels, window: source.task.window });
  }
  const weights = source.weights instanceof Map ? onnxModelWeights(source.spec, source.weights as NamedWeights) : (source.weights as OnnxModelWeights);
  return onnx.ModelProto.encode(buildOnnxModel(source.spec, weights, metadata, producerVersion(), precision)).finish();
}

/** Writes the model atomically: a reader (a cached inference session, the extension) never sees half a file. */
export function writeOnnxModel(file: string, source: OnnxExportSource, precision: ModelPrecision = 'float32'): number {
  const bytes = encodeOnnxModel(source, precision);
  writeFileAtomic(file, bytes);
  return bytes.length;
}

/**
 * Exports a run's newest checkpoint to `model.onnx` in the run folder (int8:
 * `model.int8.onnx`), or to `outFile`. Reads the checkpoint's float32 weights
 * directly: no tfjs model is built. Writing into the run folder takes its lock
 * (one writer at a time); only a new or regular file is replaced (see
 * writeFileAtomic).
 */
export function exportRunToOnnx(runDir: string, outFile?: string, precision: ModelPrecision = 'float32', lockPurpose = 'an ONNX export'): OnnxExportResult {
  const run = RunFolder.open(runDir);
  const file = outFile ?? run.file(precision === 'int8' ? RUN_FILES.onnxInt8 : RUN_FILES.onnx);
  const intoRun = isInside(realPathOf(file), realPathOf(run.dir));
  if (intoRun) run.lock(lockPurpose);
  try {
    const info = run.readInfo();
    const vocab = Vocabulary.fromJSON(run.readVocabulary());
    const loaded = loadCheckpoint(path.join(run.dir, runCheckpointPath(run, info)));
    checkVocabularyMatches(loaded, vocab, RUN_FILES.vocab);
    const source = { spec: loaded.manifest.model, weights: loaded.weights, vocab, step: loaded.manifest.step, runId: run.id, task: onnxTaskOf(info) };
    const bytes = writeOnnxModel(file, source, precision);
    return { file, step: loaded.manifest.step, bytes };
  } finally {
    run.unlock();
  }
}

/** What a tagger's or classifier's model file records of its run (undefined for a language model). */
export function onnxTaskOf(info: RunInfo): OnnxTaskMetadata | undefined {
  return info.task && { labels: info.task.labels, window: info.task.window };
}

let version: string | undefined;
function producerVersion(): string {
  // The bundle (dist/) and the compiled tree (out/src/…) sit at different depths below package.json.
  if (version === undefined) {
    version = '0.0.0';
    for (const rel of ['../../package.json', '../../../package.json', '../../../../package.json']) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, rel), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'rnn-lab' && pkg.version) {
          version = pkg.version;
          break;
        }
      } catch {
        // try the next depth
      }
    }
  }
  return version;
}
