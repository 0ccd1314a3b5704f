import * as vscode from 'vscode';
import type { NeuronId } from '../../protocol/activations';
import { KIND_NAMES, neuronPickEntries, type ModelLayout } from './neuronLabels';

export type NeuronPick = { kind: 'neuron'; neuron: NeuronId } | { kind: 'changeModel' };

/**
 * QuickPick of every neuron of the model ("layer:kind:unit"), those a ranking
 * names first with the feature they track (searchable: type "string"), and a
 * first row to change the model. Resolves undefined when dismissed.
 */
export function pickNeuron(
  layout: ModelLayout,
  hints: ReadonlyMap<string, string>,
  current: NeuronId | undefined,
  modelLabel: string,
): Promise<NeuronPick | undefined> {
  type Item = vscode.QuickPickItem & { pick?: NeuronPick };
  const items: Item[] = [{ label: '$(arrow-swap) Change model…', description: modelLabel, pick: { kind: 'changeModel' } }];
  let active: Item | undefined;
  for (const e of neuronPickEntries(layout, hints, current)) {
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
  quickPick.placeholder = 'Type layer:kind:unit (e.g. 1:c:37) or a feature (e.g. string, comment, indentation)';
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
