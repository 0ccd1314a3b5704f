/** LSTMVis select-and-match results: the neurons that set the selection apart, and where they fire together elsewhere. */
import type { NeuronId } from '../../src/protocol/activations';
import { sameNeuron, type NeuronsSelection, type NeuronsSpan } from '../../src/protocol/neuronsView';
import { count, describeNeuron, neuronIdOf, signed } from './format';

export interface SelectionActions {
  choose(n: NeuronId): void;
  reveal(span: { start: number; end: number }): void;
}

export function renderSelection(container: HTMLElement, selection: NeuronsSelection, chosen: NeuronId | undefined, actions: SelectionActions): void {
  const parts: HTMLElement[] = [];
  const selected = document.createElement('p');
  selected.className = 'selected';
  selected.append('Selected ');
  selected.appendChild(spanLink(selection.selected, actions, 'selected-span'));
  parts.push(selected);

  const neuronsHeading = document.createElement('h3');
  neuronsHeading.textContent = 'Neurons that differ most inside the selection';
  parts.push(neuronsHeading);
  if (selection.neurons.length === 0) {
    parts.push(note('No neuron sets the selection apart (is it the whole text?).'));
  } else {
    const list = document.createElement('div');
    list.className = 'selected-neurons';
    for (const n of selection.neurons) {
      const button = list.appendChild(document.createElement('button'));
      button.type = 'button';
      button.className = `neuron ${n.effect > 0 ? 'positive' : 'negative'}`;
      button.dataset.neuron = n.label;
      button.title = `${describeNeuron(n)}: mean ${n.inside.toFixed(3)} inside the selection, ${n.outside.toFixed(3)} outside`;
      button.setAttribute('aria-pressed', String(sameNeuron(n, chosen)));
      button.style.setProperty('--strength', String(Math.min(1, Math.abs(n.effect) / 3)));
      const label = button.appendChild(document.createElement('span'));
      label.className = 'neuron-label';
      label.textContent = n.label;
      const score = button.appendChild(document.createElement('span'));
      score.className = 'neuron-score';
      score.textContent = `${signed(n.effect, 2)} σ`;
      button.addEventListener('click', () => actions.choose(neuronIdOf(n)));
    }
    parts.push(list);
  }

  const matchesHeading = document.createElement('h3');
  matchesHeading.textContent = `Where they fire together${selection.matches.length ? ` (${count(selection.matches.length)})` : ''}`;
  parts.push(matchesHeading);
  if (selection.matches.length === 0) {
    parts.push(note('Nowhere else in the text.'));
  } else {
    const list = document.createElement('ol');
    list.className = 'matches';
    for (const m of selection.matches) {
      const item = list.appendChild(document.createElement('li'));
      item.appendChild(spanLink(m, actions, 'match'));
      const score = item.appendChild(document.createElement('span'));
      score.className = 'match-score';
      score.textContent = `score ${m.score.toFixed(2)}`;
      score.title = `${Math.round(m.firing * 100)}% of the neurons fire over the span, times its length's likeness to the selection's`;
    }
    parts.push(list);
  }
  if (selection.subject.characters < selection.subject.totalCharacters) {
    parts.push(
      note(
        `Matched within ${count(selection.subject.characters)} of the document's ${count(selection.subject.totalCharacters)} characters, around the selection.`,
      ),
    );
  }
  container.replaceChildren(...parts);
}

/** A clickable "line 9:11 “hey there”" that reveals the span in the editor. */
function spanLink(span: NeuronsSpan, actions: SelectionActions, className: string): HTMLElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `span-link ${className}`;
  button.dataset.start = String(span.start);
  button.dataset.end = String(span.end);
  button.title = 'Show in the editor';
  const where = button.appendChild(document.createElement('span'));
  where.className = 'span-where';
  where.textContent = `${span.line + 1}:${span.character + 1}`;
  const text = button.appendChild(document.createElement('code'));
  text.className = 'span-preview';
  text.textContent = span.preview;
  button.addEventListener('click', () => actions.reveal({ start: span.start, end: span.end }));
  return button;
}

function note(text: string): HTMLElement {
  const p = document.createElement('p');
  p.className = 'note';
  p.textContent = text;
  return p;
}
