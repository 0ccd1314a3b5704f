/**
 * The gradient flow over training as a heatmap per run and layer: one row per
 * measurement (steps downwards), one column per distance T − t (left: t = T),
 * colour log₁₀ of the norm on one scale shared by every heatmap shown, from
 * the editor background (smallest) through the theme's blue and green to its
 * yellow (largest). Missing and zero norms stay background.
 */
import type { GradFlowRecord } from '../../src/core/runFormat';
import { cssVariable, type ThemeColours } from '../shared/theme';
import { powerOfTen } from '../shared/lineChart';

export interface HeatmapInput {
  title: string;
  colour: string;
  records: GradFlowRecord[];
}

type Rgb = [number, number, number];

/** A CSS colour as RGB, through a canvas (which normalises any CSS colour syntax to #rrggbb). */
function rgbOf(colour: string): Rgb {
  const ctx = document.createElement('canvas').getContext('2d')!;
  ctx.fillStyle = '#000000';
  ctx.fillStyle = colour;
  const hex = ctx.fillStyle;
  if (!hex.startsWith('#')) return [128, 128, 128];
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

function ramp(stops: Rgb[], f: number): Rgb {
  const x = Math.min(1, Math.max(0, f)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const t = x - i;
  return [0, 1, 2].map((c) => Math.round(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * t)) as Rgb;
}

/** log₁₀ range of every positive finite value. */
export function logRange(profiles: (number | null)[][]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of profiles)
    for (const v of p) {
      if (v === null || !(v > 0) || !Number.isFinite(v)) continue;
      const l = Math.log10(v);
      lo = Math.min(lo, l);
      hi = Math.max(hi, l);
    }
  return Number.isFinite(lo) ? [lo, hi > lo ? hi : lo + 1] : undefined;
}

export function renderHeatmaps(container: HTMLElement, inputs: HeatmapInput[], pick: (r: GradFlowRecord) => (number | null)[], theme: ThemeColours): void {
  const range = logRange(inputs.flatMap((h) => h.records.map(pick)));
  // Background → blue → green → yellow: from the theme, and in the order of viridis.
  const stops = [cssVariable('--vscode-editor-background', '#1e1e1e'), theme.runs[0], theme.runs[2], theme.runs[5]].map(rgbOf);
  container.replaceChildren(...inputs.map((input) => heatmap(input, pick, range, stops)));
  if (range) container.appendChild(legend(range, stops));
}

function heatmap(input: HeatmapInput, pick: (r: GradFlowRecord) => (number | null)[], range: [number, number] | undefined, stops: Rgb[]): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'flow-heatmap';
  const caption = figure.appendChild(document.createElement('figcaption'));
  const swatch = caption.appendChild(document.createElement('span'));
  swatch.className = 'run-swatch';
  swatch.style.backgroundColor = input.colour;
  caption.appendChild(document.createTextNode(input.title));
  const records = [...input.records].sort((a, b) => a.step - b.step);
  const columns = Math.max(0, ...records.map((r) => pick(r).length));
  const canvas = figure.appendChild(document.createElement('canvas'));
  canvas.dataset.rows = String(records.length);
  canvas.dataset.columns = String(columns);
  const axes = figure.appendChild(document.createElement('div'));
  axes.className = 'flow-heatmap-axes';
  axes.textContent =
    records.length > 0 ? `steps ${records[0].step}–${records[records.length - 1].step} (down) × distance T − t 0–${columns - 1} (right)` : 'no measurement yet';
  if (records.length === 0 || columns === 0 || !range) return figure;
  // One pixel per cell, scaled up without smoothing: crisp cells at any size.
  const cells = document.createElement('canvas');
  cells.width = columns;
  cells.height = records.length;
  const ctx = cells.getContext('2d')!;
  const image = ctx.createImageData(columns, records.length);
  const background = stops[0];
  records.forEach((r, row) => {
    const profile = pick(r);
    for (let k = 0; k < columns; k++) {
      const v = profile[k];
      const rgb = v !== null && v !== undefined && v > 0 && Number.isFinite(v) ? ramp(stops, (Math.log10(v) - range[0]) / (range[1] - range[0])) : background;
      image.data.set([...rgb, 255], (row * columns + k) * 4);
    }
  });
  ctx.putImageData(image, 0, 0);
  const width = 360;
  const height = Math.max(48, Math.min(180, records.length * 12));
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const out = canvas.getContext('2d')!;
  out.imageSmoothingEnabled = false;
  out.drawImage(cells, 0, 0, width, height);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${input.title}: gradient norms over ${records.length} measurements and ${columns} distances`);
  return figure;
}

/** The shared colour scale, in powers of ten. */
function legend(range: [number, number], stops: Rgb[]): HTMLElement {
  const box = document.createElement('div');
  box.className = 'flow-legend';
  box.dataset.min = range[0].toFixed(2);
  box.dataset.max = range[1].toFixed(2);
  const low = box.appendChild(document.createElement('span'));
  low.textContent = powerOfTen(10 ** Math.floor(range[0]));
  const bar = box.appendChild(document.createElement('canvas'));
  bar.width = 160;
  bar.height = 10;
  const ctx = bar.getContext('2d')!;
  for (let x = 0; x < 160; x++) {
    const [r, g, b] = ramp(stops, x / 159);
    ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
    ctx.fillRect(x, 0, 1, 10);
  }
  const high = box.appendChild(document.createElement('span'));
  high.textContent = powerOfTen(10 ** Math.ceil(range[1]));
  return box;
}
