import * as vscode from 'vscode';
import type { NeuronId } from '../../protocol/activations';
import type { FeatureChoice } from './featureChoices';
import { KIND_NAMES, neuronLabel, neuronPickEntries, type ModelLayout } from './neuronLabels';

export type NeuronPick = { kind: 'neuron'; neuron: NeuronId } | { kind: 'feature'; feature: string } | { kind: 'changeModel' };

export interface NeuronPickerOptions {
  layout: ModelLayout;
  /** Ranked neurons, "c1[37]" → the feature each tracks best. */
  hints: ReadonlyMap<string, string>;
  current: NeuronId | undefined;
  modelLabel: string;
  /** Every ranked feature, with its best neuron when a ranking is known. */
  features: readonly FeatureChoice[];
  /** The text a ranking was (or will be) measured on, e.g. "greeter.ts". */
  rankedOn: string | undefined;
  ranked: boolean;
}

type Item = vscode.QuickPickItem & { pick?: NeuronPick };

/**
 * QuickPick of a neuron: first by the feature of the code it tracks ("in a
 * string": its best neuron, ranking the file first when no ranking is known),
 * then the ranked neurons, then every neuron of the model ("c1[37]"), and a
 * first row to change the model. Resolves undefined when dismissed.
 */
export function pickNeuron(options: NeuronPickerOptions): Promise<NeuronPick | undefined> {
  const items: Item[] = [{ label: '$(arrow-swap) Change model…', description: options.modelLabel, pick: { kind: 'changeModel' } }];
  items.push(...featureItems(options));
  let active: Item | undefined;
  for (const e of neuronPickEntries(options.layout, options.hints, options.current)) {
    if (e.separator) {
      items.push({ label: e.separator, kind: vscode.QuickPickItemKind.Separator });
      continue;
    }
    const n = e.neuron!;
    const item: Item = {
      label: e.label,
      description: `${e.current ? '$(eye) shown · ' : ''}${e.description ?? KIND_NAMES[n.kind]}`,
      pick: { kind: 'neuron', neuron: n },
    };
    if (e.current && !active) active = item;
    items.push(item);
  }
  const quickPick = vscode.window.createQuickPick<Item>();
  quickPick.title = 'RNN Lab: Choose Neuron';
  quickPick.placeholder = 'Type a feature of the code (string, comment, indentation, …) or a neuron (c1[37])';
  quickPick.matchOnDescription = true;
  quickPick.items = items;
  if (active) quickPick.activeItems = [active];
  return new Promise((resolve) => {
    let result: NeuronPick | undefined;
    quickPick.onDidAccept(() => {
      result = quickPick.selectedItems[0]?.pick;
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      quickPick.dispose();
      resolve(result);
    });
    quickPick.show();
  });
}

/** "By the feature it tracks": one row per feature, saying which neuron (or that choosing it ranks the file first). */
function featureItems({ features, rankedOn, ranked }: NeuronPickerOptions): Item[] {
  const where = rankedOn ? ` on ${rankedOn}` : '';
  const title = ranked
    ? `By the feature of the code it tracks (ranked${where})`
    : `By the feature of the code it tracks (choosing one ranks the neurons${where})`;
  const rows = features.map((f): Item => ({
    label: `$(symbol-field) ${f.name}`,
    description: f.best ? `${neuronLabel(f.best)} · ${f.measure}` : (f.note ?? (ranked ? 'no neuron' : 'rank the neurons first')),
    pick: { kind: 'feature', feature: f.feature },
  }));
  return [{ label: title, kind: vscode.QuickPickItemKind.Separator }, ...rows];
}
