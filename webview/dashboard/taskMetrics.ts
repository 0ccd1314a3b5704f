/**
 * A tagger's or classifier's evaluations on the dashboard (docs/architecture.md,
 * "Tasks"): accuracy and macro-F1 over steps for every shown task run, and for
 * one run (a selector when several are overlaid) its newest confusion matrix
 * as a heatmap table (labels on both axes, counts in the cells, shade by the
 * share of the true class's row) and the per-class precision, recall, F1 and
 * support. Labels come from the user's data: they are set with textContent.
 */
import './taskMetrics.css';
import type { DashboardRun } from '../../src/protocol/dashboard';
import type { TaskEvalRecord } from '../../src/protocol/tasks';
import { LineChart, type LineSeries } from '../shared/lineChart';
import type { ThemeColours } from '../shared/theme';

export interface TaskMetricsOptions {
  colourOf(runId: string): number;
}

export class TaskMetricsSection {
  private runs: DashboardRun[] = [];
  private selected: string | undefined;
  private readonly chart: LineChart;
  private readonly selector: HTMLSelectElement;
  private readonly matrix: HTMLElement;
  private readonly classes: HTMLElement;
  private redrawPending = false;

  constructor(
    private readonly root: HTMLElement,
    private theme: ThemeColours,
    private readonly options: TaskMetricsOptions,
  ) {
    root.hidden = true;
    const chartPanel = panel(root, 'Held-out accuracy and macro-F1');
    chartPanel.dataset.chart = 'task-accuracy';
    const chartBody = chartPanel.appendChild(document.createElement('div'));
    chartBody.className = 'task-chart-body';
    this.chart = new LineChart(chartBody, 'chart-task-accuracy');

    const detail = panel(root, 'Confusion matrix and per-class figures');
    detail.classList.add('task-detail');
    const label = detail.appendChild(document.createElement('label'));
    label.className = 'task-run-select';
    label.textContent = 'Run ';
    this.selector = label.appendChild(document.createElement('select'));
    this.selector.addEventListener('change', () => {
      this.selected = this.selector.value;
      this.renderDetail();
    });
    this.matrix = detail.appendChild(document.createElement('div'));
    this.matrix.className = 'confusion';
    this.classes = detail.appendChild(document.createElement('div'));
    this.classes.className = 'class-table';
  }

  setRuns(runs: DashboardRun[]): void {
    this.runs = runs.filter((r) => r.info.task !== undefined);
    this.root.hidden = this.runs.length === 0;
    if (!this.runs.some((r) => r.info.id === this.selected)) this.selected = this.runs[0]?.info.id;
    this.selector.replaceChildren(
      ...this.runs.map((r) => {
        const option = document.createElement('option');
        option.value = r.info.id;
        option.textContent = r.info.label;
        option.selected = r.info.id === this.selected;
        return option;
      }),
    );
    this.selector.parentElement!.hidden = this.runs.length < 2;
    this.redraw();
  }

  /** New evaluations of a shown run (already appended to its record list). */
  changed(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    requestAnimationFrame(() => {
      this.redrawPending = false;
      this.redraw();
    });
  }

  setTheme(theme: ThemeColours): void {
    this.theme = theme;
    this.redraw();
  }

  private redraw(): void {
    if (this.runs.length === 0) return;
    const series: LineSeries[] = [];
    for (const run of this.runs) {
      const colour = this.theme.runs[this.options.colourOf(run.info.id) % this.theme.runs.length];
      const evals = run.taskEvals ?? [];
      const x = evals.map((e) => e.step);
      const name = this.runs.length > 1 ? `${run.info.variant ?? run.info.label.split(' · ')[0]} ` : '';
      series.push({ label: `${name}accuracy`, colour, x, y: evals.map((e) => percent(e.accuracy)), markers: true });
      series.push({ label: `${name}macro-F1`, colour, x, y: evals.map((e) => percent(e.macroF1)), style: 'dashed', markers: true });
    }
    this.chart.draw({ xLabel: 'step', yLabel: '%', logY: false, series }, this.theme);
    this.renderDetail();
  }

