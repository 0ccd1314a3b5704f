import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { isExperimentFolder, readExperimentInfo, type ExperimentListing } from '../../core/experiments/experimentIndex';
import { RUN_FILES } from '../../core/runFormat';
import { modelLabel } from '../../core/runLabels';
import { ComparePanel, experimentRunDirs, type CompareHost } from '../compare/comparePanel';
import { RunItem } from '../runs/runsView';
import type { RunRegistry } from '../runs/runRegistry';
import { backendPreference } from '../settings';
import type { TrainingController } from '../training/trainingController';
import { ExperimentItem } from './experimentItem';

const experimentTitle = (e: { id: string; info?: { kind: string } }) => `${e.info ? `${e.info.kind} experiment ` : ''}${e.id}`;

/**
 * `RNN Lab: Resume Experiment` — continues a stopped or failed experiment
 * (the member it stopped in, then the rest). Loading checkpoints is loading
 * model files from the workspace: not in Restricted Mode.
 */
export async function resumeExperimentCommand(controller: TrainingController, registry: RunRegistry, arg?: unknown): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('RNN Lab does not load model files from an untrusted workspace. Trust the workspace to resume this experiment.');
    return undefined;
  }
  const experiment = await experimentFromArg(registry, arg, 'RNN Lab: Resume Experiment', (e) => e.info?.status !== 'completed');
  if (!experiment) return undefined;
  try {
    const dir = await controller.resumeExperiment({ dir: experiment.dir, backend: backendPreference() }, experimentTitle(experiment));
    registry.refresh();
    return dir;
  } catch (err) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot resume ${experiment.id}: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * `RNN Lab: Compare Runs…` — the comparison panel for the selected runs, an
 * experiment's members, a run or experiment folder given as a path, or runs
 * picked from a list.
 */
export async function compareRunsCommand(host: CompareHost, registry: RunRegistry, arg?: unknown, selection?: unknown): Promise<string[] | undefined> {
  const chosen = comparedRuns(arg, selection) ?? (await pickRunsToCompare(registry));
  if (!chosen || chosen.runDirs.length === 0) return undefined;
  ComparePanel.show(host, chosen.runDirs, chosen.title);
  return chosen.runDirs;
}

function comparedRuns(arg: unknown, selection: unknown): { runDirs: string[]; title: string } | undefined {
  const items = Array.isArray(selection) && selection.length > 1 ? selection : arg !== undefined ? [arg] : [];
  if (items.length === 0) return undefined;
  const runDirs: string[] = [];
  let title = '';
  for (const item of items) {
    if (item instanceof ExperimentItem) {
      runDirs.push(...experimentRunDirs(item.experiment.dir));
      title = `Compare: ${experimentTitle(item.experiment)}`;
    } else if (item instanceof RunItem) {
      runDirs.push(item.run.dir);
    } else if (typeof item === 'string' && isExperimentFolder(item)) {
      runDirs.push(...experimentRunDirs(item));
      title = `Compare: ${experimentTitle({ id: path.basename(item), info: readExperimentInfo(item) })}`;
    } else if (typeof item === 'string' && fs.existsSync(path.join(item, RUN_FILES.info))) {
      runDirs.push(item);
    }
  }
  const unique = [...new Set(runDirs)];
  return { runDirs: unique, title: items.length > 1 || !title ? `Compare ${unique.length} runs` : title };
}

async function pickRunsToCompare(registry: RunRegistry): Promise<{ runDirs: string[]; title: string } | undefined> {
  registry.scan();
  type Pick = vscode.QuickPickItem & { runDirs: string[] };
  const experiments: Pick[] = registry.experiments.map((e) => ({
    label: `$(beaker) ${experimentTitle(e)}`,
    description: `${e.members.length} runs`,
    runDirs: e.members.map((m) => m.dir),
  }));
  const runs: Pick[] = registry.all.map((r) => ({ label: r.info ? modelLabel(r.info) : r.id, description: r.id, runDirs: [r.dir] }));
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('RNN Lab: no runs yet. Train a model or run an experiment first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick([...experiments, ...runs], {
    title: 'RNN Lab: Compare Runs',
    placeHolder: 'Choose two or more runs, or an experiment',
    canPickMany: true,
  });
  if (!picked || picked.length === 0) return undefined;
  const runDirs = [...new Set(picked.flatMap((p) => p.runDirs))];
  return { runDirs, title: `Compare ${runDirs.length} runs` };
}

/** The experiment a command is about: the clicked item, a folder path, or a QuickPick of those that `eligible` admits. */
async function experimentFromArg(
  registry: RunRegistry,
  arg: unknown,
  title: string,
  eligible: (e: ExperimentListing) => boolean,
): Promise<ExperimentListing | undefined> {
  if (arg instanceof ExperimentItem) return arg.experiment;
  registry.scan();
  if (typeof arg === 'string') return registry.findExperiment(arg);
  const candidates = registry.experiments.filter(eligible);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('RNN Lab: no experiment to resume. Start one with RNN Lab: Run Experiment….');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    candidates.map((e) => ({ label: experimentTitle(e), description: e.info?.status, experiment: e })),
    { title, placeHolder: 'Choose an experiment' },
  );
  return pick?.experiment;
}

/** Delete on an experiment: asks first; never while it trains. Returns the number of experiments deleted. */
export async function deleteExperiment(registry: RunRegistry, controller: TrainingController, item: ExperimentItem): Promise<number> {
  const { experiment } = item;
  if (controller.current?.experiment?.dir === experiment.dir) {
    void vscode.window.showWarningMessage('RNN Lab: an experiment that is training cannot be deleted; stop it first.');
    return 0;
  }
  const answer = await vscode.window.showWarningMessage(
    `Delete experiment ${experiment.id} and its ${experiment.members.length} runs? Their checkpoints and metrics are removed from disk.`,
    { modal: true },
    'Delete',
  );
  if (answer !== 'Delete') return 0;
  await fs.promises.rm(experiment.dir, { recursive: true, force: true });
  registry.scan();
  return 1;
}

/**
 * While an experiment trains, the dashboard shows its members so far,
 * overlaid: it opens (or follows) when each member starts.
 */
export function followExperiments(controller: TrainingController, showDashboard: (runDirs: string[]) => void): vscode.Disposable {
  return controller.onEngineEvent((e) => {
    if (e.event !== 'experimentMember') return;
    const runDirs = experimentRunDirs(e.dir);
    showDashboard(runDirs.includes(e.runDir) ? runDirs : [...runDirs, e.runDir]);
  });
}
