/**
 * The comparison table: one column per run, one row per spec field (rows
 * whose values differ between the runs are marked, in colour and with "≠"),
 * then the results. Workspace text goes in with textContent only.
 */
import type { CompareRun } from '../../src/protocol/compare';
import { runColourVariable } from '../shared/theme';

export interface CompareTableActions {
  openRun(runId: string): void;
}

const fmt = (v: number | null, digits: number) =>
  v === null ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The result rows: what each run achieved. The best validation loss is marked. */
function resultRows(runs: readonly CompareRun[]): { field: string; values: string[]; best?: number }[] {
  const best = runs.map((r) => r.bestValBitsPerChar ?? Infinity);
  const bestIndex = best.indexOf(Math.min(...best));
  return [
    { field: 'parameters', values: runs.map((r) => r.parameters.toLocaleString('en-US')) },
    { field: 'steps trained', values: runs.map((r) => r.steps.toLocaleString('en-US')) },
    { field: 'status', values: runs.map((r) => (r.stoppedAt !== undefined ? `${r.status}: non-finite loss at step ${r.stoppedAt}` : r.status)) },
    { field: 'wall time', values: runs.map((r) => duration(r.wallSeconds)) },
    { field: 'chars/s', values: runs.map((r) => (r.charsPerSec === null ? '–' : Math.round(r.charsPerSec).toLocaleString('en-US'))) },
    {
      field: 'best validation (bits/char)',
      values: runs.map((r) => fmt(r.bestValBitsPerChar, 3)),
      best: Number.isFinite(best[bestIndex]) ? bestIndex : undefined,
    },
  ];
}

export function renderCompareTable(
  container: HTMLElement,
  runs: readonly CompareRun[],
  colourOf: (runId: string) => number,
  actions: CompareTableActions,
): void {
  const table = document.createElement('table');
  table.className = 'compare-table';
  const head = table.createTHead().insertRow();
  head.appendChild(cell('th', 'field'));
  for (const run of runs) head.appendChild(runHeader(run, colourOf(run.id), actions));

  const spec = table.createTBody();
  spec.className = 'spec';
  for (const [i, row] of (runs[0]?.spec ?? []).entries()) {
    const values = runs.map((r) => r.spec[i]?.value ?? '');
    const differs = new Set(values).size > 1;
    const tr = spec.insertRow();
    tr.className = differs ? 'differs' : '';
    tr.dataset.field = row.field;
    const name = tr.appendChild(cell('th', row.field));
    name.scope = 'row';
    if (differs) name.appendChild(cell('span', ' ≠')).className = 'differs-mark';
    for (const v of values) tr.appendChild(cell('td', v));
  }

  const results = table.createTBody();
  results.className = 'results';
  for (const row of resultRows(runs)) {
    const tr = results.insertRow();
    tr.dataset.field = row.field;
    tr.appendChild(cell('th', row.field)).scope = 'row';
    row.values.forEach((v, i) => {
      const td = tr.appendChild(cell('td', v));
      if (row.best === i && runs.length > 1) td.className = 'best';
    });
  }
  container.replaceChildren(table);
}

function runHeader(run: CompareRun, colourIndex: number, actions: CompareTableActions): HTMLElement {
  const th = cell('th', '');
  th.dataset.runId = run.id;
  const swatch = th.appendChild(cell('span', ''));
  swatch.className = 'run-swatch';
  swatch.style.backgroundColor = runColourVariable(colourIndex);
  th.appendChild(cell('span', run.variant ?? run.label)).className = 'run-name';
  if (run.variant) th.appendChild(cell('div', run.label)).className = 'run-id';
  const open = th.appendChild(document.createElement('vscode-button'));
  open.className = 'open-run';
  open.setAttribute('secondary', '');
  open.textContent = 'Open';
  open.title = 'Open this run alone in the dashboard';
  open.addEventListener('click', () => actions.openRun(run.id));
  return th;
}

function cell<K extends keyof HTMLElementTagNameMap>(tag: K, text: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}
