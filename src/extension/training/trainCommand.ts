import * as path from 'path';
import * as vscode from 'vscode';
import { PRESETS, trainingOf, type Preset } from '../../core/presets';
import { CELL_TYPES, CLIP_MODES, DEFAULT_MODEL, SpecError, validateModelSpec, validateTrainingSpec, type ModelSpec, type TrainingSpec } from '../../core/spec';
import type { TrainParams } from '../../protocol/engine';
import { isRecord } from '../../protocol/guards';
import { isInside } from '../../core/paths';
import { backendPreference, defaultPreset, engineConfinement, maxFileBytes } from '../settings';
import type { RunRegistry } from '../runs/runRegistry';
import type { TrainingController } from './trainingController';
import { globsForLanguage } from './languageGlobs';

/**
 * Arguments that skip the questions (for keybindings, scripts and tests):
 * `{ preset: 'quick-lstm-1x64', files: 'workspace' | 'language' | { glob }, model?: {...}, training?: {...} }`.
 */
export interface TrainCommandArgs {
  preset?: string;
  files?: 'workspace' | 'language' | { glob: string };
  model?: Partial<Omit<ModelSpec, 'vocabSize'>>;
  training?: Partial<TrainingSpec>;
}

type FileChoice = { include?: string[]; description: string };

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
  const choice = given.preset ? PRESETS.find((p) => p.id === given.preset) : await pickPreset();
  if (!choice) {
    if (given.preset) void vscode.window.showErrorMessage(`RNN Lab: unknown preset "${given.preset}" (known: ${PRESETS.map((p) => p.id).join(', ')})`);
    return undefined;
  }
  const preset = 'model' in choice ? choice : await askCustom();
  if (!preset) return undefined;
  const files = given.files ? filesFromArgs(given.files) : await pickFiles();
  if (!files) return undefined;

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
    inputs: vscode.workspace.workspaceFolders!.map((f) => f.uri.fsPath),
    include: files.include,
    exclude: excludedGlobs(folder.uri.fsPath, runsDir),
    model,
    training,
    outDir: runsDir,
    backend: backendPreference(),
    ...(confineTo ? { confineTo } : {}),
  };
  const label = `${model.layers}×${model.cell.toUpperCase()}-${model.hidden}`;
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
  if (args.files === 'workspace' || args.files === 'language') out.files = args.files;
  else if (isRecord(args.files) && typeof args.files.glob === 'string') out.files = { glob: args.files.glob };
  if (isRecord(args.model)) out.model = args.model;
  if (isRecord(args.training)) out.training = args.training;
  return out;
}

interface PresetPick extends vscode.QuickPickItem {
  id: string;
  preset?: Preset;
}

async function pickPreset(): Promise<Preset | { id: 'custom' } | undefined> {
  const preferred = defaultPreset();
  const items: PresetPick[] = [preferred, ...PRESETS.filter((p) => p.id !== preferred.id)].map((p) => ({
    id: p.id,
    preset: p,
    label: p.label,
    description: p.id === preferred.id ? 'default' : undefined,
    detail: p.detail,
  }));
  items.push({ id: 'custom', label: 'Custom…', detail: 'Choose the cell, layers, hidden size, steps and gradient clipping.' });
  const pick = await vscode.window.showQuickPick(items, { title: 'RNN Lab: Train Model (1/2): model', placeHolder: 'Choose a preset' });
  return pick?.preset ?? (pick ? { id: 'custom' } : undefined);
}

