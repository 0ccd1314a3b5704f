/**
 * The Neurons view (docs/architecture.md, "Looking inside"): the features × top-neurons
 * ranking, the selection match, gate saturation, and the text coloured by the
 * chosen neuron. It renders what the host sends; choosing a neuron or a span
 * is posted to the host, which computes the trace and moves the editor.
 */
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import './neurons.css';
import type { NeuronId } from '../../src/protocol/activations';
import { neuronLabel } from '../../src/core/neurons/neuronColumns';
import {
  parseHostToNeuronsMessage,
  parseNeuronsState,
  type HostToNeurons,
  type NeuronsRanking,
  type NeuronsSelection,
  type NeuronsStatus,
  type NeuronsSubject,
  type NeuronsToHost,
  type NeuronsTrace,
  type NeuronsWebviewState,
} from '../../src/protocol/neuronsView';
import { onThemeChange, readThemeColours } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';
import { markChosen, renderFeatureTable } from './featureTable';
import { count, neuronIdOf } from './format';
import { GatePlots } from './gatePlots';
import { buildLayout, showSection } from './layout';
import { renderSelection } from './selectionView';
import { renderTrace, renderTraceHint } from './trace';

const api = vscodeApi<NeuronsToHost>();
// Saved by this or an older version of the view: validated, not trusted.
let state: NeuronsWebviewState = parseNeuronsState(api.getState());
const ui = buildLayout(document.body);
const gatePlots = new GatePlots(ui.gates, readThemeColours());
let hasTrace = false;

showRanking(state.ranking ?? null);
showSelection(state.selection ?? null);
showTrace(null);
onThemeChange(() => gatePlots.setTheme(readThemeColours()));

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostToNeuronsMessage(event.data);
  if (message) handle(message);
});

api.postMessage({ type: 'ready' });

function handle(message: HostToNeurons): void {
  switch (message.type) {
    case 'ranking':
      save({ ranking: message.ranking ?? undefined });
      showRanking(message.ranking);
      return;
    case 'selection':
      save({ selection: message.selection ?? undefined });
      showSelection(message.selection);
      return;
    case 'trace':
      if (message.trace) save({ chosen: neuronIdOf(message.trace.neuron) });
      showTrace(message.trace);
      return;
    case 'status':
      showStatus(message.status);
      return;
  }
}

function choose(neuron: NeuronId): void {
  save({ chosen: neuron });
  markChosen(document.body, neuronLabel(neuron));
  api.postMessage({ type: 'chooseNeuron', ...neuronIdOf(neuron) });
}

function reveal(span: { start: number; end: number }): void {
  api.postMessage({ type: 'revealSpan', start: span.start, end: span.end });
}

function showRanking(ranking: NeuronsRanking | null): void {
  showSection(ui.features, ranking !== null);
  showSection(ui.gates, ranking !== null);
  if (ranking) {
    renderFeatureTable(ui.features, ranking, state.chosen, choose);
    const note = ui.features.appendChild(document.createElement('p'));
    note.className = 'note';
    const parser = ranking.parser === 'fallback' ? 'a small lexer' : `the ${ranking.parser} grammar`;
    note.textContent =
      'Binary features rank by ROC AUC (near 1 or 0 separates them; 0.5 is chance), scalar ones by Pearson r. ' +
      `Features from ${parser}. h is a hidden state, c a cell state; kind, layer and unit as in c0[16].`;
    gatePlots.show(ranking.gates);
  } else {
    ui.features.replaceChildren();
    ui.gates.replaceChildren();
  }
  showFrame();
}

function showSelection(selection: NeuronsSelection | null): void {
  showSection(ui.selection, selection !== null);
  if (selection) renderSelection(ui.selection, selection, state.chosen, { choose, reveal });
  else ui.selection.replaceChildren();
  showFrame();
}

function showTrace(trace: NeuronsTrace | null): void {
  hasTrace = trace !== null;
  if (trace) {
    renderTrace(ui.trace, trace);
    markChosen(document.body, trace.neuron.label);
  } else {
    renderTraceHint(ui.trace, 'Choose a neuron to colour the text by its value at each character.');
  }
  showFrame();
}

/** The subject line, the empty-view note and the trace section follow what is shown. */
function showFrame(): void {
  const subject: NeuronsSubject | undefined = state.selection?.subject ?? state.ranking?.subject;
  ui.subject.textContent = subject
    ? `${subject.document} · ${subject.model} · ${count(subject.characters)}` +
      `${subject.characters < subject.totalCharacters ? ` of ${count(subject.totalCharacters)}` : ''} characters`
    : '';
  const anything = hasTrace || subject !== undefined;
  ui.empty.hidden = anything;
  showSection(ui.trace, anything);
}

function showStatus(status: NeuronsStatus): void {
  ui.status.hidden = status.kind === 'idle';
  ui.status.classList.toggle('error', status.kind === 'error');
  ui.status.classList.toggle('busy', status.kind === 'busy');
  ui.status.textContent = status.kind === 'idle' ? '' : status.message;
}

function save(change: Partial<NeuronsWebviewState>): void {
  state = { ...state, ...change };
  for (const key of Object.keys(state) as (keyof NeuronsWebviewState)[]) if (state[key] === undefined) delete state[key];
  api.setState(state);
}
