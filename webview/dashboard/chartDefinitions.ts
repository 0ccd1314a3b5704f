/**
 * What each dashboard chart shows: its series per run, how a metrics record
 * becomes a point, and its reference lines. No drawing here (see charts.ts).
 */
import { natsToBits } from '../../src/core/units';
import type { DashboardRunInfo } from '../../src/protocol/dashboard';
import type { EvalRecord, StepRecord } from '../../src/protocol/engine';
import type { LineStyle } from '../shared/lineStyles';

export type ChartId = 'loss' | 'gradNorm' | 'speed';

/** One line per run. */
export interface MetricSeries {
  /** Shown after the run's label in the legend. */
  name: string;
  fromStep?: (record: StepRecord) => number | null;
  fromEval?: (record: EvalRecord) => number | null;
  /** The kind of line: the same kind looks the same in every chart (see shared/lineStyles.ts). */
  style: LineStyle;
  /** The series' shade in its run's colour family (0: the run's colour; see colourFamily.ts). */
  shade: number;
  /** Sparse series (evaluations) get a marker on each point. */
  markers?: boolean;
}

/** A horizontal line across the chart, e.g. the clipping threshold τ. */
export interface ReferenceLine {
  label: string;
  value: number;
}

export interface ChartDefinition {
  id: ChartId;
  title: string;
  yLabel(runs: DashboardRunInfo[]): string;
  logScale(options: { logScaleLoss: boolean }): boolean;
  metrics: MetricSeries[];
  referenceLines(runs: DashboardRunInfo[]): ReferenceLine[];
  /** Mark the step where a run stopped on a non-finite loss or gradient. */
  marksStops?: boolean;
}

/** Records carry null where JSON could not hold NaN or ±Infinity: those are gaps. */
const finite = (value: number | null): number | null => (value !== null && Number.isFinite(value) ? value : null);
/** A log scale has no place for zero or negative values. */
const positive = (value: number | null): number | null => (value !== null && Number.isFinite(value) && value > 0 ? value : null);
const bits = (nats: number | null): number | null => {
  const value = finite(nats);
  return value === null ? null : natsToBits(value);
};

/** "character" when every run reads characters, else "token". */
export function tokenUnit(runs: DashboardRunInfo[]): 'character' | 'token' {
  return runs.length > 0 && runs.every((run) => run.resolution === 'char') ? 'character' : 'token';
}

export const CHARTS: readonly ChartDefinition[] = [
  {
    id: 'loss',
    title: 'Loss',
    yLabel: (runs) => `bits per ${tokenUnit(runs)}`,
    logScale: ({ logScaleLoss }) => logScaleLoss,
    metrics: [
      { name: 'train', fromStep: (r) => bits(r.loss), style: 'solid', shade: 0 },
      { name: 'validation', fromEval: (r) => bits(r.valLoss), style: 'dashed', shade: 1, markers: true },
    ],
    referenceLines: () => [],
  },
  {
    id: 'gradNorm',
    title: 'Global gradient norm',
    yLabel: () => '‖g‖ (log scale)',
    logScale: () => true,
    metrics: [
      { name: 'before clipping', fromStep: (r) => positive(r.gradNorm), style: 'solid', shade: 0 },
      { name: 'after clipping', fromStep: (r) => positive(r.clippedGradNorm), style: 'dotted', shade: 1 },
    ],
    referenceLines: clippingThresholds,
    marksStops: true,
  },
  {
    id: 'speed',
    title: 'Training speed',
    // The engine counts the characters a step's tokens stand for, over its last seconds of steps (engine/training/throughput.ts).
    yLabel: () => 'chars/s (last 10 s)',
    logScale: () => false,
    metrics: [{ name: 'speed', fromStep: (r) => finite(r.charsPerSec), style: 'solid', shade: 0 }],
    referenceLines: () => [],
  },
];

/**
 * One τ line per distinct threshold among the runs that clip by global norm
 * (value clipping bounds elements, not the norm, so it has no line here).
 */
function clippingThresholds(runs: DashboardRunInfo[]): ReferenceLine[] {
  const thresholds = [...new Set(runs.filter((run) => run.clipMode === 'norm' && run.clipValue > 0).map((run) => run.clipValue))];
  return thresholds.map((value) => ({ label: `τ = ${formatNumber(value)}`, value }));
}

/**
 * Names of runs in chart legends, where space is short: the label's first
 * part ("2×LSTM-128" of "2×LSTM-128 · 20261126-0510") when no other shown run
 * has the same first part, else the whole label. The run headers above the
 * charts always show the whole label next to the same colour.
 */
export function legendNames(runs: DashboardRunInfo[]): Map<string, string> {
  // Members of an experiment share a model: their variant ("no clipping") tells them apart.
  if (runs.length > 0 && runs.every((run) => run.variant) && new Set(runs.map((run) => run.variant)).size === runs.length) {
    return new Map(runs.map((run) => [run.id, run.variant!]));
  }
  const head = (label: string) => label.split(' · ')[0];
  const count = new Map<string, number>();
  for (const run of runs) count.set(head(run.label), (count.get(head(run.label)) ?? 0) + 1);
  return new Map(runs.map((run) => [run.id, count.get(head(run.label)) === 1 ? head(run.label) : run.label]));
}

export function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}
