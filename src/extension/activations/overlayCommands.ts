import * as vscode from 'vscode';
import type { NeuronId } from '../../protocol/activations';
import type { EngineClient } from '../engine/engineClient';
import type { RunRegistry } from '../runs/runRegistry';
import { ActivationOverlay } from './activationOverlay';
import { featureName } from '../../core/neurons/featureNames';
import { activeSourceEditor, documentName } from '../editors';
import { bestNeuronFor, featureChoices, neuronHints, type KnownRanking } from './featureChoices';
import { defaultNeuron, hasNeuron, neuronLabel, parseNeuronLabel, type ModelLayout } from './neuronLabels';
import { pickNeuron } from './neuronPicker';
import { OverlayDocument } from './overlayDocument';
import { defaultOverlayModel, modelFromId, pickOverlayModel, type OverlayModel } from './overlayModel';
import { neuronFromArgs, parseFeatureArg, parseNeuronArg, parseShowActivationsArgs } from './showArgs';

/** Said when the workspace is not trusted: the overlay loads a model file. */
export const OVERLAY_RESTRICTED_MESSAGE = 'RNN Lab does not load model files in Restricted Mode. Trust the workspace to show neuron activations.';
/** workspaceState key: the neuron last shown, "c1[37]". */
const NEURON_KEY = 'rnnLab.activations.neuron';
/** Context key for the commands' `when` clauses. */
const SHOWN_CONTEXT = 'rnnLab.activationsShown';

/**
 * `RNN Lab: Show / Hide Neuron Activations` and `Choose Neuron…`: owns the
 * overlay (at most one, for one model) and the hints a neuron ranking gives
 * the picker. Lives as long as the extension; the overlay only while shown.
 */
export class OverlayCommands implements vscode.Disposable {
  private current: ActivationOverlay | undefined;
  /** The newest neuron ranking (Show Neurons, or one the picker asked for). */
  private ranking: KnownRanking | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly registry: RunRegistry,
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The overlay while it is shown. */
  get overlay(): ActivationOverlay | undefined {
    return this.current;
  }

  /** The newest ranking known to the picker. */
  get knownRanking(): KnownRanking | undefined {
    return this.ranking;
  }

  /** A neuron ranking of a model: the picker offers its neurons by the features they track. */
  setRanking(ranking: KnownRanking): void {
    this.ranking = ranking;
  }

  /** Ranked neurons of this model, "c1[37]" → the feature each tracks best. */
  private hintsFor(model: OverlayModel): Map<string, string> {
    return this.ranking?.modelId === model.id ? neuronHints(this.ranking.features) : new Map<string, string>();
  }

  /**
   * Shows the overlay (arguments: ShowActivationsArgs skip the questions).
   * Resolves with the overlay, or undefined when refused, cancelled or failed.
   */
  async show(args?: unknown): Promise<ActivationOverlay | undefined> {
    const given = parseShowActivationsArgs(args);
    if (typeof given === 'string') {
      void vscode.window.showErrorMessage(`RNN Lab: Show Neuron Activations: ${given}`);
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(OVERLAY_RESTRICTED_MESSAGE);
      return undefined;
    }
    const model = given.modelId ? modelFromId(given.modelId, this.registry) : (this.current?.model ?? (await defaultOverlayModel(this.registry, this.state)));
    if (!model) return undefined;
    const sameModel = this.current && this.current.model.id === model.id;
    const layout = sameModel ? this.current!.layout : await this.layoutOf(model);
    if (!layout) return undefined;
    const remembered = parseNeuronLabel(this.state.get<string>(NEURON_KEY) ?? '');
    const fallback = this.current?.neuron ?? (remembered && hasNeuron(layout, remembered) ? remembered : undefined);
    let neuron = neuronFromArgs(given, fallback ?? defaultNeuron(layout, this.hintsFor(model)));
    if (neuron && !hasNeuron(layout, neuron)) {
      void vscode.window.showErrorMessage(`RNN Lab: ${model.label} has no neuron ${neuronLabel(neuron)} (${describeLayout(layout)}).`);
      return undefined;
    }
    if (!neuron && !fallback) {
      const asked = await this.askNeuron(model, layout, undefined);
      if (asked === 'changeModel') return this.changeModel(model);
      neuron = asked;
    }
    neuron ??= fallback ?? defaultNeuron(layout, this.hintsFor(model));
    await this.state.update(NEURON_KEY, neuronLabel(neuron));
    if (sameModel) {
      this.current!.setNeuron(neuron);
      return this.current;
    }
    this.current?.dispose();
    this.current = new ActivationOverlay(this.engine, model, layout, neuron, this.log);
    void vscode.commands.executeCommand('setContext', SHOWN_CONTEXT, true);
    return this.current;
  }

  /** Removes the overlay; false when it was not shown. */
  hide(): boolean {
    if (!this.current) return false;
    this.current.dispose();
    this.current = undefined;
    void vscode.commands.executeCommand('setContext', SHOWN_CONTEXT, false);
    return true;
  }

