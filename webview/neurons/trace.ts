/**
 * One neuron's value at every character, as the text coloured character by
 * character (Karpathy et al. 2015): a span per character, its colour one of a
 * fixed set of stylesheet classes (a diverging palette from the theme's
 * colours), the text set with textContent only.
 */
import { MAX_TRACE_CHARACTERS } from '../../src/protocol/neurons';
import type { NeuronsTrace } from '../../src/protocol/neuronsView';
import { count, describeNeuron } from './format';
import { BUCKET_STEPS, bucketClass, traceCells } from './traceCells';

export function renderTrace(container: HTMLElement, trace: NeuronsTrace): void {
  const heading = document.createElement('p');
  heading.className = 'trace-neuron';
  const label = heading.appendChild(document.createElement('strong'));
  label.textContent = trace.neuron.label;
  heading.append(` — ${describeNeuron(trace.neuron)}`);

  const legend = document.createElement('div');
  legend.className = 'trace-legend';
  legend.setAttribute('aria-label', 'Colour scale');
  const low = legend.appendChild(document.createElement('span'));
  low.textContent = (trace.centre - trace.half).toFixed(2);
  for (let b = -BUCKET_STEPS; b <= BUCKET_STEPS; b++) {
    const swatch = legend.appendChild(document.createElement('span'));
    swatch.className = `swatch ${bucketClass(b)}`;
  }
  const high = legend.appendChild(document.createElement('span'));
  high.textContent = (trace.centre + trace.half).toFixed(2);
  if (trace.highlights.length > 0) {
    const key = legend.appendChild(document.createElement('span'));
    key.className = 'legend-key';
    const sel = key.appendChild(document.createElement('span'));
    sel.className = 'hl-selection';
    sel.textContent = 'selection';
    key.append(' ');
    const match = key.appendChild(document.createElement('span'));
    match.className = 'hl-match';
    match.textContent = 'match';
  }

  const pre = document.createElement('pre');
  pre.className = 'code-block trace-text';
  const fragment = document.createDocumentFragment();
  for (const cell of traceCells(trace.text, trace.values, trace, trace.highlights)) {
    if (cell.text === '\n' || cell.text === '\r') {
      fragment.append(cell.text);
      continue;
    }
    const span = document.createElement('span');
    span.className = cell.highlight ? `${bucketClass(cell.bucket)} hl-${cell.highlight}` : bucketClass(cell.bucket);
    span.textContent = cell.text;
    span.title = cell.value.toFixed(3);
    fragment.appendChild(span);
  }
  pre.appendChild(fragment);
  pre.dataset.characters = String(trace.values.length);

  const parts: HTMLElement[] = [heading, legend, pre];
  if (trace.characters < trace.totalCharacters) {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent =
      `Coloured: ${count(trace.characters)} of the document's ${count(trace.totalCharacters)} characters ` + `(at most ${count(MAX_TRACE_CHARACTERS)}).`;
    parts.push(note);
  }
  container.replaceChildren(...parts);
}

export function renderTraceHint(container: HTMLElement, text: string): void {
  const p = document.createElement('p');
  p.className = 'note';
  p.textContent = text;
  container.replaceChildren(p);
}
