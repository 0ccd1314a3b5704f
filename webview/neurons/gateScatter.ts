/**
 * Gate saturation as scatter data (Karpathy et al. 2015, fig. 3): one point
 * per unit of a gate, x the fraction of steps it is left-saturated (< 0.1),
 * y the fraction right-saturated (> 0.9). uPlot wants one ascending x column
 * shared by every series, so the points of all a layer's gates are sorted by
 * x and each gate's column holds null on the other gates' rows. Pure (no DOM).
 */
import type { GateSaturationResult } from '../../src/protocol/neuronsView';

export interface ScatterTable {
  gates: GateSaturationResult['gate'][];
  /** x of every point, ascending. */
  x: number[];
  /** Per gate: y on its own rows, null elsewhere. */
  y: (number | null)[][];
  /** The unit behind each row. */
  unit: number[];
}

export function scatterTable(gates: readonly GateSaturationResult[]): ScatterTable {
  const points: { x: number; y: number; gate: number; unit: number }[] = [];
  gates.forEach((g, gate) => g.left.forEach((x, unit) => points.push({ x, y: g.right[unit], gate, unit })));
  points.sort((a, b) => a.x - b.x || a.gate - b.gate || a.unit - b.unit);
  return {
    gates: gates.map((g) => g.gate),
    x: points.map((p) => p.x),
    y: gates.map((_, gate) => points.map((p) => (p.gate === gate ? p.y : null))),
    unit: points.map((p) => p.unit),
  };
}

/** Each layer's gates, layers in order; a bidirectional layer's directions apart, forward first. */
export function gatesByLayer(gates: readonly GateSaturationResult[]): { layer: number; direction?: 'backward'; gates: GateSaturationResult[] }[] {
  const layers = [...new Set(gates.map((g) => g.layer))].sort((a, b) => a - b);
  return layers.flatMap((layer) => {
    const forward = gates.filter((g) => g.layer === layer && g.direction !== 'backward');
    const backward = gates.filter((g) => g.layer === layer && g.direction === 'backward');
    return [...(forward.length ? [{ layer, gates: forward }] : []), ...(backward.length ? [{ layer, direction: 'backward' as const, gates: backward }] : [])];
  });
}
