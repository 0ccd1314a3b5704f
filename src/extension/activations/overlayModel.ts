import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../core/runFormat';
import type { ModelSource } from '../../protocol/modelSource';
import { isRecord } from '../../protocol/guards';
import type { RunRegistry } from '../runs/runRegistry';
import { inspectableRunChoices, modelSourceOf } from '../samples/modelChoices';

/** The model the overlay reads: where the engine finds it, and what the user calls it. */
export interface OverlayModel {
  id: string;
  label: string;
  source: ModelSource;
}

/** workspaceState key: the model last chosen for the overlay in this workspace. */
const MODEL_KEY = 'rnnLab.activations.model';

/** Whether a model's file is still there. */
export function modelExists(source: ModelSource): boolean {
  return 'runDir' in source ? fs.existsSync(path.join(source.runDir, RUN_FILES.onnx)) : fs.existsSync(source.onnxFile);
}

/** A model named by a command argument (a run folder or id, or an .onnx file). */
export function modelFromId(modelId: string, registry: RunRegistry): OverlayModel {
  const source = modelSourceOf(modelId, registry.all);
  return { id: modelId, label: labelOf(source), source };
}

/**
 * The model to show: the one chosen before in this workspace if it is still
 * there, else the newest run with a model.onnx, else the user's pick.
 */
export async function defaultOverlayModel(registry: RunRegistry, state: vscode.Memento): Promise<OverlayModel | undefined> {
  const stored = state.get<unknown>(MODEL_KEY);
  if (isRecord(stored) && typeof stored.id === 'string' && isRecord(stored.source)) {
    const model = stored as unknown as OverlayModel;
    if (modelExists(model.source)) return model;
  }
  registry.scan();
  const newest = inspectableRunChoices(registry.all)[0];
  if (newest) return { id: newest.id, label: newest.label, source: newest.source };
  return pickOverlayModel(registry, state);
}

/** Asks which model to show (runs with a model.onnx, or an .onnx file) and remembers the answer for this workspace. */
export async function pickOverlayModel(registry: RunRegistry, state: vscode.Memento, current?: OverlayModel): Promise<OverlayModel | undefined> {
  registry.scan();
  type Item = vscode.QuickPickItem & { model?: OverlayModel };
  const items: Item[] = inspectableRunChoices(registry.all).map((c) => ({
    label: c.label,
    description: c.detail,
    ...(current?.id === c.id ? { detail: '$(check) shown now' } : {}),
    model: { id: c.id, label: c.label, source: c.source },
  }));
  items.push({
    label: '$(folder-opened) Browse for an .onnx file…',
    ...(items.length === 0 ? { description: 'no run has a model.onnx yet: train one with RNN Lab: Train Model…' } : {}),
  });
  const picked = await vscode.window.showQuickPick(items, { title: 'RNN Lab: Neuron Activations', placeHolder: 'Choose the model whose neurons to show' });
  if (!picked) return undefined;
  let model = picked.model;
  if (!model) {
    const runsDir = registry.runsDirectory;
    const files = await vscode.window.showOpenDialog({
      title: 'RNN Lab: choose an .onnx model exported by RNN Lab',
      openLabel: 'Show Its Neurons',
      canSelectMany: false,
      filters: { 'ONNX models': ['onnx'] },
      ...(runsDir ? { defaultUri: vscode.Uri.file(runsDir) } : {}),
    });
    const file = files?.[0]?.fsPath;
    if (!file) return undefined;
    model = { id: file, label: labelOf({ onnxFile: file }), source: { onnxFile: file } };
  }
  await state.update(MODEL_KEY, model);
  return model;
}

function labelOf(source: ModelSource): string {
  if ('runDir' in source) return path.basename(source.runDir);
  return `${path.basename(path.dirname(source.onnxFile))}${path.sep}${path.basename(source.onnxFile)}`;
}
