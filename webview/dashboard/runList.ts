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
import { parseExtraSteps, suggestedExtraSteps } from '../../src/core/extraSteps';

export interface RunListActions {
  stop(runId: string): void;
  hide(runId: string): void;
  /** Resume a stopped or failed run, or train a finished one further, by `extraSteps` steps. */
  resume(runId: string, extraSteps: number): void;
}

/** The status badge's words: a stopped run is resumable, not "cancelled". */
const STATUS_WORDS: Record<string, string> = { running: 'running', completed: 'completed', cancelled: 'stopped', failed: 'failed' };

export class RunList {
  /** Runs whose Stop was clicked, until their status changes. */
  private readonly stopping = new Set<string>();
  /** Runs whose Resume / Train More form is open, with the text typed so far (rows are redrawn as records arrive). */
  private readonly resumeForms = new Map<string, string>();
  /** Runs whose resume was asked for, until the host shows them again. */
  private readonly resuming = new Set<string>();

  constructor(
    private readonly container: HTMLElement,
    private readonly actions: RunListActions,
  ) {}

  /** Open forms, kept across redraws so typing and focus survive the rows being rebuilt. */
  private readonly formElements = new Map<string, HTMLElement>();
  private shown: { runs: readonly DashboardRun[]; colourOf: (runId: string) => number } = { runs: [], colourOf: () => 0 };

  private rerender(): void {
    this.render(this.shown.runs, this.shown.colourOf);
  }

  render(runs: readonly DashboardRun[], colourOf: (runId: string) => number): void {
    this.shown = { runs, colourOf };
    for (const id of this.formElements.keys()) if (!this.resumeForms.has(id)) this.formElements.delete(id);
    for (const id of this.stopping) if (!runs.some((run) => run.info.id === id && run.info.status === 'running')) this.stopping.delete(id);
    for (const id of this.resuming) if (runs.some((run) => run.info.id === id && run.info.status === 'running')) this.resuming.delete(id);
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
    badge.textContent = STATUS_WORDS[info.status] ?? info.status;

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
    if (info.status !== 'running') controls.appendChild(this.resumeButton(run));
    const hide = controls.appendChild(button('Hide', 'hide-run', 'eye-closed'));
    hide.title = 'Remove this run from the charts';
    hide.addEventListener('click', () => this.actions.hide(info.id));

    if (info.message) {
      const message = row.appendChild(element('div', 'run-message'));
      message.textContent = info.message;
    }
    if (this.resumeForms.has(info.id)) row.appendChild(this.formElements.get(info.id) ?? this.resumeForm(run));
    return row;
  }

  /** "Resume…" for a stopped or failed run, "Train More…" for a finished one: opens the step count form. */
  private resumeButton(run: DashboardRun): HTMLElement {
    const { info } = run;
    const finished = currentStep(run) >= info.totalSteps;
    const control = button(this.resuming.has(info.id) ? 'Starting…' : finished ? 'Train More…' : 'Resume…', 'resume-run', 'debug-continue');
    control.title = finished ? 'Continue this finished run for more steps' : 'Continue from the checkpoint of the step it reached';
    control.toggleAttribute('disabled', this.resuming.has(info.id));
    control.addEventListener('click', () => {
      if (this.resuming.has(info.id)) return;
      if (!this.resumeForms.has(info.id))
        this.resumeForms.set(info.id, String(suggestedExtraSteps({ progress: { step: currentStep(run), totalSteps: info.totalSteps } })));
      this.rerender();
    });
    return control;
  }

  /** How many more steps: the suggestion typed in, checked as typed, sent on Start (or Enter). */
  private resumeForm(run: DashboardRun): HTMLElement {
    const id = run.info.id;
    const form = element('form', 'resume-form');
    const label = form.appendChild(element('label', 'resume-label'));
    label.textContent = `More steps after step ${currentStep(run)}:`;
    const input = label.appendChild(element('input', 'extra-steps'));
    input.inputMode = 'numeric';
    input.value = this.resumeForms.get(id) ?? '';
    const start = form.appendChild(button('Start', 'start-resume', 'debug-start'));
    start.removeAttribute('secondary');
    const cancel = form.appendChild(button('Cancel', 'cancel-resume', 'close'));
    const problem = form.appendChild(element('span', 'resume-problem'));
    const check = () => {
      this.resumeForms.set(id, input.value);
      const parsed = parseExtraSteps(input.value);
      problem.textContent = 'error' in parsed ? parsed.error : '';
      return parsed;
    };
    const submit = (event?: Event) => {
      event?.preventDefault();
      if (this.resuming.has(id)) return; // Enter and a click on Start can both arrive
      const parsed = check();
      if ('error' in parsed) return;
      this.resumeForms.delete(id);
      this.resuming.add(id);
      this.actions.resume(id, parsed.steps);
      this.rerender();
    };
    input.addEventListener('input', check);
    form.addEventListener('submit', submit);
    start.addEventListener('click', submit);
    cancel.addEventListener('click', () => {
      this.resumeForms.delete(id);
      this.rerender();
    });
    this.formElements.set(id, form);
    queueMicrotask(() => input.focus());
    return form;
  }
}

/** "step 120/200 · 2.410 bits/char · val 2.380 · 3,500 chars/s · lstm · wasm · clipping ‖g‖ ≤ τ = 5" */
function currentStep(run: DashboardRun): number {
  return run.steps.at(-1)?.step ?? 0;
}

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
