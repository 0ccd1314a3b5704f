/**
 * The dashboard's three uPlot charts. Each keeps its data in a StepTable that
 * grows as records arrive; redraws are batched to one per animation frame so a
 * burst of messages costs one setData per chart.
 */
import uPlot from 'uplot';
import type { DashboardRun, DashboardRunInfo } from '../../src/protocol/dashboard';
import type { EvalRecord, StepRecord } from '../../src/protocol/engine';
import type { ThemeColours } from '../shared/theme';
import { CHARTS, legendNames, type ChartDefinition, type ReferenceLine } from './chartDefinitions';
import { StepTable } from './stepTable';
import { drawMarkers, type VerticalMarker } from '../shared/lineChart';
import { familyShade } from '../shared/colourFamily';
import { LINE_STYLES, REFERENCE_DASH, legendMarkers } from '../shared/lineStyles';
import { runColourVariable } from '../shared/theme';
import { addToTally, clippingSentence, emptyTally, type ClippingTally } from './clipping';

const PLOT_HEIGHT = 220;

export interface ChartOptions {
  logScaleLoss: boolean;
  /** Colour index of each run (stable while the run is shown). */
  colourOf(runId: string): number;
}

/** One chart: a definition, its data table, and the uPlot instance drawing it. */
class MetricChart {
  private plot: uPlot | undefined;
  private table = new StepTable([]);
  /** For each shown run, the table column of each of the definition's metrics. */
  private columnsOfRun = new Map<string, number[]>();
  private runs: DashboardRunInfo[] = [];
  private width = 0;
  /** The steps the plot showed in full after its last setData. */
  private drawnSteps: [number, number] = [0, 0];

  constructor(
    readonly definition: ChartDefinition,
    readonly body: HTMLElement,
  ) {}

  /** Replaces the runs shown and rebuilds the table from their records. */
  setRuns(runs: DashboardRun[], theme: ThemeColours, options: ChartOptions): void {
    this.runs = runs.map((run) => run.info);
    const metrics = this.definition.metrics;
    const references = this.definition.referenceLines(this.runs);
    this.columnsOfRun = new Map(runs.map((run, r) => [run.info.id, metrics.map((_, m) => r * metrics.length + m)]));
    const fills = [...runs.flatMap(() => metrics.map(() => null)), ...references.map((line) => line.value)];
    this.table = new StepTable(fills);
    for (const run of runs) this.addRecords(run.info.id, run.steps, run.evals);
    // A run stopped by the non-finite guard: its failed step gets a row, so the x range reaches the marker.
    for (const run of runs) if (this.definition.marksStops && run.info.stoppedAt !== undefined) this.table.set(run.info.stoppedAt, 0, null);
    this.rebuild(theme, options);
  }

  addRecords(runId: string, steps: StepRecord[], evals: EvalRecord[]): boolean {
    const columns = this.columnsOfRun.get(runId);
    if (!columns) return false;
    let added = false;
    this.definition.metrics.forEach((metric, m) => {
      const { fromStep, fromEval } = metric;
      if (fromStep) for (const record of steps) this.table.set(record.step, columns[m], fromStep(record));
      if (fromEval) for (const record of evals) this.table.set(record.step, columns[m], fromEval(record));
      added ||= (fromStep !== undefined && steps.length > 0) || (fromEval !== undefined && evals.length > 0);
    });
    return added;
  }

  /** Creates the uPlot instance anew: needed when the series, the theme or the scale type change. */
  rebuild(theme: ThemeColours, options: ChartOptions): void {
    this.plot?.destroy();
    this.width = this.body.clientWidth;
    const plotOptions = this.plotOptions(theme, options);
    this.plot = new uPlot(plotOptions, this.table.aligned(), this.body);
    this.drawnSteps = this.stepRange();
    this.body.dataset.logScale = String(this.definition.logScale({ logScaleLoss: options.logScaleLoss }));
    this.describeData();
  }

  /**
   * Hands the grown table to uPlot. A view the user zoomed into (drag to zoom,
   * double-click to reset) keeps its scales instead of jumping back to the
   * full range; otherwise the x range follows the new steps.
   */
  redraw(): void {
    const plot = this.plot;
    if (!plot) return;
    const { min, max } = plot.scales.x;
    const [first, last] = this.drawnSteps;
    const zoomed = min != null && max != null && last > first && (min > first || max < last);
    plot.setData(this.table.aligned(), !zoomed);
    this.drawnSteps = this.stepRange();
    this.describeData();
  }

