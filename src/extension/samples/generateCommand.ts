import * as vscode from 'vscode';
import type { GenerateResult } from '../../protocol/engine';
import type { RunRegistry } from '../runs/runRegistry';
import { parseGenerateSampleArgs, settingsFromArgs } from './generateArgs';
import { modelSourceOf, type ModelChoice } from './modelChoices';
import { RESTRICTED_MODE_MESSAGE, type SamplesViewProvider } from './samplesView';

/**
 * `RNN Lab: Generate Sample…` — pick a model, prime with the editor selection,
 * default settings; the text streams into the Samples view. Arguments
 * (GenerateSampleArgs) skip the questions. Resolves with the engine's result,
 * or undefined when refused, cancelled or failed (the view shows why).
 */
export async function generateSample(samples: SamplesViewProvider, registry: RunRegistry, args?: unknown): Promise<GenerateResult | undefined> {
  const given = parseGenerateSampleArgs(args);
  if (typeof given === 'string') {
    void vscode.window.showErrorMessage(`RNN Lab: Generate Sample: ${given}`);
    return undefined;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(RESTRICTED_MODE_MESSAGE);
    return undefined;
  }
  const model = given.modelId ? { id: given.modelId, source: modelSourceOf(given.modelId, registry.all) } : await pickModel(samples, registry);
  if (!model) return undefined;
  const editor = vscode.window.activeTextEditor;
  const selection = editor ? editor.document.getText(editor.selection) : '';
  await samples.reveal();
  const outcome = await samples.generate(settingsFromArgs(given, model.id, selection), model.source);
  return outcome.kind === 'done' ? outcome.result : undefined;
}

async function pickModel(samples: SamplesViewProvider, registry: RunRegistry): Promise<Pick<ModelChoice, 'id' | 'source'> | undefined> {
  registry.scan();
  type Item = vscode.QuickPickItem & { choice?: ModelChoice };
  const items: Item[] = samples.modelChoices().map((choice) => ({ label: choice.label, description: choice.detail, choice }));
  items.push({ label: '$(folder-opened) Browse for an .onnx file…', ...(items.length === 0 ? { description: 'no run has a model.onnx yet' } : {}) });
  const picked = await vscode.window.showQuickPick(items, { title: 'RNN Lab: Generate Sample', placeHolder: 'Choose a model' });
  if (!picked) return undefined;
  if (picked.choice) return picked.choice;
  const file = await samples.browseOnnx();
  return file ? { id: file, source: { onnxFile: file } } : undefined;
}