  /**
   * `Choose Neuron…`: with a neuron ("c1[37]" or { layer, kind, unit }, as the
   * Neurons view sends) shows it, starting the overlay if needed; without,
   * asks.
   */
  async chooseNeuron(arg?: unknown): Promise<ActivationOverlay | undefined> {
    const given = parseNeuronArg(arg);
    if (given) return this.show({ ...(this.current ? { modelId: this.current.model.id } : {}), ...given });
    const feature = parseFeatureArg(arg);
    if (feature !== undefined && this.current) {
      const neuron = await this.neuronForFeature(this.current.model, feature);
      return neuron ? this.showNeuron(neuron) : this.current;
    }
    if (!this.current) return this.show();
    const overlay = this.current;
    const asked = await this.askNeuron(overlay.model, overlay.layout, overlay.neuron);
    if (!asked || this.current !== overlay) return this.current;
    if (asked === 'changeModel') return this.changeModel(overlay.model);
    return this.showNeuron(asked);
  }

  /** Asks for a neuron by the feature it tracks (ranking the active file first when needed) or by name. */
  private async askNeuron(model: OverlayModel, layout: ModelLayout, current: NeuronId | undefined): Promise<NeuronId | 'changeModel' | undefined> {
    const ranking = this.ranking?.modelId === model.id ? this.ranking : undefined;
    const picked = await pickNeuron({
      layout,
      hints: this.hintsFor(model),
      current,
      modelLabel: model.label,
      features: featureChoices(ranking),
      rankedOn: ranking?.documentName ?? (activeSourceEditor() && documentName(activeSourceEditor()!.document)),
      ranked: ranking !== undefined,
    });
    if (!picked || picked.kind === 'changeModel') return picked?.kind;
    return picked.kind === 'neuron' ? picked.neuron : this.neuronForFeature(model, picked.feature);
  }

  /** The neuron of `model` that tracks `feature` best, from the known ranking or one made now on the active file. */
  private async neuronForFeature(model: OverlayModel, feature: string): Promise<NeuronId | undefined> {
    const ranking = this.ranking?.modelId === model.id ? this.ranking : await this.rankActiveFile(model);
    if (!ranking) return undefined;
    const best = bestNeuronFor(ranking, feature);
    if (!best) {
      const note = ranking.features.find((f) => f.feature === feature)?.note;
      void vscode.window.showInformationMessage(
        `RNN Lab: no neuron of ${model.label} tracks “${featureName(feature)}” on ${ranking.documentName}${note ? ` (${note})` : ''}.`,
      );
    }
    return best;
  }

  /** Ranks the model's neurons against the features of the active file, saying so while it runs. */
  private async rankActiveFile(model: OverlayModel): Promise<KnownRanking | undefined> {
    const editor = activeSourceEditor();
    if (!editor) {
      void vscode.window.showInformationMessage('RNN Lab: open a source file first: the neurons are ranked by how they track its features.');
      return undefined;
    }
    const name = documentName(editor.document);
    const title = `RNN Lab: ranking the neurons of ${model.label} on ${name} to find which tracks which feature of the code…`;
    try {
      const request = { source: model.source, text: editor.document.getText(), language: editor.document.languageId, top: 5 };
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () =>
        this.engine.request('rankNeurons', request),
      );
      this.ranking = { modelId: model.id, documentName: name, features: result.features };
      return this.ranking;
    } catch (err) {
      void vscode.window.showErrorMessage(`RNN Lab: cannot rank the neurons of ${model.label}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * Shows another neuron of the overlay's model (the Neurons view calls this
   * when a neuron is chosen there); with the overlay off, starts it on `modelId`.
   */
  async showNeuron(neuron: NeuronId, modelId?: string): Promise<ActivationOverlay | undefined> {
    if (!this.current) return this.show({ ...(modelId ? { modelId } : {}), ...neuron });
    if (!hasNeuron(this.current.layout, neuron)) {
      void vscode.window.showErrorMessage(
        `RNN Lab: ${this.current.model.label} has no neuron ${neuronLabel(neuron)} (${describeLayout(this.current.layout)}).`,
      );
      return this.current;
    }
    await this.state.update(NEURON_KEY, neuronLabel(neuron));
    this.current.setNeuron(neuron);
    return this.current;
  }

  private async changeModel(current: OverlayModel): Promise<ActivationOverlay | undefined> {
    const model = await pickOverlayModel(this.registry, this.state, current);
    return model ? this.show({ modelId: model.id }) : this.current;
  }

  /** The model's layers, from opening it on an empty text; undefined (and said) when it cannot be opened. */
  private async layoutOf(model: OverlayModel): Promise<ModelLayout | undefined> {
    const probe = new OverlayDocument(this.engine, model.source, () => ({ text: '', version: 0 }));
    const outcome = await probe.sync();
    await probe.close();
    if (outcome.kind === 'ok' && probe.layout) return probe.layout;
    const message = outcome.kind === 'problem' ? outcome.message : 'the engine did not answer';
    void vscode.window.showErrorMessage(`RNN Lab: cannot show neuron activations of ${model.label}: ${message}`);
    return undefined;
  }

  dispose(): void {
    this.hide();
  }
}

function describeLayout(layout: ModelLayout): string {
  return `${layout.length} layer${layout.length === 1 ? '' : 's'} of ${layout[0]?.hidden ?? 0} units; ${layout[0]?.kinds.join(', ') ?? ''}`;
}
