/**
 * The run comparison webview (docs/architecture.md, "Webviews"): a table of
 * the runs' specs and results, and their losses (bits per character) against
 * step and against wall-clock time. It renders what the host sends (`show`)
 * and asks it to open one run alone (`openRun`).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import './compare.css';
import { parseCompareState, parseHostToCompareMessage, type CompareRun, type CompareToHost, type CompareWebviewState } from '../../src/protocol/compare';
import { familyShade } from '../shared/colourFamily';
import { LineChart, type LineSeries, type VerticalMarker } from '../shared/lineChart';
import { onThemeChange, readThemeColours, type ThemeColours } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';
import { renderCompareTable } from './compareTable';

const api = vscodeApi<CompareToHost>();
let runs: CompareRun[] = [];
// Saved by this or an older version of the webview: validated, not trusted.
let saved: CompareWebviewState = parseCompareState(api.getState()) ?? { runDirs: [], title: '' };

const main = document.body.appendChild(document.createElement('main'));
main.className = 'compare';
const header = main.appendChild(document.createElement('header'));
header.className = 'toolbar';
const title = header.appendChild(document.createElement('h1'));
title.textContent = 'Compare runs';
const logScale = header.appendChild(document.createElement('vscode-checkbox'));
logScale.className = 'log-scale-loss';
logScale.label = 'Log-scale loss';
logScale.checked = saved.logScale === true;
logScale.addEventListener('change', () => {
  saved = { ...saved, logScale: logScale.checked };
  api.setState(saved);
  drawCharts(readThemeColours());
});
const note = main.appendChild(document.createElement('p'));
note.className = 'note';
const tableSection = main.appendChild(document.createElement('section'));
tableSection.className = 'table-section';
const charts = main.appendChild(document.createElement('div'));
charts.className = 'charts';
const byStep = new LineChart(chartPanel('Loss against step', 'step'), 'chart-loss-step');
const byTime = new LineChart(chartPanel('Loss against wall-clock time', 'time'), 'chart-loss-time');

onThemeChange(() => drawCharts(readThemeColours()));
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostToCompareMessage(event.data);
  if (!message) return;
  runs = message.runs;
  saved = { ...message.state, logScale: logScale.checked };
  api.setState(saved);
  title.textContent = message.title;
  note.textContent =
    runs.length < 2
      ? 'Choose two or more runs to compare (select them in the Runs view, or pick an experiment).'
      : `${runs.length} runs. Losses in bits per character${tokenNote(runs)}; fields that differ are marked ≠.`;
  renderCompareTable(tableSection, runs, (id) => runs.findIndex((r) => r.id === id), { openRun: (runId) => api.postMessage({ type: 'openRun', runId }) });
  drawCharts(readThemeColours());
});
api.postMessage({ type: 'ready' });

function tokenNote(shown: CompareRun[]): string {
  return shown.some((r) => r.resolution === 'token') ? ' (token-level runs converted with their corpus’s characters per token)' : '';
}

function chartPanel(heading: string, id: string): HTMLElement {
  const panel = charts.appendChild(document.createElement('section'));
  panel.className = 'chart-panel';
  panel.dataset.chart = id;
  panel.appendChild(document.createElement('h2')).textContent = heading;
  const body = panel.appendChild(document.createElement('div'));
  body.className = 'chart-body';
  return body;
}

function drawCharts(theme: ThemeColours): void {
  const colour = (i: number) => theme.runs[i % theme.runs.length];
  const name = (r: CompareRun) => r.variant ?? r.label.split(' · ')[0];
  const series = (x: 'step' | 'seconds'): LineSeries[] =>
    runs.flatMap((r, i) => [
      // The dashboard's kinds of line (shared/lineStyles.ts) and colour families (shared/colourFamily.ts).
      { label: `${name(r)} train`, colour: colour(i), style: 'solid', x: r.train.map((p) => p[x]), y: r.train.map((p) => p.bits) },
      {
        label: `${name(r)} validation`,
        colour: familyShade(colour(i), theme.foreground, 1),
        style: 'dashed',
        x: r.validation.map((p) => p[x]),
        y: r.validation.map((p) => p.bits),
        markers: true,
      },
    ]);
  const stops: VerticalMarker[] = runs.flatMap((r, i) =>
    r.stoppedAt !== undefined ? [{ x: r.stoppedAt, label: `${name(r)}: non-finite loss`, colour: colour(i) }] : [],
  );
  const logY = logScale.checked;
  byStep.draw({ xLabel: 'step', yLabel: 'bits per character', logY, series: series('step'), markers: stops }, theme);
  byTime.draw({ xLabel: 'seconds of training', yLabel: 'bits per character', logY, series: series('seconds') }, theme);
}
