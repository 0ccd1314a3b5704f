import * as vscode from 'vscode';
import { EXPERIMENT_KINDS, type ExperimentKind, type ExperimentSizing } from '../../core/experiments/experimentFormat';
import { CLIPPING_DEFAULTS, VANISHING_DEFAULTS, type ExperimentOptions } from '../../core/experiments/experimentPlan';
import { DEFAULT_TRAINING } from '../../core/spec';
import type { ExperimentParams } from '../../protocol/engine';
import { isRecord } from '../../protocol/guards';
import type { RunRegistry } from '../runs/runRegistry';
import { backendPreference, engineConfinement, maxFileBytes } from '../settings';
import { excludedGlobs, filesFromArgs, parseFilesArg, pickFiles, type FilesArg } from '../training/fileChoice';
import type { TrainingController } from '../training/trainingController';

/**
 * Arguments that skip the questions (keybindings, scripts, tests):
 * `{ kind: 'clipping' | 'vanishing', files: 'workspace' | 'language' | { glob }, options?: {...} }`.
 */
export interface ExperimentCommandArgs {
  kind?: ExperimentKind;
  files?: FilesArg;
  options?: ExperimentOptions;
}

const KIND_PICKS: { experiment: ExperimentKind; label: string; detail: string }[] = [
  {
    experiment: 'clipping',
    label: 'Gradient clipping: on and off',
    detail:
      `A vanilla RNN (SGD, learning rate ${CLIPPING_DEFAULTS.lr}) trained three times on the same data: ` +
      `clipping the global norm at τ = ${CLIPPING_DEFAULTS.clip}, clamping each gradient to ±τ, and not clipping.`,
  },
  {
    experiment: 'vanishing',
    label: 'Vanishing gradients: RNN, LSTM and GRU',
    detail:
      `Three ${VANISHING_DEFAULTS.layers}-layer models trained on the same data for ${VANISHING_DEFAULTS.steps} steps; ` +
      'how far back ‖∂L_T/∂h_t‖ reaches in each.',
  },
];

/** `RNN Lab: Run Experiment…` — kind → (sizing) → files → defaults or steps → go. Returns the experiment folder, or undefined when the user backed out. */
export async function runExperimentCommand(controller: TrainingController, registry: RunRegistry, args?: unknown): Promise<string | undefined> {
  const given = parseArgs(args);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('RNN Lab: open a folder first: an experiment trains on files of the workspace.');
    return undefined;
  }
  if (controller.current) {
    void vscode.window.showWarningMessage(`RNN Lab: a training is already running (${controller.current.label}). Stop it first.`);
    return undefined;
  }
  const kind =
    given.kind ?? (await vscode.window.showQuickPick(KIND_PICKS, { title: 'RNN Lab: Run Experiment', placeHolder: 'Which experiment?' }))?.experiment;
  if (!kind) return undefined;
  const options = given.options ?? (await askOptions(kind));
  if (!options) return undefined;
  const files = given.files ? filesFromArgs(given.files) : await pickFiles('RNN Lab: Run Experiment');
  const runsDir = registry.runsDirectory;
  if (!files || !runsDir) return undefined;
  const params: ExperimentParams = {
    kind,
    inputs: vscode.workspace.workspaceFolders!.map((f) => f.uri.fsPath),
    include: files.include,
    exclude: excludedGlobs(folder.uri.fsPath, runsDir),
    outDir: runsDir,
    options: { maxFileBytes: maxFileBytes(), ...options },
    backend: backendPreference(),
  };
  const confineTo = engineConfinement(runsDir);
  if (confineTo) params.confineTo = confineTo;
  try {
    const dir = await controller.experiment(params, `${kind} (${files.description})`);
    registry.refresh();
    return dir;
  } catch (err) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot start the experiment: ${(err as Error).message}`);
    return undefined;
  }
}

function parseArgs(args: unknown): ExperimentCommandArgs {
  if (!isRecord(args) || args instanceof vscode.Uri || !('kind' in args)) return {};
  return {
    kind: EXPERIMENT_KINDS.find((k) => k === args.kind),
    files: parseFilesArg(args.files),
    // Checked by the engine's protocol check and spec validation, which name a bad field.
    options: isRecord(args.options) ? args.options : undefined,
  };
}

/** The defaults, or the few numbers worth changing: steps, and the sizing of the vanishing experiment. */
async function askOptions(kind: ExperimentKind): Promise<ExperimentOptions | undefined> {
  const title = 'RNN Lab: Run Experiment';
  let sizing: ExperimentSizing = 'hidden';
  if (kind === 'vanishing') {
    const pick = await vscode.window.showQuickPick(
      [
        {
          sizing: 'hidden' as const,
          label: `Same hidden size (${VANISHING_DEFAULTS.hidden} units)`,
          detail: 'The LSTM and GRU get 4× and 3× the parameters of the RNN.',
        },
        {
          sizing: 'parameters' as const,
          label: 'Same parameter count',
          detail: `RNN and GRU get the hidden size that matches the LSTM's ${VANISHING_DEFAULTS.hidden}-unit count.`,
        },
      ],
      { title, placeHolder: 'Compare the cells at…' },
    );
    if (!pick) return undefined;
    sizing = pick.sizing;
  }
  const defaultSteps = kind === 'clipping' ? CLIPPING_DEFAULTS.steps : VANISHING_DEFAULTS.steps;
  const text = await vscode.window.showInputBox({
    title,
    prompt: `Training steps of each of the three members (windows of ${DEFAULT_TRAINING.batchSize} × ${DEFAULT_TRAINING.seqLength} tokens)`,
    value: String(defaultSteps),
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 10_000_000 ? undefined : 'a whole number from 1 to 10000000'),
  });
  if (text === undefined) return undefined;
  return { steps: Number(text), ...(kind === 'vanishing' ? { sizing } : {}) };
}
