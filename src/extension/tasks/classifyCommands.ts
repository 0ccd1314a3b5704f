import * as vscode from 'vscode';
import type { ClassifiedFile } from '../../protocol/tasks';
import { isRecord } from '../../protocol/guards';
import type { EngineClient } from '../engine/engineClient';
import { activeSourceEditor, documentName } from '../editors';
import type { RunRegistry } from '../runs/runRegistry';
import { chooseTaskModel } from './taskModels';

/** Said in Restricted Mode: classifying loads a model file. */
export const CLASSIFY_RESTRICTED_MESSAGE = 'RNN Lab does not load model files in Restricted Mode. Trust the workspace to classify text.';

/** How many labels the message lists. */
const TOP_LABELS = 3;

/** "python 92.1%, javascript 5.0%, typescript 1.2%": the most likely labels first. */
export function topLabels(probabilities: Record<string, number>, count = TOP_LABELS): { label: string; percent: string }[] {
  return Object.entries(probabilities)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([label, p]) => ({ label, percent: `${(100 * p).toFixed(1)}%` }));
}

/**
 * `RNN Lab: Classify File` and `Classify Selection`: a classifier run's labels
 * for the active editor's text (or its selection), through the engine's
 * `predict` request, shown as the top three with their probabilities.
 * Resolves with the prediction (tests and scripts read it), or undefined.
 * Arguments: `{ model: runDir | id | file.onnx }` skips the choice of model.
 */
export async function classifyCommand(
  engine: EngineClient,
  registry: RunRegistry,
  what: 'file' | 'selection',
  args: unknown,
): Promise<ClassifiedFile | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(CLASSIFY_RESTRICTED_MESSAGE);
    return undefined;
  }
  const editor = activeSourceEditor();
  if (!editor) {
    void vscode.window.showWarningMessage('RNN Lab: open a file to classify.');
    return undefined;
  }
  const text = what === 'file' ? editor.document.getText() : editor.selections.map((s) => editor.document.getText(s)).join('\n');
  if (!text.trim()) {
    void vscode.window.showWarningMessage(what === 'file' ? 'RNN Lab: the file is empty: nothing to classify.' : 'RNN Lab: select some text to classify.');
    return undefined;
  }
  const title = what === 'file' ? 'RNN Lab: Classify File' : 'RNN Lab: Classify Selection';
  const model = await chooseTaskModel(registry, 'classify', title, isRecord(args) && typeof args.model === 'string' ? args.model : undefined);
  if (!model) return undefined;
  const name = what === 'file' ? documentName(editor.document) : `the selection in ${documentName(editor.document)}`;
  try {
    const result = await engine.request('predict', { model: model.source, inputs: [{ file: editor.document.fileName || name, text }] });
    if (result.task !== 'classify') throw new Error(`${model.label} is not a classifier`);
    const [file] = result.files;
    const top = topLabels(file.probabilities);
    void vscode.window.showInformationMessage(`RNN Lab: ${name} is ${top.map((t) => `${plain(t.label)} ${t.percent}`).join(', ')} (${model.label})`);
    return file;
  } catch (err) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot classify ${name}: ${(err as Error).message}`);
    return undefined;
  }
}

/** A label from the user's data as notification text: brackets would make a Markdown link of it. */
function plain(label: string): string {
  return label.replace(/\[/g, '［').replace(/\]/g, '］');
}