  resize(width: number): void {
    if (!this.plot || Math.abs(width - this.width) < 1) return;
    this.width = width;
    this.plot.setSize({ width, height: PLOT_HEIGHT });
  }

  /** First and last step in the table. (uPlot holds the table's own arrays, so it cannot tell what it drew last.) */
  private stepRange(): [number, number] {
    const steps = this.table.steps;
    return steps.length === 0 ? [0, 0] : [steps[0], steps[steps.length - 1]];
  }

  /** What is drawn, as attributes: read by the webview tests (and handy in the webview developer tools). */
  private describeData(): void {
    this.body.dataset.points = String(this.table.length);
    if (this.definition.marksStops) this.body.dataset.stops = this.runs.flatMap((r) => (r.stoppedAt !== undefined ? [r.stoppedAt] : [])).join(',');
  }

  private plotOptions(theme: ThemeColours, options: ChartOptions): uPlot.Options {
    const { definition } = this;
    const { series, legendStyles } = runSeries(this.runs, definition, theme, options);
    const references = definition.referenceLines(this.runs);
    const stops: VerticalMarker[] = definition.marksStops
      ? this.runs.flatMap((run) =>
          run.stoppedAt !== undefined
            ? [{ x: run.stoppedAt, label: `non-finite at step ${run.stoppedAt}: stopped`, colour: theme.runs[options.colourOf(run.id) % theme.runs.length] }]
            : [],
        )
      : [];
    for (const line of references) {
      series.push({ label: line.label, stroke: theme.reference, width: 1, dash: REFERENCE_DASH, points: { show: false } });
      legendStyles.push('dashed');
    }
    const font = `${theme.fontSize}px ${theme.fontFamily}`;
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: theme.foreground,
      font,
      labelFont: font,
      labelSize: 16,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
    });
    const log = definition.logScale({ logScaleLoss: options.logScaleLoss });
    return {
      width: Math.max(this.width, 200),
      height: PLOT_HEIGHT,
      class: `chart-${definition.id}`,
      scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : {} },
      axes: [axis('step'), { ...axis(definition.yLabel(this.runs)), size: 64 }],
      series,
      cursor: { sync: { key: 'rnnlab-dashboard' } },
      legend: { show: true, live: true, markers: legendMarkers(legendStyles) },
      hooks: {
        draw: [(plot) => labelReferenceLines(plot, references, theme), (plot) => drawMarkers(plot, stops, theme)],
        // uPlot commits scales after a microtask: the hook sees the range actually drawn.
        setScale: [
          (plot, key) => {
            if (key === 'x') this.body.dataset.xMax = String(plot.scales.x.max);
          },
        ],
      },
    };
  }
}

/** Each run's series of a chart: runs differ by colour family, a run's series by shade and dash. */
function runSeries(runs: DashboardRunInfo[], definition: ChartDefinition, theme: ThemeColours, options: ChartOptions) {
  const series: uPlot.Series[] = [{ label: 'step' }];
  const legendStyles = ['solid'];
  const names = legendNames(runs);
  for (const run of runs) {
    const runColour = theme.runs[options.colourOf(run.id) % theme.runs.length];
    for (const metric of definition.metrics) {
      const colour = familyShade(runColour, theme.foreground, metric.shade);
      const style = LINE_STYLES[metric.style];
      series.push({
        label: `${names.get(run.id)} ${metric.name}`,
        stroke: colour,
        width: style.width,
        dash: style.dash,
        spanGaps: true,
        points: metric.markers ? { show: true, size: 6, fill: colour, stroke: colour } : { show: false },
      });
      legendStyles.push(style.legend);
    }
  }
  return { series, legendStyles };
}

