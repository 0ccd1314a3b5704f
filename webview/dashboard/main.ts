/**
 * The training dashboard webview (docs/architecture.md, "Webviews"). It renders what the
 * host sends (`show`, `append`, `status`) and tells the host what the user
 * did (`hideRun`, `stopRun`). It keeps no data of its own beyond the page.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import './dashboard.css';
import { parseHostToDashboardMessage, type DashboardRun, type DashboardToHost, type HostToDashboard } from '../../src/protocol/dashboard';
import { onThemeChange, readThemeColours } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';
import { DashboardCharts } from './charts';
import { RunColours } from './runColours';
import { RunList } from './runList';
import { SampleList } from './samples';
import { DashboardState } from './state';
import { GradientFlowSection } from './gradientFlow';
import { TaskMetricsSection } from './taskMetrics';

const api = vscodeApi<DashboardToHost>();
const state = new DashboardState(api);
const colours = new RunColours();
let runs: DashboardRun[] = [];

const layout = buildLayout(document.body);
const colourOf = (runId: string): number => colours.of(runId);
const charts = new DashboardCharts(layout.charts, readThemeColours(), { logScaleLoss: state.logScaleLoss, colourOf });
const runList = new RunList(layout.runs, {
  stop: (runId) => api.postMessage({ type: 'stopRun', runId }),
  hide: (runId) => hideRun(runId),
  resume: (runId, extraSteps) => api.postMessage({ type: 'resumeRun', runId, extraSteps }),
});
const samples = new SampleList(layout.samples);
const flow = new GradientFlowSection(layout.flow, readThemeColours(), { wholeWindow: state.gradFlowWindow, colourOf });
const taskMetrics = new TaskMetricsSection(layout.tasks, readThemeColours(), { colourOf });

layout.logScale.checked = state.logScaleLoss;
layout.logScale.addEventListener('change', () => {
  state.update({ logScaleLoss: layout.logScale.checked });
  charts.setOptions({ logScaleLoss: state.logScaleLoss, colourOf });
});
layout.wholeWindow.checked = state.gradFlowWindow;
layout.wholeWindow.addEventListener('change', () => {
  state.update({ gradFlowWindow: layout.wholeWindow.checked });
  flow.setOptions({ wholeWindow: state.gradFlowWindow, colourOf });
});
onThemeChange(() => {
  charts.setTheme(readThemeColours());
  flow.setTheme(readThemeColours());
  taskMetrics.setTheme(readThemeColours());
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostToDashboardMessage(event.data);
  if (message) handle(message);
});

api.postMessage({ type: 'ready' });

function handle(message: HostToDashboard): void {
  switch (message.type) {
    case 'show':
      showRuns(message.runs);
      return;
    case 'append': {
      const run = runs.find((r) => r.info.id === message.runId);
      if (!run) return;
      appendAll(run.steps, message.steps);
      appendAll(run.evals, message.evals);
      appendAll(run.samples, message.samples);
      appendAll(run.gradFlow, message.gradFlow ?? []);
      charts.append(run.info.id, message.steps, message.evals);
      if (message.gradFlow?.length) flow.changed();
      if (message.taskEvals?.length) {
        appendAll((run.taskEvals ??= []), message.taskEvals);
        taskMetrics.changed();
      }
      if (message.samples.length > 0) samples.add(run, message.samples, colours.of(run.info.id));
      scheduleRunListRender();
      return;
    }
    case 'status': {
      const run = runs.find((r) => r.info.id === message.runId);
      if (!run) return;
      run.info = { ...run.info, status: message.status, message: message.message, stoppedAt: message.stoppedAt };
      runList.render(runs, colourOf);
      // The gradient-norm chart marks where a run stopped on a non-finite loss.
      if (message.stoppedAt !== undefined) charts.setRuns(runs);
      return;
    }
  }
}

function showRuns(shown: DashboardRun[]): void {
  runs = shown;
  colours.assign(runs.map((run) => run.info.id));
  state.update({ runIds: runs.map((run) => run.info.id) });
  const empty = runs.length === 0;
  layout.empty.hidden = !empty;
  layout.charts.hidden = empty;
  // Taggers and classifiers have no gradient-flow probe.
  layout.flow.hidden = empty || runs.every((run) => run.info.task !== undefined);
  // Charts are (re)built after the section is visible, so they measure its real width.
  charts.setRuns(runs);
  flow.setRuns(runs);
  taskMetrics.setRuns(runs);
  runList.render(runs, colourOf);
  samples.show(runs, colourOf);
}

function hideRun(runId: string): void {
  showRuns(runs.filter((run) => run.info.id !== runId));
  api.postMessage({ type: 'hideRun', runId });
}

/** push(...items) overflows the call stack for very large batches. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

let runListPending = false;
/** Appends can come many times a second: the headers' numbers update once per frame. */
function scheduleRunListRender(): void {
  if (runListPending) return;
  runListPending = true;
  requestAnimationFrame(() => {
    runListPending = false;
    runList.render(runs, colourOf);
  });
}

interface Layout {
  runs: HTMLElement;
  empty: HTMLElement;
  charts: HTMLElement;
  samples: HTMLElement;
  flow: HTMLElement;
  tasks: HTMLElement;
  logScale: HTMLElementTagNameMap['vscode-checkbox'];
  wholeWindow: HTMLElementTagNameMap['vscode-checkbox'];
}

function buildLayout(root: HTMLElement): Layout {
  const main = root.appendChild(document.createElement('main'));
  main.className = 'dashboard';

  const toolbar = main.appendChild(document.createElement('header'));
  toolbar.className = 'toolbar';
  const title = toolbar.appendChild(document.createElement('h1'));
  title.textContent = 'Training';
  const logScale = toolbar.appendChild(document.createElement('vscode-checkbox'));
  logScale.className = 'log-scale-loss';
  logScale.label = 'Log-scale loss';
  const wholeWindow = toolbar.appendChild(document.createElement('vscode-checkbox'));
  wholeWindow.className = 'grad-flow-window';
  wholeWindow.label = 'Gradient flow of the whole window’s loss';

  const runsSection = main.appendChild(document.createElement('section'));
  runsSection.className = 'runs';
  runsSection.setAttribute('aria-label', 'Runs');

  const empty = main.appendChild(document.createElement('p'));
  empty.className = 'empty-note';
  empty.textContent = 'No runs to show. Train a model with “RNN Lab: Train Model…”, or open a run from the RNN Lab view.';

  const tasksSection = main.appendChild(document.createElement('div'));
  tasksSection.className = 'task-metrics';

  const chartsSection = main.appendChild(document.createElement('div'));
  chartsSection.className = 'charts';
  chartsSection.hidden = true;

  const flowSection = main.appendChild(document.createElement('div'));
  flowSection.className = 'charts flow';
  flowSection.hidden = true;

  const samplesPanel = main.appendChild(document.createElement('vscode-collapsible'));
  samplesPanel.className = 'samples-panel';
  samplesPanel.heading = 'Samples';
  samplesPanel.open = true;
  const samplesList = samplesPanel.appendChild(document.createElement('div'));
  samplesList.className = 'samples empty';

  return { runs: runsSection, empty, charts: chartsSection, samples: samplesList, flow: flowSection, tasks: tasksSection, logScale, wholeWindow };
}
