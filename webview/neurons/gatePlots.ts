/** One small uPlot scatter per layer: each gate's units by how often they are shut (< 0.1) and open (> 0.9). */
import uPlot from 'uplot';
import type { GateSaturationResult } from '../../src/protocol/neuronsView';
import { cssVariable, type ThemeColours } from '../shared/theme';
import { percent } from './format';
import { gatesByLayer, scatterTable } from './gateScatter';

const SIZE = 240;

const GATE_COLOURS: Record<string, string> = {
  i: '--vscode-charts-blue',
  f: '--vscode-charts-green',
  o: '--vscode-charts-orange',
  z: '--vscode-charts-purple',
  r: '--vscode-charts-red',
};

const GATE_NAMES: Record<string, string> = { i: 'input', f: 'forget', o: 'output', z: 'update', r: 'reset' };

export class GatePlots {
  private plots: uPlot[] = [];
  private gates: GateSaturationResult[] = [];

  constructor(
    private readonly container: HTMLElement,
    private theme: ThemeColours,
  ) {}

  show(gates: GateSaturationResult[]): void {
    this.gates = gates;
    this.render();
  }

  setTheme(theme: ThemeColours): void {
    this.theme = theme;
    if (this.gates.length) this.render();
  }

  private render(): void {
    for (const plot of this.plots) plot.destroy();
    this.plots = [];
    if (this.gates.length === 0) {
      const p = document.createElement('p');
      p.className = 'note';
      p.textContent = 'A vanilla RNN has no gates.';
      this.container.replaceChildren(p);
      return;
    }
    const intro = document.createElement('p');
    intro.className = 'note';
    intro.textContent =
      'Each point is a unit of a gate: how often it is nearly shut (< 0.1, left-saturated) and nearly open (> 0.9, right-saturated) ' +
      'over the text. Forget gates open most of the time belong to cells that remember over long spans.';
    const row = document.createElement('div');
    row.className = 'gate-plots';
    this.container.replaceChildren(intro, row);
    const bidirectional = this.gates.some((g) => g.direction === 'backward');
    for (const { layer, direction, gates } of gatesByLayer(this.gates)) {
      const panel = row.appendChild(document.createElement('figure'));
      panel.className = 'gate-plot';
      panel.dataset.layer = String(layer);
      if (bidirectional) panel.dataset.direction = direction ?? 'forward';
      const caption = panel.appendChild(document.createElement('figcaption'));
      caption.textContent = bidirectional ? `Layer ${layer} ${direction === 'backward' ? '← backward' : '→ forward'}` : `Layer ${layer}`;
      const body = panel.appendChild(document.createElement('div'));
      body.className = 'chart-body';
      const table = scatterTable(gates);
      body.dataset.points = String(table.x.length);
      const summary = panel.appendChild(document.createElement('p'));
      summary.className = 'gate-summary';
      summary.textContent = gates.map((g) => `${g.gate}: ${percent(g.meanLeft)} shut, ${percent(g.meanRight)} open`).join(' · ');
      this.plots.push(new uPlot(this.options(table.gates), [table.x, ...table.y], body));
    }
  }

  private options(gates: string[]): uPlot.Options {
    const theme = this.theme;
    const font = `${theme.fontSize}px ${theme.fontFamily}`;
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: theme.foreground,
      font,
      labelFont: font,
      labelSize: 16,
      size: 36,
      values: (_plot, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`),
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
    });
    return {
      width: SIZE,
      height: SIZE,
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
      axes: [axis('shut (< 0.1)'), { ...axis('open (> 0.9)'), size: 48 }],
      series: [
        { label: 'shut' },
        ...gates.map((gate): uPlot.Series => {
          const colour = cssVariable(GATE_COLOURS[gate] ?? '--vscode-foreground', theme.foreground);
          return {
            label: `${gate} (${GATE_NAMES[gate] ?? gate})`,
            stroke: colour,
            width: 0,
            paths: () => null,
            points: { show: true, size: 5, stroke: colour, fill: colour },
          };
        }),
      ],
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      legend: { show: true, live: false },
    };
  }
}
