/**
 * The Samples view (README, "In VS Code"): choose a model, a prime
 * and settings, Generate; the host runs the generation in the engine and
 * streams the text back (`started`, `text`, `done` or `error`).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '../shared/base.css';
import './samples.css';
import { DEFAULT_GENERATION, parseHostToSamplesMessage, type HostToSamples, type SampleModelChoice, type SamplesToHost } from '../../src/protocol/samples';
import { vscodeApi } from '../shared/vscodeApi';
import { buildLayout } from './layout';
import { SampleOutputs, type OutputAction } from './output';
import { fillForm, readDraft, readSettings, showTemperature } from './settingsForm';
import { SamplesState } from './state';

const api = vscodeApi<SamplesToHost>();
const state = new SamplesState(api);
const ui = buildLayout(document.body);
const output = new SampleOutputs(ui.outputs, ui.status, act);
let models: SampleModelChoice[] = [];
/**
 * The chosen model. Kept here because vscode-single-select applies a value set
 * right after its options were replaced only when it has processed them.
 */
let modelId: string | undefined = state.value.settings.modelId;
/** The generation whose text is shown; text for any other is ignored. */
let shownRequestId = state.value.requestId;
/** idle → starting (asked the host) → running (host said `started`) → idle (done or error). */
let phase: 'idle' | 'starting' | 'running' | 'stopping' = 'idle';

fillForm(ui, state.value.settings);
output.show(state.value.shownPrime ?? '', state.value.texts, state.value.shownSeed ?? DEFAULT_GENERATION.seed);
if (state.value.status) output.setStatus(state.value.status.text, state.value.status.error);
renderModels(undefined);

for (const control of [ui.prime, ui.length, ui.topK, ui.seed, ui.count, ui.temperature, ui.int8]) {
  control.addEventListener('input', saveDraft);
  control.addEventListener('change', saveDraft);
}
ui.model.addEventListener('change', () => {
  modelId = ui.model.value;
  saveDraft();
  showModelDetail();
  updateButtons();
});
ui.temperature.addEventListener('input', () => showTemperature(ui));
ui.browse.addEventListener('click', () => api.postMessage({ type: 'browseOnnx' }));
ui.useSelection.addEventListener('click', () => api.postMessage({ type: 'primeFromSelection' }));
ui.generate.addEventListener('click', generate);
ui.stop.addEventListener('click', () => {
  if (phase !== 'starting' && phase !== 'running') return;
  phase = 'stopping';
  updateButtons();
  api.postMessage({ type: 'stop' });
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    generate();
  }
});
// The host then offers the editor selection as the prime, if it changed since it last did.
window.addEventListener('focus', () => api.postMessage({ type: 'viewFocused' }));

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostToSamplesMessage(event.data);
  if (message) handle(message);
});

api.postMessage({ type: 'ready' });

function handle(message: HostToSamples): void {
  switch (message.type) {
    case 'models':
      models = message.models;
      renderModels(message.selected);
      return;
    case 'prime':
      ui.prime.value = message.text;
      saveDraft();
      return;
    case 'started': {
      // A generation the view has not shown yet (e.g. started by the command): show its settings too.
      // The same one again means the page reloaded while it ran: the controls keep any later edits.
      if (message.requestId !== shownRequestId) {
        fillForm(ui, message.settings);
        selectModel(message.settings.modelId);
        saveDraft();
      }
      shownRequestId = message.requestId;
      if (phase !== 'stopping') phase = 'running';
      const { prime, count, seed } = message.settings;
      const texts = new Array<string>(count).fill('');
      output.show(prime, texts, seed);
      output.setStatus(count > 1 ? `Generating ${count} continuations…` : 'Generating…');
      state.updateOutput({ requestId: message.requestId, shownPrime: prime, shownSeed: seed, texts, status: undefined });
      updateButtons();
      return;
    }
    case 'text': {
      if (message.requestId !== shownRequestId) return;
      output.append(message.texts);
      state.appendTexts(message.texts);
      updateButtons();
      return;
    }
    case 'done': {
      if (message.requestId !== shownRequestId) return;
      output.flush();
      phase = 'idle';
      const text = doneStatus(message);
      output.setStatus(text);
      state.updateOutput({ status: { text, error: false } });
      updateButtons();
      return;
    }
    case 'error':
      output.flush();
      phase = 'idle';
      output.setStatus(message.message, true);
      state.updateOutput({ status: { text: message.message, error: true } });
      updateButtons();
      return;
  }
}

/** "500 tokens · 10,413 chars/s", with the continuations, int8 and a stop when they apply. */
function doneStatus(message: Extract<HostToSamples, { type: 'done' }>): string {
  const parts = [`${message.tokens.toLocaleString('en-US')} tokens`];
  if (output.count > 1) parts.push(`${output.count} continuations`);
  parts.push(`${Math.round(message.charsPerSec).toLocaleString('en-US')} chars/s`);
  if (message.precision === 'int8') parts.push('int8');
  if (message.stopped) parts.push('stopped');
  return parts.join(' · ');
}

/** A continuation's Insert (what the model wrote: the prime usually came from the selection right before the cursor), Open or Copy (with the prime). */
function act(action: OutputAction, index: number): void {
  const text = action === 'insert' ? output.textOf(index) : output.fullTextOf(index);
  if (!text) return;
  api.postMessage(action === 'insert' ? { type: 'insertAtCursor', text } : action === 'open' ? { type: 'openInEditor', text } : { type: 'copy', text });
}

function generate(): void {
  if (phase !== 'idle') return;
  const settings = readSettings(ui, modelId);
  if (typeof settings === 'string') {
    output.setStatus(settings, true);
    return;
  }
  state.updateSettings(settings);
  phase = 'starting';
  updateButtons();
  api.postMessage({ type: 'generate', ...settings });
}

function saveDraft(): void {
  state.updateSettings(readDraft(ui, modelId));
}

function renderModels(selected: string | undefined): void {
  const chosen = offered(selected) ?? offered(modelId) ?? models[0]?.id;
  const options = models.map((m) => {
    const option = document.createElement('vscode-option');
    option.value = m.id;
    option.textContent = m.label;
    option.description = m.detail;
    option.selected = m.id === chosen;
    return option;
  });
  if (options.length === 0) {
    const none = document.createElement('vscode-option');
    none.value = '';
    none.textContent = 'No models yet';
    none.disabled = true;
    options.push(none);
  }
  ui.model.replaceChildren(...options);
  ui.model.disabled = models.length === 0;
  // With no models, the saved choice stays saved: the list may just not have arrived yet.
  if (chosen) selectModel(chosen);
  else showModelDetail();
  updateButtons();
}

/** `id` if it is in the list of models. */
function offered(id: string | undefined): string | undefined {
  return id !== undefined && models.some((m) => m.id === id) ? id : undefined;
}

function selectModel(id: string): void {
  if (!offered(id)) return;
  modelId = id;
  ui.model.value = id;
  showModelDetail();
  saveDraft();
  updateButtons();
}

function showModelDetail(): void {
  const chosen = models.find((m) => m.id === modelId);
  ui.modelDetail.textContent = chosen ? chosen.detail : 'Train a model (RNN Lab: Train Model…) or browse for an .onnx file exported by RNN Lab.';
  ui.modelDetail.classList.toggle('hint', !chosen);
}

function updateButtons(): void {
  ui.generate.disabled = phase !== 'idle' || !offered(modelId);
  ui.stop.disabled = phase !== 'starting' && phase !== 'running';
  output.updateButtons();
}
