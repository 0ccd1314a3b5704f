/**
 * Dash styles by kind of series, the same in every chart of every webview:
 * what a run measured directly (training loss, the norm before clipping) is
 * solid; what is held out or derived (validation, the norm after clipping) is
 * broken. Legends draw each series as a short line in its own colour and dash
 * (see `.u-marker` in base.css), not as uPlot's square, which looked the same
 * for every series of a run.
 */
import type uPlot from 'uplot';

export type LineStyle = 'solid' | 'dashed' | 'dotted';

/** `legend` is the CSS border style of the legend's line swatch. */
export const LINE_STYLES: Record<LineStyle, { dash: number[] | undefined; width: number; legend: string }> = {
  solid: { dash: undefined, width: 1.5, legend: 'solid' },
  dashed: { dash: [7, 4], width: 2, legend: 'dashed' },
  dotted: { dash: [2, 3], width: 2, legend: 'dotted' },
};

/** Reference lines (τ) are dash-dot in the theme's neutral colour, unlike any series. */
export const REFERENCE_DASH = [10, 3, 2, 3];

/** uPlot's legend markers as line swatches: `styles[i]` is the CSS border style of series i (0 is the x series). */
export function legendMarkers(styles: readonly string[]): uPlot.Legend['markers'] {
  return { show: true, width: 3, dash: (_plot: uPlot, i: number) => styles[i] ?? 'solid' };
}
