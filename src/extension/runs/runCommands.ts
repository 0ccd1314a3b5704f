import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../core/runIndex';
import { remove } from '../../core/fileSteps';
import { describeOwner, liveLockOwner } from '../../core/runLock';
import { RunFolder } from '../../core/runStore';
import { modelLabel } from '../../core/runLabels';
import { EngineRequestError, type EngineClient } from '../engine/engineClient';
import type { ResumeParams } from '../../protocol/engine';
import type { RunRegistry } from './runRegistry';
import type { TrainingController } from '../training/trainingController';
import { backendPreference } from '../settings';
import { RunItem } from './runsView';
import { revealPath } from './revealPath';
import { ExperimentItem } from '../experiments/experimentItem';
import { askExtraSteps } from './extraStepsInput';

/**
 * Which runs a command is about: the clicked item and the rest of the
 * selection (menus pass both), a run folder path (programmatic use), or, with
 * nothing given, a QuickPick.
 */
export async function runsFromArgs(registry: RunRegistry, title: string, arg?: unknown, selection?: unknown): Promise<RunSummary[]> {
  // An experiment in the selection stands for its member runs.
  const runsOf = (item: unknown): RunSummary[] => (item instanceof RunItem ? [item.run] : item instanceof ExperimentItem ? item.experiment.members : []);
  if (Array.isArray(selection) && selection.length > 0) return selection.flatMap(runsOf);
  if (arg instanceof RunItem || arg instanceof ExperimentItem) return runsOf(arg);
  if (typeof arg === 'string') {
    const found = registry.find(arg) ?? (fs.existsSync(path.join(arg, 'run.json')) ? { dir: arg, id: path.basename(arg) } : undefined);
    return found ? [found] : [];
  }
  const picked = await pickRun(registry, title);
  return picked ? [picked] : [];
}

export async function pickRun(registry: RunRegistry, title: string): Promise<RunSummary | undefined> {
  registry.scan();
  if (registry.all.length === 0) {
    void vscode.window.showInformationMessage('RNN Lab: no runs yet. Train a model first (RNN Lab: Train Model…).');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    registry.all.map((run) => ({
      run,
      label: run.info ? modelLabel(run.info) : run.id,
      description: run.info ? `${run.id} · ${run.info.status}` : 'unreadable',
    })),
    { title, placeHolder: 'Choose a run' },
  );
  return pick?.run;
}

/** `RNN Lab: Delete Run…` — asks first; never deletes a run being trained (here, or by another process such as `rnn-lab train`). */
export async function deleteRuns(registry: RunRegistry, controller: TrainingController, runs: RunSummary[]): Promise<number> {
  const owners = new Map(runs.map((r) => [r.dir, liveLockOwner(r.dir)]));
  const deletable = runs.filter((r) => r.dir !== controller.current?.runDir && !owners.get(r.dir));
  const held = runs.find((r) => r.dir !== controller.current?.runDir && owners.get(r.dir));
  if (held) void vscode.window.showWarningMessage(`RNN Lab: run ${held.id} is in use by ${describeOwner(owners.get(held.dir)!)}; it cannot be deleted now.`);
  else if (deletable.length < runs.length) void vscode.window.showWarningMessage('RNN Lab: a run that is training cannot be deleted; stop it first.');
  if (deletable.length === 0) return 0;
  const what = deletable.length === 1 ? `run ${deletable[0].id}` : `${deletable.length} runs`;
  const answer = await vscode.window.showWarningMessage(`Delete ${what}? Its checkpoints and metrics are removed from disk.`, { modal: true }, 'Delete');
  if (answer !== 'Delete') return 0;
  let deleted = 0;
  for (const run of deletable) {
    // Under the run's lock: a training that started since the question cannot lose its folder.
    const folder = RunFolder.open(run.dir);
    try {
      folder.lock('RNN Lab, deleting the run');
      remove(run.dir);
      deleted++;
    } catch (err) {
      void vscode.window.showErrorMessage(`RNN Lab: cannot delete ${run.id}: ${(err as Error).message}`);
    } finally {
      folder.unlock();
    }
  }
  registry.scan();
  return deleted;
}

/**
 * `RNN Lab: Resume Training` and `Train More…` — continues a run from its
 * checkpoint: `extraSteps` more steps (the dashboard asks), else a stopped run
 * to its planned total, and a finished run as many more as the user says
 * (asked: it never doubles silently). Loading a checkpoint is loading a model
 * file from the workspace: not in Restricted Mode.
 */
export async function resumeRun(controller: TrainingController, registry: RunRegistry, run: RunSummary, extraSteps?: number): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('RNN Lab does not load model files from an untrusted workspace. Trust the workspace to resume this run.');
    return undefined;
  }
  const info = run.info;
  if (!info) return undefined;
  // Another process (`rnn-lab train --resume`) trains it: say so before asking anything.
  const owner = liveLockOwner(run.dir);
  if (owner) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot resume ${run.id}: it is in use by ${describeOwner(owner)}.`);
    return undefined;
  }
  const finished = info.progress.step >= info.progress.totalSteps;
  const extra = extraSteps ?? (finished ? await askExtraSteps(info, `RNN Lab: Train ${modelLabel(info)} ${run.id} More`) : undefined);
  if (finished && extra === undefined) return undefined;
  const total = extra !== undefined ? info.progress.step + extra : undefined;
  const params: ResumeParams = { runDir: run.dir, backend: backendPreference(), ...(total !== undefined ? { steps: total } : {}) };
  try {
    const runDir = await controller.resume(params, modelLabel(info)).catch(async (err: unknown) => {
      if (!(err instanceof EngineRequestError && err.code === 'corpusChanged')) throw err;
      // The files changed since the run started: training on them is no longer the same run; the user decides.
      const answer = await vscode.window.showWarningMessage(
        `RNN Lab: ${err.message.replace(/; resume with --allow-changed-corpus.*$/, '')}. Resume on the new text?`,
        { modal: true },
        'Resume Anyway',
      );
      return answer === 'Resume Anyway' ? controller.resume({ ...params, allowChangedCorpus: true }, modelLabel(info)) : undefined;
    });
    if (runDir === undefined) return undefined;
    registry.refresh();
    void vscode.commands.executeCommand('rnnLab.openDashboard', runDir);
    return runDir;
  } catch (err) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot resume ${run.id}: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * `RNN Lab: Export Model to ONNX…` — writes the run's newest checkpoint as an
 * ONNX file where the user chooses (the run's own model.onnx by default). The
 * engine does the work; the checkpoint is a model file, so not in Restricted Mode.
 */
export async function exportRun(engine: EngineClient, run: RunSummary, target?: string): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('RNN Lab does not load model files from an untrusted workspace. Trust the workspace to export this run.');
    return undefined;
  }
  let out = target;
  if (out === undefined) {
    const picked = await vscode.window.showSaveDialog({
      title: `Export ${run.id} to ONNX`,
      defaultUri: vscode.Uri.file(path.join(run.dir, 'model.onnx')),
      filters: { 'ONNX model': ['onnx'] },
    });
    if (!picked) return undefined;
    out = picked.fsPath;
  }
  try {
    const { file } = await engine.request('export', { runDir: run.dir, out });
    void vscode.window.showInformationMessage(`RNN Lab: exported ${run.id} to ${file}`, 'Reveal').then((a) => a && revealPath(file));
    return file;
  } catch (err) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot export ${run.id}: ${(err as Error).message}`);
    return undefined;
  }
}
