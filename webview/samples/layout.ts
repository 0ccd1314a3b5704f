/**
 * The Samples view's controls, built with DOM calls (the page's HTML is empty
 * and no text is ever parsed as markup). Laid out for a side bar 250–500 px
 * wide; wider (the view dragged to the panel), continuations sit side by side.
 */
import { MAX_GENERATE_COUNT, MAX_GENERATE_LENGTH } from '../../src/protocol/samples';

type Tags = HTMLElementTagNameMap;

export interface SamplesLayout {
  model: Tags['vscode-single-select'];
  modelDetail: HTMLElement;
  browse: Tags['vscode-button'];
  prime: Tags['vscode-textarea'];
  useSelection: Tags['vscode-button'];
  temperature: HTMLInputElement;
  temperatureValue: HTMLOutputElement;
  length: Tags['vscode-textfield'];
  topK: Tags['vscode-textfield'];
  seed: Tags['vscode-textfield'];
  count: Tags['vscode-textfield'];
  int8: Tags['vscode-checkbox'];
  generate: Tags['vscode-button'];
  stop: Tags['vscode-button'];
  /** Holds one block per continuation (output.ts). */
  outputs: HTMLElement;
  status: HTMLElement;
}

export const TEMPERATURE = { min: 0, max: 2, step: 0.05 } as const;

export function buildLayout(root: HTMLElement): SamplesLayout {
  const main = root.appendChild(element('main', 'samples'));
  return { ...modelPart(main), ...primePart(main), ...settingsPart(main), ...runPart(main), ...outputPart(main) };
}

function modelPart(main: HTMLElement): Pick<SamplesLayout, 'model' | 'modelDetail' | 'browse'> {
  const modelField = main.appendChild(field('Model', 'model'));
  const modelRow = modelField.appendChild(element('div', 'model-row'));
  const model = modelRow.appendChild(element('vscode-single-select', 'model'));
  model.id = 'model';
  model.setAttribute('aria-label', 'Model');
  const browse = modelRow.appendChild(iconButton('Browse for an .onnx file…', 'browse', 'folder-opened'));
  const modelDetail = modelField.appendChild(element('div', 'model-detail'));
  return { model, modelDetail, browse };
}

function primePart(main: HTMLElement): Pick<SamplesLayout, 'prime' | 'useSelection'> {
  const primeField = main.appendChild(field('Prime text', 'prime'));
  const useSelection = primeField.querySelector('.field-header')!.appendChild(button('Use Selection', 'use-selection', 'selection', true));
  useSelection.title = 'Use the editor selection as the prime';
  const prime = primeField.appendChild(element('vscode-textarea', 'prime'));
  prime.id = 'prime';
  prime.rows = 3;
  prime.monospace = true;
  prime.resize = 'vertical';
  prime.placeholder = 'Text the model reads first (empty: it starts after a newline)';
  return { prime, useSelection };
}

function settingsPart(main: HTMLElement): Pick<SamplesLayout, 'temperature' | 'temperatureValue' | 'length' | 'topK' | 'seed' | 'count' | 'int8'> {
  const temperatureField = main.appendChild(field('Temperature', 'temperature'));
  const temperatureValue = temperatureField.querySelector('.field-header')!.appendChild(element('output', 'temperature-value'));
  const temperature = temperatureField.appendChild(element('input', 'temperature'));
  temperature.id = 'temperature';
  temperature.type = 'range';
  temperature.min = String(TEMPERATURE.min);
  temperature.max = String(TEMPERATURE.max);
  temperature.step = String(TEMPERATURE.step);
  temperatureValue.htmlFor.add('temperature');

  const numbers = main.appendChild(element('div', 'numbers'));
  const textfield = (node: HTMLElement) => node.querySelector('vscode-textfield')!;
  const length = textfield(numbers.appendChild(numberField('Length', 'length', 'Tokens to generate', 1, MAX_GENERATE_LENGTH)));
  const topK = textfield(numbers.appendChild(numberField('Top-k', 'top-k', 'Sample only from the k most likely tokens (0: all)', 0)));
  const seed = textfield(numbers.appendChild(numberField('Seed', 'seed', 'The same seed and settings give the same text', 0)));
  const countHint = `Continuations of the prime generated together, ${MAX_GENERATE_COUNT} at most; continuation i uses seed + i`;
  const count = textfield(numbers.appendChild(numberField('Count', 'count', countHint, 1, MAX_GENERATE_COUNT)));
  const int8 = main.appendChild(element('vscode-checkbox', 'int8'));
  int8.label = 'Quantized to int8 (faster)';
  int8.title = 'Run the model with int8 weights, quantized in memory: faster on a CPU, slightly less accurate';
  return { temperature, temperatureValue, length, topK, seed, count, int8 };
}

function runPart(main: HTMLElement): Pick<SamplesLayout, 'generate' | 'stop'> {
  const run = main.appendChild(element('div', 'actions run-actions'));
  const generate = run.appendChild(button('Generate', 'generate', 'play', false));
  generate.title = 'Generate (Ctrl+Enter)';
  const stop = run.appendChild(button('Stop', 'stop', 'debug-stop', true));
  return { generate, stop };
}

function outputPart(main: HTMLElement): Pick<SamplesLayout, 'outputs' | 'status'> {
  const outputField = main.appendChild(field('Output'));
  const outputs = outputField.appendChild(element('div', 'outputs'));
  const status = outputField.appendChild(element('div', 'status'));
  status.setAttribute('role', 'status');
  return { outputs, status };
}

export function element<K extends keyof Tags>(tag: K, className: string): Tags[K] {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}

/** A labelled block: a header line (label, and room for controls on the right), then the control. */
function field(label: string, forId?: string): HTMLElement {
  const block = element('div', `field field-${forId ?? label.toLowerCase()}`);
  const header = block.appendChild(element('div', 'field-header'));
  const text = header.appendChild(forId ? element('label', 'field-label') : element('span', 'field-label'));
  text.textContent = label;
  if (text instanceof HTMLLabelElement && forId) text.htmlFor = forId;
  return block;
}

function numberField(label: string, id: string, hint: string, min: number, max?: number): HTMLElement {
  const block = field(label, id);
  block.title = hint;
  const input = block.appendChild(element('vscode-textfield', id));
  input.id = id;
  input.type = 'number';
  input.min = min;
  if (max !== undefined) input.max = max;
  input.step = 1;
  input.setAttribute('aria-label', `${label}: ${hint}`);
  return block;
}

/** A secondary button showing only its icon; its name is the tooltip and the accessible name. */
export function iconButton(name: string, className: string, icon: string): Tags['vscode-button'] {
  const el = button('', className, icon, true);
  el.title = name;
  el.setAttribute('aria-label', name);
  if (el.icon) el.iconOnly = true;
  else el.textContent = name; // no icon font: fall back to words
  return el;
}

function button(text: string, className: string, icon: string, secondary: boolean): Tags['vscode-button'] {
  const el = element('vscode-button', className);
  if (secondary) el.secondary = true;
  // vscode-elements draws icons with the codicon font, which the page links only when the host passes it.
  if (document.getElementById('vscode-codicon-stylesheet')) el.icon = icon;
  el.textContent = text;
  return el;
}