async function askCustom(): Promise<Preset | undefined> {
  const title = 'RNN Lab: Custom model';
  const cell = await vscode.window.showQuickPick(
    CELL_TYPES.map((c) => ({
      label: c,
      description: { rnn: 'vanilla RNN: h = tanh(Wx + b + Uh)', lstm: 'long short-term memory', gru: 'gated recurrent unit' }[c],
    })),
    { title, placeHolder: 'Recurrent cell' },
  );
  if (!cell) return undefined;
  const layers = await askInt(title, 'Layers (1–4)', 2, 1, 4);
  if (layers === undefined) return undefined;
  const hidden = await askInt(title, 'Hidden units per layer', 128, 1, 2048);
  if (hidden === undefined) return undefined;
  const steps = await askInt(title, 'Training steps', 1000, 1, 10_000_000);
  if (steps === undefined) return undefined;
  const clip = await vscode.window.showQuickPick(
    CLIP_MODES.map((m) => ({
      label: m,
      description: { norm: 'scale all gradients by min(1, τ/‖g‖) (default)', value: 'clamp each element to [−τ, τ]', none: 'no clipping' }[m],
    })),
    { title, placeHolder: 'Gradient clipping' },
  );
  if (!clip) return undefined;
  let clipValue = 5;
  if (clip.label !== 'none') {
    const value = await askNumber(title, 'Clipping threshold τ', 5);
    if (value === undefined) return undefined;
    clipValue = value;
  }
  return {
    id: 'custom',
    label: 'Custom',
    detail: '',
    model: { ...DEFAULT_MODEL, cell: cell.label, layers, hidden },
    training: { steps, clipMode: clip.label, clipValue },
  };
}

async function askInt(title: string, prompt: string, value: number, min: number, max: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(value),
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max ? undefined : `a whole number from ${min} to ${max}`),
  });
  return text === undefined ? undefined : Number(text);
}

async function askNumber(title: string, prompt: string, value: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(value),
    validateInput: (v) => (Number(v) > 0 && Number.isFinite(Number(v)) ? undefined : 'a positive number'),
  });
  return text === undefined ? undefined : Number(text);
}

async function pickFiles(): Promise<FileChoice | undefined> {
  const editor = vscode.window.activeTextEditor;
  const languageGlobs = editor ? globsForLanguage(editor.document.languageId, editor.document.fileName) : undefined;
  type Pick = vscode.QuickPickItem & { choice: 'language' | 'glob' | 'workspace' };
  const items: Pick[] = [];
  if (editor && languageGlobs)
    items.push({ choice: 'language', label: `Files of this language (${editor.document.languageId})`, description: languageGlobs.join(', ') });
  items.push({ choice: 'glob', label: 'Files matching a glob…', description: 'e.g. src/**/*.py' });
  items.push({ choice: 'workspace', label: 'The whole workspace', description: 'every text file' });
  const pick = await vscode.window.showQuickPick(items, {
    title: 'RNN Lab: Train Model (2/2): files',
    placeHolder: '.gitignore, files.exclude, binary and large files are left out',
  });
  if (!pick) return undefined;
  if (pick.choice === 'language') return { include: languageGlobs, description: pick.label };
  if (pick.choice === 'workspace') return { description: pick.label };
  const glob = await vscode.window.showInputBox({
    title: 'RNN Lab: files to train on',
    prompt: 'A glob relative to the workspace folder',
    value: '**/*',
    validateInput: (v) => (v.trim() ? undefined : 'a glob such as src/**/*.ts'),
  });
  return glob ? { include: [glob.trim()], description: glob } : undefined;
}

function filesFromArgs(files: NonNullable<TrainCommandArgs['files']>): FileChoice | undefined {
  if (files === 'workspace') return { description: 'workspace' };
  if (files === 'language') {
    const editor = vscode.window.activeTextEditor;
    const globs = editor && globsForLanguage(editor.document.languageId, editor.document.fileName);
    return globs ? { include: globs, description: editor.document.languageId } : undefined;
  }
  return { include: [files.glob], description: files.glob };
}

/** files.exclude patterns that are on, and the runs folder when it lies in the workspace. */
function excludedGlobs(workspaceDir: string, runsDir: string): string[] {
  const config = vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude') ?? {};
  const globs = Object.entries(config)
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
  if (isInside(runsDir, workspaceDir)) globs.push(path.relative(workspaceDir, runsDir).split(path.sep).join('/'));
  return globs;
}
