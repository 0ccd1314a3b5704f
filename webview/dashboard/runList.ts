/**
 * The run headers above the charts, which double as the charts' legend: one
 * row per run with its colour, label, status, latest numbers and controls
 * (Stop for a running run, Hide for any). Workspace text goes in with
 * textContent only.
 */
import type { DashboardRun } from '../../src/protocol/dashboard';
import { natsToBits } from '../../src/core/units';
import { runColourVariable } from '../shared/theme';
import { formatNumber, tokenUnit } from './chartDefinitions';

export interface RunListActions {
  stop(runId: string): void;
  hide(runId: string): void;
}

export class RunList {
  /** Runs whose Stop was clicked, until their status changes. */
  private readonly stopping = new Set<string>();

  constructor(
    private readonly container: HTMLElement,
    private readonly actions: RunListActions,
  ) {}

  render(runs: readonly DashboardRun[], colourOf: (runId: string) => number): void {
    for (const id of this.stopping) if (!runs.some((run) => run.info.id === id && run.info.status === 'running')) this.stopping.delete(id);
    this.container.replaceChildren(...runs.map((run) => this.row(run, colourOf(run.info.id))));
  }

  private row(run: DashboardRun, colourIndex: number): HTMLElement {
    const { info } = run;
    const row = element('div', 'run');
    row.dataset.runId = info.id;
    row.dataset.status = info.status;

    const swatch = row.appendChild(element('span', 'run-swatch'));
    swatch.style.backgroundColor = runColourVariable(colourIndex);
    swatch.setAttribute('aria-hidden', 'true');

    const label = row.appendChild(element('span', 'run-label'));
    label.textContent = info.label;
    label.title = info.id;

    const badge = row.appendChild(element('vscode-badge', 'run-status'));
    badge.textContent = info.status;

    const details = row.appendChild(element('span', 'run-details'));
    details.textContent = summary(run);

    const controls = row.appendChild(element('span', 'run-controls'));
    if (info.status === 'running') {
      const stopping = this.stopping.has(info.id);
      const stop = controls.appendChild(button(stopping ? 'Stopping…' : 'Stop', 'stop-run', 'debug-stop'));
      stop.toggleAttribute('disabled', stopping);
      stop.addEventListener('click', () => {
        if (this.stopping.has(info.id)) return;
        this.stopping.add(info.id);
        stop.textContent = 'Stopping…';
        stop.toggleAttribute('disabled', true);
        this.actions.stop(info.id);
      });
    }
    const hide = controls.appendChild(button('Hide', 'hide-run', 'eye-closed'));
    hide.title = 'Remove this run from the charts';
    hide.addEventListener('click', () => this.actions.hide(info.id));

    if (info.message) {
      const message = row.appendChild(element('div', 'run-message'));
      message.textContent = info.message;
    }
    return row;
  }
}

/** "step 120/200 · 2.410 bits/char · val 2.380 · 3,500 chars/s · lstm · wasm · clipping ‖g‖ ≤ τ = 5" */
function summary({ info, steps, evals }: DashboardRun): string {
  const unit = tokenUnit([info]) === 'character' ? 'char' : 'token';
  const parts: string[] = [];
  const last = steps[steps.length - 1];
  parts.push(`step ${last ? last.step : 0}/${info.totalSteps}`);
  if (last && last.loss !== null && Number.isFinite(last.loss)) parts.push(`${natsToBits(last.loss).toFixed(3)} bits/${unit}`);
  const lastEval = evals[evals.length - 1];
  if (lastEval && lastEval.valLoss !== null && Number.isFinite(lastEval.valLoss)) parts.push(`val ${natsToBits(lastEval.valLoss).toFixed(3)}`);
  // The status bar shows the same number: the engine's speed over its last seconds, in characters for either resolution.
  if (last && last.charsPerSec !== null && Number.isFinite(last.charsPerSec)) parts.push(`${formatNumber(Math.round(last.charsPerSec))} chars/s`);
  parts.push(info.cell, info.backend);
  const threshold = formatNumber(info.clipValue);
  parts.push(
    info.clipMode === 'norm' ? `clipping ‖g‖ ≤ τ = ${threshold}` : info.clipMode === 'value' ? `clipping each gradient to ±${threshold}` : 'no clipping',
  );
  return parts.join(' · ');
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}

function button(text: string, className: string, icon: string): HTMLElement {
  const el = element('vscode-button', className);
  el.setAttribute('secondary', '');
  // vscode-elements draws icons with the codicon font, which the page links only when the host passes it.
  if (document.getElementById('vscode-codicon-stylesheet')) el.setAttribute('icon', icon);
  el.textContent = text;
  return el;
}
