import * as fs from 'fs';
import * as path from 'path';
import { RUN_FILES, type RunInfo } from '../../core/runFormat';
import { checkpointStep } from '../../core/liveProgress';
import type { RunSummary } from '../../core/runIndex';
import { modelLabel, runDescription } from '../../core/runLabels';
import { taskOf } from '../../core/spec';
import type { ModelSource } from '../../protocol/modelSource';
import type { SampleModelChoice } from '../../protocol/samples';

/** A model offered for generation, with where the engine finds it (the view sees only id, label, detail). */
export interface ModelChoice extends SampleModelChoice {
  source: ModelSource;
}

/** How many browsed .onnx files are remembered per workspace. */
export const MAX_REMEMBERED_FILES = 10;

/** Language-model runs that have exported their model.onnx, in the registry's order (newest first); taggers and classifiers: src/extension/tasks/. */
export function runModelChoices(runs: readonly RunSummary[]): ModelChoice[] {
  return runs
    .filter((run) => run.info && taskOf(run.info.model) === 'lm' && fs.existsSync(path.join(run.dir, RUN_FILES.onnx)))
    .map((run) => ({ id: run.dir, label: run.id, detail: modelDetail(run.info!), source: { runDir: run.dir } }));
}

/** "2×LSTM-128 · running 785/2000 · model of step 600": a running run's model.onnx is its last checkpoint's. */
export function modelDetail(info: RunInfo): string {
  const modelStep = checkpointStep(info);
  const older = info.status === 'running' && modelStep !== undefined && modelStep < info.progress.step;
  return `${modelLabel(info)} · ${runDescription(info)}${older ? ` · model of step ${modelStep}` : ''}`;
}

/**
 * Runs whose neurons can be shown (the editor overlay, the Neurons view): any
 * run with a model.onnx — language models, taggers and classifiers, uni- or
 * bidirectional — newest first. Generation keeps to runModelChoices.
 */
export function inspectableRunChoices(runs: readonly RunSummary[]): ModelChoice[] {
  return runs
    .filter((run) => run.info && fs.existsSync(path.join(run.dir, RUN_FILES.onnx)))
    .map((run) => ({ id: run.dir, label: run.id, detail: `${modelLabel(run.info!)} · ${runDescription(run.info!)}`, source: { runDir: run.dir } }));
}

/** Browsed .onnx files that still exist, labelled by folder and name ("model.onnx" alone says little). */
export function onnxFileChoices(files: readonly string[]): ModelChoice[] {
  return files
    .filter((file) => fs.existsSync(file))
    .map((file) => ({ id: file, label: `${path.basename(path.dirname(file))}${path.sep}${path.basename(file)}`, detail: file, source: { onnxFile: file } }));
}

/** The remembered files with `file` first, no repeats, at most MAX_REMEMBERED_FILES. */
export function rememberFile(files: readonly string[], file: string): string[] {
  return [file, ...files.filter((f) => f !== file)].slice(0, MAX_REMEMBERED_FILES);
}

/**
 * Where a model named by a command argument is: a run (its folder or id, known to
 * the registry), an .onnx file, or else a folder taken to be a run (the engine
 * says so if it is not one).
 */
export function modelSourceOf(modelId: string, runs: readonly RunSummary[]): ModelSource {
  const run = runs.find((r) => r.dir === modelId || r.id === modelId);
  if (run) return { runDir: run.dir };
  return /\.onnx$/i.test(modelId) ? { onnxFile: modelId } : { runDir: modelId };
}
