import * as vscode from 'vscode';
import { isRecord } from '../../protocol/guards';
import type { EngineClient } from '../engine/engineClient';
import type { RunRegistry } from '../runs/runRegistry';
import { classifyCommand } from './classifyCommands';
import { TagOverlay } from './tagOverlay';
import { chooseTaskModel } from './taskModels';

/** Said in Restricted Mode: the overlay loads a model file. */
export const TAGGER_RESTRICTED_MESSAGE = 'RNN Lab does not load model files in Restricted Mode. Trust the workspace to show a tagger’s predictions.';
/** Context key for the commands' `when` clauses. */
const SHOWN_CONTEXT = 'rnnLab.taggerShown';

/**
 * The commands of taggers and classifiers (issue 13): Classify File,
 * Classify Selection, Show / Hide Tagger Predictions. Owns the tag overlay
 * while it is shown.
 */
export class TaskCommands implements vscode.Disposable {
  private current: TagOverlay | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly engine: EngineClient,
    private readonly registry: RunRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const command = (id: string, run: (...args: unknown[]) => unknown) => this.disposables.push(vscode.commands.registerCommand(id, run));
    command('rnnLab.classifyFile', (args) => classifyCommand(this.engine, this.registry, 'file', args));
    // From the editor's context menu the argument is the document's URI: the active editor is that document.
    command('rnnLab.classifySelection', (args) => classifyCommand(this.engine, this.registry, 'selection', args instanceof vscode.Uri ? undefined : args));
    command('rnnLab.showTaggerPredictions', (args) => this.showTagger(args));
    command('rnnLab.hideTaggerPredictions', () => this.hideTagger());
  }

  /** The tag overlay while it is shown. */
  get tagOverlay(): TagOverlay | undefined {
    return this.current;
  }

  /** Shows a tagger's predictions (arguments: `{ model: runDir | id | file.onnx }`); resolves with the overlay, or undefined. */
  async showTagger(args?: unknown): Promise<TagOverlay | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(TAGGER_RESTRICTED_MESSAGE);
      return undefined;
    }
    const modelId = isRecord(args) && typeof args.model === 'string' ? args.model : undefined;
    const model = await chooseTaskModel(this.registry, 'tag', 'RNN Lab: Show Tagger Predictions', modelId);
    if (!model) return undefined;
    this.current?.dispose();
    this.current = new TagOverlay(this.engine, model, this.log);
    void vscode.commands.executeCommand('setContext', SHOWN_CONTEXT, true);
    return this.current;
  }

  hideTagger(): void {
    this.current?.dispose();
    this.current = undefined;
    void vscode.commands.executeCommand('setContext', SHOWN_CONTEXT, false);
  }

  dispose(): void {
    this.current?.dispose();
    this.current = undefined;
    for (const d of this.disposables) d.dispose();
  }
}
