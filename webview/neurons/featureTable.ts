/** Features × their top neurons: one row per feature, a button per neuron that chooses it. */
import type { NeuronId } from '../../src/protocol/activations';
import { sameNeuron, type NeuronsRanking } from '../../src/protocol/neuronsView';
import { featureName, neuronIdOf, scoreHint, scoreText } from './format';

export function renderFeatureTable(container: HTMLElement, ranking: NeuronsRanking, chosen: NeuronId | undefined, choose: (n: NeuronId) => void): void {
  const columns = Math.max(1, ...ranking.features.map((f) => f.top.length));
  const table = document.createElement('table');
  table.className = 'feature-table';
  const head = table.createTHead().insertRow();
  const th = (text: string) => {
    const cell = document.createElement('th');
    cell.scope = 'col';
    cell.textContent = text;
    head.appendChild(cell);
  };
  th('Feature');
  for (let k = 1; k <= columns; k++) th(`#${k}`);
  const body = table.createTBody();
  for (const feature of ranking.features) {
    const row = body.insertRow();
    row.dataset.feature = feature.feature;
    const name = document.createElement('th');
    name.scope = 'row';
    const label = name.appendChild(document.createElement('span'));
    label.className = 'feature-name';
    label.textContent = featureName(feature.feature);
    const detail = name.appendChild(document.createElement('span'));
    detail.className = 'feature-detail';
    detail.textContent = feature.kind === 'binary' ? `AUC · ${feature.positives ?? 0} chars` : 'Pearson r';
    row.appendChild(name);
    if (feature.top.length === 0) {
      const cell = row.insertCell();
      cell.colSpan = columns;
      cell.className = 'feature-note';
      cell.textContent = feature.note ?? 'no neuron varies';
      continue;
    }
    for (let k = 0; k < columns; k++) {
      const cell = row.insertCell();
      const n = feature.top[k];
      if (!n) continue;
      const button = cell.appendChild(document.createElement('button'));
      button.type = 'button';
      button.className = `neuron ${n.sign > 0 ? 'positive' : 'negative'}`;
      button.dataset.neuron = n.label;
      button.title = scoreHint(n, feature.kind, feature.feature);
      button.setAttribute('aria-pressed', String(sameNeuron(n, chosen)));
      // Strength as a bar under the label: 0.5 (chance) is empty, 1 is full.
      button.style.setProperty('--strength', String(Math.max(0, Math.min(1, feature.kind === 'binary' ? (n.score - 0.5) * 2 : n.score))));
      const labelText = button.appendChild(document.createElement('span'));
      labelText.className = 'neuron-label';
      labelText.textContent = n.label;
      const score = button.appendChild(document.createElement('span'));
      score.className = 'neuron-score';
      score.textContent = scoreText(n, feature.kind);
      button.addEventListener('click', () => choose(neuronIdOf(n)));
    }
  }
  // A narrow panel scrolls the table sideways rather than squeezing its buttons.
  const scroller = document.createElement('div');
  scroller.className = 'table-scroll';
  scroller.appendChild(table);
  container.replaceChildren(scroller);
}

/** Marks the chosen neuron's buttons (in every section) without rebuilding them. */
export function markChosen(root: HTMLElement, label: string | undefined): void {
  for (const button of root.querySelectorAll<HTMLElement>('button.neuron')) button.setAttribute('aria-pressed', String(button.dataset.neuron === label));
}