  private renderDetail(): void {
    const run = this.runs.find((r) => r.info.id === this.selected);
    const latest = run?.taskEvals?.at(-1);
    if (!latest) {
      const note = document.createElement('p');
      note.className = 'empty-note';
      note.textContent = 'No evaluation yet: the first comes after the evaluation interval, and after the last step.';
      this.matrix.replaceChildren(note);
      this.classes.replaceChildren();
      return;
    }
    this.matrix.replaceChildren(confusionTable(latest), summaryLine(latest));
    this.classes.replaceChildren(classTable(latest));
  }
}

function panel(root: HTMLElement, title: string): HTMLElement {
  const section = root.appendChild(document.createElement('section'));
  section.className = 'chart-panel';
  const heading = section.appendChild(document.createElement('h2'));
  heading.textContent = title;
  return section;
}

function percent(v: number | null): number | null {
  return v === null ? null : 100 * v;
}

function figure(v: number | null): string {
  return v === null ? '—' : v.toFixed(3);
}

function summaryLine(record: TaskEvalRecord): HTMLElement {
  const p = document.createElement('p');
  p.className = 'task-summary';
  const accuracy = record.accuracy === null ? '—' : `${(100 * record.accuracy).toFixed(2)}%`;
  p.textContent = `Step ${record.step}: accuracy ${accuracy}, macro-F1 ${figure(record.macroF1)}. Rows: the true class; columns: the predicted class.`;
  return p;
}

/** The confusion matrix as a table: a cell's shade is its share of its row (the true class), its text the count. */
export function confusionTable(record: TaskEvalRecord): HTMLTableElement {
  const labels = record.classes.map((c) => c.label);
  const table = document.createElement('table');
  table.className = 'confusion-matrix';
  const caption = table.appendChild(document.createElement('caption'));
  caption.textContent = `Confusion matrix at step ${record.step}`;
  const head = table.createTHead().insertRow();
  const corner = head.appendChild(document.createElement('th'));
  corner.textContent = 'true ╲ predicted';
  for (const label of labels) {
    const th = head.appendChild(document.createElement('th'));
    th.scope = 'col';
    th.textContent = label;
    th.title = label;
  }
  const body = table.createTBody();
  record.confusion.forEach((row, i) => {
    const tr = body.insertRow();
    const th = tr.appendChild(document.createElement('th'));
    th.scope = 'row';
    th.textContent = labels[i] ?? String(i);
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const td = tr.insertCell();
      const share = total > 0 ? count / total : 0;
      td.textContent = String(count);
      td.className = i === j ? 'diagonal' : 'off-diagonal';
      td.style.setProperty('--share', share.toFixed(3));
      if (share > 0.55) td.classList.add('strong');
      td.title = `true ${labels[i]}, predicted ${labels[j]}: ${count} (${(100 * share).toFixed(1)}% of ${labels[i]})`;
    });
  });
  return table;
}

/** Per class: precision, recall, F1 and support. */
export function classTable(record: TaskEvalRecord): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'per-class';
  const caption = table.appendChild(document.createElement('caption'));
  caption.textContent = 'Per class';
  const head = table.createTHead().insertRow();
  for (const name of ['class', 'precision', 'recall', 'F1', 'support']) {
    const th = head.appendChild(document.createElement('th'));
    th.scope = 'col';
    th.textContent = name;
  }
  const body = table.createTBody();
  for (const c of record.classes) {
    const tr = body.insertRow();
    const th = tr.appendChild(document.createElement('th'));
    th.scope = 'row';
    th.textContent = c.label;
    for (const v of [figure(c.precision), figure(c.recall), figure(c.f1), c.support.toLocaleString('en-US')]) tr.insertCell().textContent = v;
  }
  return table;
}
