import * as vscode from 'vscode';
import type { NeuronId } from '../../protocol/activations';
import type { EngineClient } from '../engine/engineClient';
import type { RunRegistry } from '../runs/runRegistry';
import { ActivationOverlay } from './activationOverlay';
import { defaultNeuron, hasNeuron, neuronLabel, parseNeuronLabel, toHintMap, type ModelLayout } from './neuronLabels';
import { pickNeuron } from './neuronPicker';
import { OverlayDocument } from './overlayDocument';
import { defaultOverlayModel, modelFromId, pickOverlayModel, type OverlayModel } from './overlayModel';
import { neuronFromArgs, parseNeuronArg, parseShowActivationsArgs } from './showArgs';

/** Said when the workspace is not trusted: the overlay loads a model file. */
export const OVERLAY_RESTRICTED_MESSAGE = 'RNN Lab does not load model files in Restricted Mode. Trust the workspace to show neuron activations.';
/** workspaceState key: the neuron last shown, "layer:kind:unit". */
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
  private hints = new Map<string, string>();

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

  /**
   * What a neuron ranking found, "layer:kind:unit" → the feature it tracks best
   * (e.g. "in string · AUC 0.97"): the picker lists these first and finds them
   * by feature.
   */
  setNeuronHints(hints: ReadonlyMap<string, string> | Readonly<Record<string, string>>): void {
    this.hints = toHintMap(hints);
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
    let neuron = neuronFromArgs(given, fallback ?? defaultNeuron(layout, this.hints));
    if (neuron && !hasNeuron(layout, neuron)) {
      void vscode.window.showErrorMessage(`RNN Lab: ${model.label} has no neuron ${neuronLabel(neuron)} (${describeLayout(layout)}).`);
      return undefined;
    }
    if (!neuron && !fallback) {
      const picked = await pickNeuron(layout, this.hints, undefined, model.label);
      if (picked?.kind === 'changeModel') return this.changeModel(model);
      neuron = picked?.neuron;
    }
    neuron ??= fallback ?? defaultNeuron(layout, this.hints);
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
   * `Choose Neuron…`: with a neuron ("1:c:37" or { layer, kind, unit }, as the
   * Neurons view sends) shows it, starting the overlay if needed; without,
   * asks.
   */
  async chooseNeuron(arg?: unknown): Promise<ActivationOverlay | undefined> {
    const given = parseNeuronArg(arg);
    if (given) return this.show({ ...(this.current ? { modelId: this.current.model.id } : {}), ...given });
    if (!this.current) return this.show();
    const overlay = this.current;
    const picked = await pickNeuron(overlay.layout, this.hints, overlay.neuron, overlay.model.label);
    if (!picked || this.current !== overlay) return this.current;
    if (picked.kind === 'changeModel') return this.changeModel(overlay.model);
    return this.showNeuron(picked.neuron);
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
