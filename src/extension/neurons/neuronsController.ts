import { neuronLabel } from '../../core/neurons/neuronLabel';
import * as vscode from 'vscode';
import { modelLabel } from '../../core/runLabels';
import type { NeuronId } from '../../protocol/activations';
import type { MatchSelectionResult, NeuronTraceResult, RankNeuronsResult } from '../../protocol/neurons';
import type { HostToNeurons, NeuronsRanking, NeuronsSelection, NeuronsStatus, NeuronsToHost, NeuronsTrace } from '../../protocol/neuronsView';
import type { ModelSource } from '../../protocol/modelSource';
import { defaultOverlayModel, modelFromId, type OverlayModel } from '../activations/overlayModel';
import type { EngineClient } from '../engine/engineClient';
import type { RunRegistry } from '../runs/runRegistry';
import { NeuronsPanel, type NeuronsPanelHandlers } from './neuronsPanel';
import { parseNeuronsArgs, type NeuronsCommandArgs } from './neuronsArgs';
import { rankingContent, selectionContent, traceContent } from './neuronsContent';
import type { KnownRanking } from '../activations/featureChoices';
import { activeSourceEditor, documentName } from '../editors';

/** Said when the workspace is not trusted: the Neurons view loads a model file. */
export const NEURONS_RESTRICTED_MESSAGE = 'RNN Lab does not load model files in Restricted Mode. Trust the workspace to look at neurons.';

/** The command the editor overlay registers to show a neuron (not registered while the overlay is unavailable). */

/** Where the view's content came from: what a chosen neuron is traced on and what a clicked span is revealed in. */
interface Subject {
  model: OverlayModel;
  /** "1×LSTM-64 · 20261126-063724-lstm-1x64". */
  modelName: string;
  uri: vscode.Uri;
  documentName: string;
  /** The text the engine was sent (its offsets are in it). */
  text: string;
  /** Set by Find Neurons for Selection: the trace covers its window and outlines the selection and matches. */
  match?: MatchSelectionResult;
}

export interface NeuronsControllerOptions {
  /** The overlay's model while it is shown: the view looks at the same model by default. */
  overlayModel(): OverlayModel | undefined;
  /** A ranking of a model on a text: the overlay's picker offers its neurons by the features they track. */
  onRanked(ranking: KnownRanking): void;
  /** A neuron of `model` was chosen in the view: the editor overlay shows it (starting on that model if it is off). */
  onNeuronChosen(neuron: NeuronId, model: OverlayModel | undefined): Promise<unknown>;
}

/**
 * `RNN Lab: Show Neurons` and `RNN Lab: Find Neurons for Selection`, and the
 * Neurons view they fill. The host keeps what the view shows and sends it
 * again whenever the page loads (it is dropped while the panel is hidden).
 * Choosing a neuron in the view traces it here and asks the editor overlay
 * to show it.
 */
