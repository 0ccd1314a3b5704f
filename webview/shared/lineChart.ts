/**
 * A uPlot line chart of series that each have their own x values (steps,
 * seconds, distances): they are aligned on the union of the x values, with
 * gaps where a series has none. Width follows the container; markers (a
 * vertical line with a label, e.g. where a run stopped) are drawn on top.
 */
import uPlot from 'uplot';
import type { ThemeColours } from './theme';
import { LINE_STYLES, legendMarkers, type LineStyle } from './lineStyles';

export interface LineSeries {
  label: string;
  colour: string;
  x: readonly number[];
  y: readonly (number | null)[];
  /** Solid when absent (see lineStyles.ts). */
  style?: LineStyle;
  /** A dot on every point (sparse series such as evaluations). */
  markers?: boolean;
}

export interface VerticalMarker {
  x: number;
  label: string;
  colour: string;
}

export interface LineChartSpec {
  xLabel: string;
  yLabel: string;
  logY: boolean;
  series: LineSeries[];
  markers?: VerticalMarker[];
}

const HEIGHT = 240;

/** The series on one shared, ascending x array (uPlot's aligned layout). */
export function alignSeries(series: readonly LineSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const row = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const column: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    s.x.forEach((x, i) => (column[row.get(x)!] = s.y[i]));
    return column;
  });
  return [xs, ...columns] as uPlot.AlignedData;
}

export class LineChart {
  private plot: uPlot | undefined;
  private readonly observer: ResizeObserver;
  private width = 0;

  constructor(
    readonly body: HTMLElement,
    private readonly className: string,
  ) {
    this.observer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0].contentRect.width);
      if (this.plot && Math.abs(width - this.width) >= 1) {
        this.width = width;
        this.plot.setSize({ width, height: HEIGHT });
      }
    });
    this.observer.observe(body);
  }

  draw(spec: LineChartSpec, theme: ThemeColours): void {
    this.plot?.destroy();
    this.width = this.body.clientWidth;
    // A log scale has no place for zero or negative values: those are gaps.
    const series = spec.logY ? spec.series.map((s) => ({ ...s, y: s.y.map((v) => (v !== null && v > 0 && Number.isFinite(v) ? v : null)) })) : spec.series;
    const data = alignSeries(series);
    this.plot = new uPlot(this.options(spec, series, theme), data, this.body);
    this.body.dataset.points = String(data[0].length);
    this.body.dataset.series = String(series.length);
    this.body.dataset.yLabel = spec.yLabel;
    this.body.dataset.logY = String(spec.logY);
  }

  private options(spec: LineChartSpec, series: LineSeries[], theme: ThemeColours): uPlot.Options {
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
    const markers = spec.markers ?? [];
    // uPlot rounds the splits it hands to `values` (10⁻⁹ can arrive as 0): label the decades we chose.
    let decades: number[] = [];
    const logTicks: Partial<uPlot.Axis> = {
      splits: (_u, _axis, min, max) => (decades = decadeSplits(min, max)),
      values: () => decades.map(powerOfTen),
    };
    const yAxis: uPlot.Axis = { ...axis(spec.yLabel), size: 64, ...(spec.logY ? logTicks : {}) };
    return {
      width: Math.max(this.width, 200),
      height: HEIGHT,
      class: this.className,
      scales: { x: { time: false }, y: spec.logY ? { distr: 3, log: 10 } : {} },
      axes: [axis(spec.xLabel), yAxis],
      series: [
        { label: spec.xLabel },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: LINE_STYLES[s.style ?? 'solid'].width,
          dash: LINE_STYLES[s.style ?? 'solid'].dash,
          spanGaps: true,
          points: s.markers ? { show: true, size: 6, fill: s.colour, stroke: s.colour } : { show: false },
        })),
      ],
      legend: { show: true, live: true, markers: legendMarkers(['solid', ...series.map((s) => LINE_STYLES[s.style ?? 'solid'].legend)]) },
      hooks: { draw: [(plot) => drawMarkers(plot, markers, theme)] },
    };
  }

  dispose(): void {
    this.observer.disconnect();
    this.plot?.destroy();
  }
}

/** Ticks of a log axis at powers of ten, at most about seven of them (a profile can span twenty decades). */
function decadeSplits(min: number, max: number): number[] {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const step = Math.max(1, Math.ceil((hi - lo + 1) / 7));
  const out: number[] = [];
  for (let e = hi; e >= lo; e -= step) out.unshift(10 ** e);
  return out;
}

const SUPERSCRIPTS: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** 0.01 … 1000 as numbers, the rest as 10ⁿ. */
export function powerOfTen(v: number): string {
  if (v >= 0.01 && v <= 1000) return String(Number(v.toPrecision(3)));
  const exponent = String(Math.round(Math.log10(v)));
  return `10${[...exponent].map((c) => SUPERSCRIPTS[c] ?? c).join('')}`;
}

/** A dashed vertical line at each marker's x, its label beside the top. */
export function drawMarkers(plot: uPlot, markers: VerticalMarker[], theme: ThemeColours): void {
  const { ctx, bbox } = plot;
  const ratio = uPlot.pxRatio;
  ctx.save();
  ctx.font = `${Math.round(theme.fontSize * ratio)}px ${theme.fontFamily}`;
  ctx.textBaseline = 'top';
  for (const m of markers) {
    const x = plot.valToPos(m.x, 'x', true);
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.strokeStyle = m.colour;
    ctx.lineWidth = 1.5 * ratio;
    ctx.setLineDash([4 * ratio, 3 * ratio]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.fillStyle = m.colour;
    const right = x > bbox.left + bbox.width / 2;
    ctx.textAlign = right ? 'right' : 'left';
    ctx.fillText(m.label, x + (right ? -4 : 4) * ratio, bbox.top + 2 * ratio);
  }
  ctx.restore();
}