/** Writes each reference line's label (e.g. "τ = 5") above its right end, so the line explains itself without the legend. */
function labelReferenceLines(plot: uPlot, lines: ReferenceLine[], theme: ThemeColours): void {
  const { ctx, bbox } = plot;
  const ratio = uPlot.pxRatio;
  ctx.save();
  ctx.font = `${Math.round(theme.fontSize * ratio)}px ${theme.fontFamily}`;
  ctx.fillStyle = theme.foreground;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  for (const line of lines) {
    const y = plot.valToPos(line.value, 'y', true);
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.fillText(line.label, bbox.left + bbox.width - 4 * ratio, y - 2 * ratio);
  }
  ctx.restore();
}

/** The sentences under the gradient-norm chart: what clipping did in each run. */
class ClippingNotes {
  private runs: DashboardRunInfo[] = [];
  private readonly tallies = new Map<string, ClippingTally>();

  constructor(private readonly element: HTMLElement) {}

  setRuns(runs: DashboardRun[]): void {
    this.runs = runs.map((run) => run.info);
    this.tallies.clear();
    for (const run of runs) {
      const tally = emptyTally();
      addToTally(tally, run.steps);
      this.tallies.set(run.info.id, tally);
    }
  }

  add(runId: string, steps: StepRecord[]): void {
    const tally = this.tallies.get(runId);
    if (tally) addToTally(tally, steps);
  }

  render(colourOf: (runId: string) => number): void {
    const names = legendNames(this.runs);
    this.element.replaceChildren(
      ...this.runs.map((run) => {
        const line = document.createElement('div');
        line.className = 'clip-note-line';
        line.dataset.runId = run.id;
        const swatch = line.appendChild(document.createElement('span'));
        swatch.className = 'run-swatch';
        swatch.style.backgroundColor = runColourVariable(colourOf(run.id));
        const text = line.appendChild(document.createElement('span'));
        text.textContent = `${this.runs.length > 1 ? `${names.get(run.id)}: ` : ''}${clippingSentence(run, this.tallies.get(run.id) ?? emptyTally())}`;
        return line;
      }),
    );
  }
}

/** The three charts of the dashboard, each in a panel of `container`. */
export class DashboardCharts {
  private readonly charts: MetricChart[];
  private readonly clipping: ClippingNotes;
  private readonly resizeObserver: ResizeObserver;
  private redrawPending = false;

  constructor(
    container: HTMLElement,
    private theme: ThemeColours,
    private options: ChartOptions,
  ) {
    let clipNote: HTMLElement | undefined;
    this.charts = CHARTS.map((definition) => {
      const panel = container.appendChild(document.createElement('section'));
      panel.className = 'chart-panel';
      panel.dataset.chart = definition.id;
      const heading = panel.appendChild(document.createElement('h2'));
      heading.textContent = definition.title;
      if (definition.marksStops) {
        clipNote = panel.appendChild(document.createElement('div'));
        clipNote.className = 'chart-note clip-note';
      }
      const body = panel.appendChild(document.createElement('div'));
      body.className = 'chart-body';
      return new MetricChart(definition, body);
    });
    this.clipping = new ClippingNotes(clipNote ?? container.appendChild(document.createElement('div')));
    // Width follows the panel; height is fixed so the observer cannot feed itself.
    this.resizeObserver = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const chart = this.charts.find((c) => c.body === entry.target);
        chart?.resize(Math.floor(entry.contentRect.width));
      }
    });
    for (const chart of this.charts) this.resizeObserver.observe(chart.body);
  }

  setRuns(runs: DashboardRun[]): void {
    for (const chart of this.charts) chart.setRuns(runs, this.theme, this.options);
    this.clipping.setRuns(runs);
    this.clipping.render((id) => this.options.colourOf(id));
  }

  append(runId: string, steps: StepRecord[], evals: EvalRecord[]): void {
    let added = false;
    for (const chart of this.charts) added = chart.addRecords(runId, steps, evals) || added;
    this.clipping.add(runId, steps);
    if (added) this.scheduleRedraw();
  }

  setTheme(theme: ThemeColours): void {
    this.theme = theme;
    for (const chart of this.charts) chart.rebuild(theme, this.options);
  }

  setOptions(options: ChartOptions): void {
    this.options = options;
    for (const chart of this.charts) chart.rebuild(this.theme, options);
  }

  private scheduleRedraw(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    requestAnimationFrame(() => {
      this.redrawPending = false;
      for (const chart of this.charts) chart.redraw();
      this.clipping.render((id) => this.options.colourOf(id));
    });
  }
}
