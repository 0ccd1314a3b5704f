/**
 * The dashboard's gradient-flow section (docs/architecture.md, "Gradient
 * flow"): ‖∂L_T/∂h_t‖ against the distance T − t on a log scale, the latest
 * measurement of every run and layer overlaid, and the same over training as
 * heatmaps (step × distance). A checkbox switches both to ‖∂L/∂h_t‖ of the
 * whole window's loss.
 */
import type { GradFlowRecord } from '../../src/core/runFormat';
import type { DashboardRun } from '../../src/protocol/dashboard';
import { LineChart, type LineSeries } from '../shared/lineChart';
import type { ThemeColours } from '../shared/theme';
import { legendNames } from './chartDefinitions';
import { renderHeatmaps, type HeatmapInput } from './flowHeatmap';

export interface GradientFlowOptions {
  wholeWindow: boolean;
  colourOf(runId: string): number;
}

/** The last measurement's records of a run, one per layer, in layer order. */
export function latestProfiles(records: readonly GradFlowRecord[]): GradFlowRecord[] {
  if (records.length === 0) return [];
  const step = Math.max(...records.map((r) => r.step));
  return records.filter((r) => r.step === step).sort((a, b) => a.layer - b.layer);
}

export class GradientFlowSection {
  private readonly chart: LineChart;
  private readonly heatmaps: HTMLElement;
  private readonly note: HTMLElement;
  private runs: DashboardRun[] = [];
  private pending = false;

  constructor(
    container: HTMLElement,
    private theme: ThemeColours,
    private options: GradientFlowOptions,
  ) {
    const panel = container.appendChild(document.createElement('section'));
    panel.className = 'chart-panel flow-panel';
    panel.dataset.chart = 'gradFlow';
    panel.appendChild(document.createElement('h2')).textContent = 'Gradient flow through time';
    const body = panel.appendChild(document.createElement('div'));
    body.className = 'chart-body';
    this.chart = new LineChart(body, 'chart-grad-flow');
    this.note = panel.appendChild(document.createElement('p'));
    this.note.className = 'flow-note';
    const heatPanel = container.appendChild(document.createElement('section'));
    heatPanel.className = 'chart-panel flow-heatmaps-panel';
    heatPanel.dataset.chart = 'gradFlowHeatmap';
    heatPanel.appendChild(document.createElement('h2')).textContent = 'Gradient flow over training (step × distance)';
    this.heatmaps = heatPanel.appendChild(document.createElement('div'));
    this.heatmaps.className = 'flow-heatmaps';
  }

  setRuns(runs: DashboardRun[]): void {
    this.runs = runs;
    this.render();
  }

  /** New records arrived: redraw once per frame at most. */
  changed(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  setTheme(theme: ThemeColours): void {
    this.theme = theme;
    this.render();
  }

  setOptions(options: GradientFlowOptions): void {
    this.options = options;
    this.render();
  }

  private pick = (r: GradFlowRecord): (number | null)[] => (this.options.wholeWindow ? r.windowLoss : r.lastLoss);

  private render(): void {
    const theme = this.theme;
    const names = legendNames(this.runs.map((r) => r.info));
    const colour = (run: DashboardRun) => theme.runs[this.options.colourOf(run.info.id) % theme.runs.length];
    const series: LineSeries[] = this.runs.flatMap((run) =>
      latestProfiles(run.gradFlow).map((r) => ({
        label: `${names.get(run.info.id)}${run.info.layers > 1 ? ` layer ${r.layer}` : ''} @${r.step}`,
        colour: colour(run),
        style: r.layer > 0 ? ('dashed' as const) : ('solid' as const),
        x: this.pick(r).map((_, k) => k),
        y: this.pick(r),
      })),
    );
    const measure = this.options.wholeWindow ? '‖∂L/∂h_t‖ (whole window)' : '‖∂L_T/∂h_t‖ (last position)';
    this.chart.draw({ xLabel: 'distance T − t', yLabel: measure, logY: true, series }, theme);
    this.note.textContent =
      series.length === 0
        ? 'No measurement yet: the probe runs at each evaluation (--grad-flow-every), on one fixed held-out window.'
        : 'The latest measurement of each run; a dashed line is a deeper layer. Where a line falls, the error at t = T no longer reaches back that far.';
    const inputs: HeatmapInput[] = this.runs.flatMap((run) => {
      const layers = [...new Set(run.gradFlow.map((r) => r.layer))].sort((a, b) => a - b);
      return layers.map((layer) => ({
        title: `${names.get(run.info.id)}${run.info.layers > 1 ? ` layer ${layer}` : ''}`,
        colour: colour(run),
        records: run.gradFlow.filter((r) => r.layer === layer),
      }));
    });
    renderHeatmaps(this.heatmaps, inputs, this.pick, theme);
  }
}