export class NeuronsController implements vscode.Disposable {
  private panel: NeuronsPanel | undefined;
  private subject: Subject | undefined;
  private ranking: NeuronsRanking | null = null;
  private selection: NeuronsSelection | null = null;
  private trace: NeuronsTrace | null = null;
  private status: NeuronsStatus = { kind: 'idle' };
  /** Bumped by every command and choice: an answer for an older one is dropped. */
  private generation = 0;
  /** The last failure, in words (the tests read it). */
  lastError: string | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: Pick<EngineClient, 'request'>,
    private readonly registry: RunRegistry,
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    private readonly options: NeuronsControllerOptions,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined && !this.panel.isDisposed;
  }

  /** The view's page has loaded and asked for its content. */
  get isLoaded(): boolean {
    return this.panel?.isLoaded === true;
  }

  /** What the view shows now (for the tests). */
  get shown(): { ranking: NeuronsRanking | null; selection: NeuronsSelection | null; trace: NeuronsTrace | null; status: NeuronsStatus } {
    return { ranking: this.ranking, selection: this.selection, trace: this.trace, status: this.status };
  }

  /** Takes over a panel restored after a reload: its page shows its saved content until a command runs. */
  revive(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    this.panel = NeuronsPanel.revive(panel, this.extensionUri, this.handlers());
  }

  /** `RNN Lab: Show Neurons`: the ranking for the active editor's text. */
  async showNeurons(args?: unknown): Promise<RankNeuronsResult | undefined> {
    const prepared = await this.prepare('Show Neurons', args);
    if (!prepared) return undefined;
    const { given, editor, model } = prepared;
    const document = editor.document;
    const text = document.getText();
    const subject: Subject = { model, modelName: this.modelName(model), uri: document.uri, documentName: documentName(document), text };
    const generation = ++this.generation;
    this.show();
    this.setStatus({ kind: 'busy', message: `Ranking the neurons of ${subject.modelName} on ${subject.documentName}…` });
    try {
      const result = await this.engine.request('rankNeurons', { source: model.source, text, language: document.languageId, top: given.top ?? 5 });
      if (generation !== this.generation) return result;
      // A selection match of the same text stays, and the trace keeps outlining it.
      const previous = this.subject;
      if (previous?.match && previous.text === text && previous.model.id === model.id) subject.match = previous.match;
      else this.setSelection(null);
      this.subject = subject;
      this.setRanking(rankingContent(result, subject.documentName, subject.modelName));
      this.options.onRanked({ modelId: model.id, documentName: subject.documentName, features: result.features });
      // Start with the neuron that tracks strings best (the quote cell of Karpathy et al.), else the best of any feature.
      const first = result.features.find((f) => f.feature === 'inString' && f.top.length)?.top[0] ?? bestNeuron(result);
      if (first) await this.traceNeuron(first, generation);
      else this.setTrace(null);
      if (generation === this.generation) this.setStatus({ kind: 'idle' });
      return result;
    } catch (err) {
      this.fail(generation, `Cannot rank neurons: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** `RNN Lab: Find Neurons for Selection`: LSTMVis select-and-match on the editor selection. */
  async findForSelection(args?: unknown): Promise<MatchSelectionResult | undefined> {
    const prepared = await this.prepare('Find Neurons for Selection', args);
    if (!prepared) return undefined;
    const { editor, model } = prepared;
    if (editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('RNN Lab: select some text first: the neurons that set it apart from the rest of the file are found.');
      return undefined;
    }
    const document = editor.document;
    const text = document.getText();
    const start = document.offsetAt(editor.selection.start);
    const end = document.offsetAt(editor.selection.end);
    const subject: Subject = { model, modelName: this.modelName(model), uri: document.uri, documentName: documentName(document), text };
    const generation = ++this.generation;
    this.show();
    this.setStatus({ kind: 'busy', message: `Finding the neurons of ${subject.modelName} that set the selection apart…` });
    try {
      const result = await this.engine.request('matchSelection', { source: model.source, text, start, end });
      if (generation !== this.generation) return result;
      subject.match = result;
      // A ranking of the same text stays; one of another text (or an older version) goes.
      if (this.subject?.text !== text || this.subject.model.id !== model.id) this.setRanking(null);
      this.subject = subject;
      this.setSelection(selectionContent(result, text, subject.documentName, subject.modelName));
      const first = result.neurons[0];
      if (first) await this.traceNeuron(first, generation);
      else this.setTrace(null);
      if (generation === this.generation) this.setStatus({ kind: 'idle' });
      return result;
    } catch (err) {
      this.fail(generation, `Cannot find neurons for the selection: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** The common start of both commands: arguments, trust, an editor, a model. */
  private async prepare(title: string, args: unknown): Promise<{ given: NeuronsCommandArgs; editor: vscode.TextEditor; model: OverlayModel } | undefined> {
    const given = parseNeuronsArgs(args);
    if (typeof given === 'string') {
      void vscode.window.showErrorMessage(`RNN Lab: ${title}: ${given}`);
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(NEURONS_RESTRICTED_MESSAGE);
      return undefined;
    }
    const editor = activeSourceEditor();
    if (!editor) {
      void vscode.window.showInformationMessage(`RNN Lab: ${title}: open a source file first; its text is what the neurons are measured on.`);
      return undefined;
    }
    const model = given.modelId
      ? modelFromId(given.modelId, this.registry)
      : (this.options.overlayModel() ?? (await defaultOverlayModel(this.registry, this.state)));
    if (!model) return undefined;
    return { given, editor, model };
  }

  private handlers(): NeuronsPanelHandlers {
    return {
      onMessage: (m) => void this.handleMessage(m),
      onDispose: () => {
        this.panel = undefined;
      },
      log: this.log,
    };
  }

  /** What the view asked for (validated by the panel); public so the tests can play the view's part. */
  async handleMessage(m: NeuronsToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.replay();
        return;
      case 'chooseNeuron': {
        const neuron: NeuronId = { layer: m.layer, kind: m.kind, unit: m.unit, ...(m.direction === 'backward' ? { direction: 'backward' as const } : {}) };
        void this.setOverlayNeuron(neuron);
        if (!this.subject) {
          this.setStatus({ kind: 'error', message: 'Run “RNN Lab: Show Neurons” again to colour the text (the window was reloaded).' });
          return;
        }
        const generation = ++this.generation;
        try {
          await this.traceNeuron(neuron, generation);
          if (generation === this.generation) this.setStatus({ kind: 'idle' });
        } catch (err) {
          this.fail(generation, `Cannot colour the text by ${neuronLabel(neuron)}: ${(err as Error).message}`);
        }
        return;
      }
      case 'revealSpan':
        await this.reveal(m.start, m.end);
        return;
    }
  }

  /** Traces a neuron over the subject's text (the match window after Find Neurons for Selection). */
  private async traceNeuron(neuron: NeuronId, generation: number): Promise<NeuronTraceResult | undefined> {
    const subject = this.subject;
    if (!subject) return undefined;
    const result = await this.engine.request('neuronTrace', {
      source: subject.model.source,
      text: subject.text,
      layer: neuron.layer,
      kind: neuron.kind,
      unit: neuron.unit,
      ...(neuron.direction === 'backward' ? { direction: 'backward' as const } : {}),
      start: subject.match?.window.start ?? 0,
    });
    if (generation === this.generation && this.subject === subject) this.setTrace(traceContent(result, subject.text, subject.match));
    return result;
  }

  /** The editor overlay switches to the neuron chosen in the view. */
  private async setOverlayNeuron(neuron: NeuronId): Promise<void> {
    try {
      await this.options.onNeuronChosen(neuron, this.subject?.model);
    } catch (err) {
      this.log.warn(`Neurons view: the overlay could not show ${neuronLabel(neuron)}: ${(err as Error).message}`);
    }
  }

  /** Selects the span in its document, beside the Neurons view. */
  private async reveal(start: number, end: number): Promise<void> {
    const subject = this.subject;
    if (!subject) return;
    try {
      const document = await vscode.workspace.openTextDocument(subject.uri);
      const length = document.getText().length;
      const range = new vscode.Range(document.positionAt(Math.min(start, length)), document.positionAt(Math.min(end, length)));
      const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === subject.uri.toString());
      const editor = await vscode.window.showTextDocument(document, {
        viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One,
        preserveFocus: false,
        selection: range,
      });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (err) {
      this.log.warn(`Neurons view: cannot reveal the span: ${(err as Error).message}`);
    }
  }

  private show(): void {
    if (this.panel && !this.panel.isDisposed) this.panel.reveal();
    else this.panel = NeuronsPanel.create(this.extensionUri, this.handlers());
  }

  /** Everything the view shows, to a page that just loaded. Sections the host does not hold stay as the page restored them. */
  private replay(): void {
    if (this.ranking) this.post({ type: 'ranking', ranking: this.ranking });
    if (this.selection) this.post({ type: 'selection', selection: this.selection });
    if (this.trace) this.post({ type: 'trace', trace: this.trace });
    this.post({ type: 'status', status: this.status });
  }

  private setRanking(ranking: NeuronsRanking | null): void {
    this.ranking = ranking;
    this.post({ type: 'ranking', ranking });
  }

  private setSelection(selection: NeuronsSelection | null): void {
    this.selection = selection;
    this.post({ type: 'selection', selection });
  }

  private setTrace(trace: NeuronsTrace | null): void {
    this.trace = trace;
    this.post({ type: 'trace', trace });
  }

  private setStatus(status: NeuronsStatus): void {
    this.status = status;
    this.post({ type: 'status', status });
  }

  private fail(generation: number, message: string): void {
    this.lastError = message;
    this.log.warn(message);
    if (generation === this.generation) this.setStatus({ kind: 'error', message });
  }

  private post(message: HostToNeurons): void {
    this.panel?.post(message);
  }

  /** "1×LSTM-64 · run id" for a known run, else the model's own label. */
  private modelName(model: OverlayModel): string {
    const source: ModelSource = model.source;
    const run = 'runDir' in source ? this.registry.find(source.runDir) : undefined;
    return run?.info ? `${modelLabel(run.info)} · ${run.id}` : model.label;
  }

  dispose(): void {
    this.generation++;
    this.panel?.dispose();
    this.panel = undefined;
  }
}

function bestNeuron(result: RankNeuronsResult): NeuronId | undefined {
  let best: { score: number; neuron: NeuronId } | undefined;
  for (const f of result.features) for (const n of f.top.slice(0, 1)) if (!best || n.score > best.score) best = { score: n.score, neuron: n };
  return best?.neuron;
}
