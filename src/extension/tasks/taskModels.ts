import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../core/runFormat';
import { modelLabel, runDescription } from '../../core/runLabels';
import type { RunSummary } from '../../core/runIndex';
import { taskOf } from '../../core/spec';
import type { ModelSource } from '../../protocol/modelSource';
import type { RunRegistry } from '../runs/runRegistry';
import { modelSourceOf } from '../samples/modelChoices';

/** A tagger's or classifier's model: where the engine finds it, and what people call it. */
export interface TaskModel {
  id: string;
  label: string;
  source: ModelSource;
}

const NAMES = { tag: 'tagger', classify: 'classifier' } as const;

/** Runs of this task with a model.onnx, newest first. */
export function taskRuns(runs: readonly RunSummary[], task: 'tag' | 'classify'): RunSummary[] {
  return runs.filter((r) => r.info && taskOf(r.info.model) === task && fs.existsSync(path.join(r.dir, RUN_FILES.onnx)));
}

/** "2×BiLSTM-64 tagger". */
export function taskModelLabel(run: RunSummary): string {
  const info = run.info!;
  const cell = modelLabel(info).replace('×', info.model.bidirectional ? '×Bi' : '×');
  return `${cell} ${NAMES[taskOf(info.model) as 'tag' | 'classify']}`;
}

/**
 * The model a task command uses: the one named by `modelId` (a run or an
 * .onnx file), else the only run of the task, else the user's pick among them
 * (newest first). With none, says how to train one.
 */
export async function chooseTaskModel(registry: RunRegistry, task: 'tag' | 'classify', title: string, modelId?: string): Promise<TaskModel | undefined> {
  if (modelId) {
    const source = modelSourceOf(modelId, registry.all);
    return { id: modelId, label: path.basename('runDir' in source ? source.runDir : source.onnxFile), source };
  }
  registry.scan();
  const runs = taskRuns(registry.all, task);
  if (runs.length === 0) {
    const how = task === 'tag' ? 'Train Model… → Tagger' : 'Train Model… → Classifier';
    void vscode.window.showWarningMessage(`RNN Lab: no ${NAMES[task]} has been trained in this workspace yet (${how}).`, 'Train Model…').then((choice) => {
      if (choice) void vscode.commands.executeCommand('rnnLab.train');
    });
    return undefined;
  }
  const models = runs.map((r) => ({ id: r.dir, label: r.id, source: { runDir: r.dir }, detail: `${taskModelLabel(r)} · ${runDescription(r.info!)}` }));
  if (models.length === 1) return models[0];
  const picked = await vscode.window.showQuickPick(
    models.map((m, i) => ({ label: m.label, description: i === 0 ? 'newest' : undefined, detail: m.detail, model: m })),
    { title, placeHolder: `Choose the ${NAMES[task]}` },
  );
  return picked?.model;
}
