import * as vscode from 'vscode';
import { PRESETS, trainingOf, type Preset } from '../../core/presets';
import { SpecError, validateModelSpec, validateTrainingSpec, type ModelSpec, type TrainingSpec } from '../../core/spec';
import type { TrainParams } from '../../protocol/engine';
import { isRecord } from '../../protocol/guards';
import { backendPreference, defaultPreset, engineConfinement, maxFileBytes } from '../settings';
import type { RunRegistry } from '../runs/runRegistry';
import type { TrainingController } from './trainingController';
import { excludedGlobs, filesFromArgs, parseFilesArg, pickFiles, type FileChoice, type FilesArg } from './fileChoice';
import { askTraining } from './trainQuestions';

/**
 * Arguments that skip the questions (for keybindings, scripts and tests):
 * `{ preset: 'quick-lstm-1x64', files: 'workspace' | 'language' | { glob }, model?: {...}, training?: {...} }`.
 */
export interface TrainCommandArgs {
  preset?: string;
  files?: FilesArg;
  model?: Partial<Omit<ModelSpec, 'vocabSize'>>;
  training?: Partial<TrainingSpec>;
}

/** `RNN Lab: Train Model…` — preset → files → go. Returns the run folder, or undefined when the user backed out. */
export async function trainModel(controller: TrainingController, registry: RunRegistry, args?: unknown): Promise<string | undefined> {
  const given = parseArgs(args);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('RNN Lab: open a folder first: training reads files of the workspace.');
    return undefined;
  }
  if (controller.current) {
    void vscode.window.showWarningMessage(`RNN Lab: a training is already running (${controller.current.label}). Stop it first.`);
    return undefined;
  }
  const chosen = await chooseTraining(given, registry);
  if (!chosen) return undefined;
  const { preset, files, inputs } = chosen;

  const model = { ...preset.model, ...given.model };
  const training = trainingOf(preset, { maxFileBytes: maxFileBytes(), ...given.training });
  try {
    validateModelSpec({ ...model, vocabSize: 2 });
    validateTrainingSpec(training);
  } catch (err) {
    if (err instanceof SpecError) {
      void vscode.window.showErrorMessage(`RNN Lab: ${err.message}`);
      return undefined;
    }
    throw err;
  }
  const runsDir = registry.runsDirectory;
  if (!runsDir) {
    void vscode.window.showErrorMessage(`RNN Lab: no folder for runs: ${registry.runsProblem ?? 'open a folder first'}.`);
    return undefined;
  }
  const confineTo = engineConfinement(runsDir);
  const params: TrainParams = {
    inputs: inputs ?? vscode.workspace.workspaceFolders!.map((f) => f.uri.fsPath),
    include: inputs ? undefined : files.include,
    exclude: excludedGlobs(folder.uri.fsPath, runsDir),
    model,
    training,
    outDir: runsDir,
    backend: backendPreference(),
    ...(confineTo ? { confineTo } : {}),
  };
  const label = `${model.layers}×${model.bidirectional ? 'Bi' : ''}${model.cell.toUpperCase()}-${model.hidden}${taskSuffix(model.task)}`;
  try {
    const runDir = await controller.train(params, label);
    registry.refresh();
    void vscode.commands.executeCommand('rnnLab.openDashboard', runDir);
    return runDir;
  } catch (err) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot start training: ${(err as Error).message}`);
    return undefined;
  }
}

function parseArgs(args: unknown): TrainCommandArgs {
  // Tree items and URIs arrive here when the command runs from a menu: they are not arguments.
  if (!isRecord(args) || args instanceof vscode.Uri || !('preset' in args || 'files' in args)) return {};
  const out: TrainCommandArgs = {};
  if (typeof args.preset === 'string') out.preset = args.preset;
  out.files = parseFilesArg(args.files);
  if (isRecord(args.model)) out.model = args.model;
  if (isRecord(args.training)) out.training = args.training;
  return out;
}

/** The preset (or custom answers) and the files: from the arguments where given, else asked. */
async function chooseTraining(
  given: TrainCommandArgs,
  registry: RunRegistry,
): Promise<{ preset: Pick<Preset, 'model' | 'training'>; files: FileChoice; inputs?: string[] } | undefined> {
  if (given.preset) {
    const preset = PRESETS.find((p) => p.id === given.preset);
    if (!preset) {
      void vscode.window.showErrorMessage(`RNN Lab: unknown preset "${given.preset}" (known: ${PRESETS.map((p) => p.id).join(', ')})`);
      return undefined;
    }
    const files = given.files ? filesFromArgs(given.files) : await pickFiles();
    return files && { preset, files };
  }
  const runs = registry.all.flatMap((r) => (r.info ? [r.info] : []));
  const answers = await askTraining(defaultPreset(), runs, !given.files);
  const files = given.files && !answers?.inputs ? filesFromArgs(given.files) : answers?.files;
  return answers && files && { preset: answers, files, ...(answers.inputs ? { inputs: answers.inputs } : {}) };
}

/** " tagger", " classifier", or nothing for a language model. */
function taskSuffix(task: ModelSpec['task']): string {
  return task === 'tag' ? ' tagger' : task === 'classify' ? ' classifier' : '';
}
