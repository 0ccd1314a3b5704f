/**
 * What an experiment found, per member: the numbers the CLI prints (table or
 * `--json`, see issue #12's contract) and the Runs view shows. Read from the
 * member run folders; a member not started yet or deleted is listed as such.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RUN_FILES, type GradFlowRecord, type RunInfo, type RunStatus } from '../runFormat';
import { bitsPerCharacter } from '../runLabels';
import { RunFolder, readJsonLines } from '../runStore';
import { parameterCount } from '../spec';
import type { ExperimentInfo, ExperimentKind, ExperimentStatus, ExperimentVariant } from './experimentFormat';

/** ‖∂L_T/∂h_{T−k}‖ / ‖∂L_T/∂h_T‖ at k = 10, 50 and T − 1; null where the window is shorter or a norm is missing. */
export interface FlowRatios {
  k10: number | null;
  k50: number | null;
  kLast: number | null;
}

export interface MemberSummary {
  name: string;
  label: string;
  /** The member's run folder (absolute), or null before it started. */
  runDir: string | null;
  /** `pending`: not started; `missing`: its folder was deleted. */
  status: RunStatus | 'pending' | 'missing';
  cell: string;
  clipMode: string;
  clipValue: number;
  hidden: number;
  layers: number;
  parameters: number | null;
  steps: number;
  finalValBitsPerChar: number | null;
  bestValBitsPerChar: number | null;
  finalLossBitsPerChar: number | null;
  maxLossBitsPerChar: number | null;
  maxGradNorm: number | null;
  maxClippedGradNorm: number | null;
  stoppedNonFinite: boolean;
  /** The step whose loss or gradient was not finite. */
  nonFiniteStep: number | null;
  /** Per layer ("0", "1", …), from the last recorded profile. */
  gradFlow: Record<string, FlowRatios>;
  gradFlowStep: number | null;
  gradFlowLength: number | null;
}

export interface ExperimentSummary {
  kind: ExperimentKind;
  dir: string;
  status: ExperimentStatus;
  message?: string;
  runs: MemberSummary[];
}

/** The ratios of one ‖∂L_T/∂h_t‖ profile, index k = distance from the window's end. */
export function flowRatios(lastLoss: readonly (number | null)[]): FlowRatios {
  const at = (k: number): number | null => {
    const base = lastLoss[0];
    const value = lastLoss[k];
    if (k < 1 || k >= lastLoss.length || base == null || value == null || !(base > 0)) return null;
    return value / base;
  };
  return { k10: at(10), k50: at(50), kLast: at(lastLoss.length - 1) };
}

export function summarizeExperiment(dir: string, info: ExperimentInfo): ExperimentSummary {
  return {
    kind: info.kind,
    dir,
    status: info.status,
    ...(info.message ? { message: info.message } : {}),
    runs: info.variants.map((variant) => summarizeMember(dir, variant)),
  };
}

function summarizeMember(dir: string, variant: ExperimentVariant): MemberSummary {
  const empty: MemberSummary = {
    name: variant.name,
    label: variant.label,
    runDir: variant.runId ? path.join(dir, variant.runId) : null,
    status: variant.runId ? 'missing' : 'pending',
    cell: variant.model.cell,
    clipMode: variant.training.clipMode,
    clipValue: variant.training.clipValue,
    hidden: variant.model.hidden,
    layers: variant.model.layers,
    parameters: null,
    steps: 0,
    finalValBitsPerChar: null,
    bestValBitsPerChar: null,
    finalLossBitsPerChar: null,
    maxLossBitsPerChar: null,
    maxGradNorm: null,
    maxClippedGradNorm: null,
    stoppedNonFinite: false,
    nonFiniteStep: null,
    gradFlow: {},
    gradFlowStep: null,
    gradFlowLength: null,
  };
  if (!empty.runDir || !fs.existsSync(path.join(empty.runDir, RUN_FILES.info))) return empty;
  const run = RunFolder.open(empty.runDir);
  return { ...empty, ...measured(run, run.readInfo()) };
}

function measured(run: RunFolder, info: RunInfo): Partial<MemberSummary> {
  const metrics = run.readMetrics();
  const steps = metrics.flatMap((m) => (m.kind === 'step' ? [m] : []));
  const evals = metrics.flatMap((m) => (m.kind === 'eval' && Number.isFinite(m.valLoss) ? [m] : []));
  const bits = (nats: number) => bitsPerCharacter(info, nats);
  const maxOf = (values: number[]) => (values.length > 0 ? Math.max(...values) : null);
  const finiteLosses = steps.map((s) => s.loss).filter(Number.isFinite);
  const flow = lastProfiles(readJsonLines(run.file(RUN_FILES.gradFlow)) as GradFlowRecord[]);
  return {
    status: info.status,
    parameters: parameterCount(info.model),
    steps: info.progress.step,
    finalValBitsPerChar: evals.length > 0 ? bits(evals[evals.length - 1].valLoss) : null,
    bestValBitsPerChar: info.progress.bestValLoss !== undefined ? bits(info.progress.bestValLoss) : null,
    finalLossBitsPerChar: finiteLosses.length > 0 ? bits(finiteLosses[finiteLosses.length - 1]) : null,
    maxLossBitsPerChar: finiteLosses.length > 0 ? bits(Math.max(...finiteLosses)) : null,
    maxGradNorm: maxOf(steps.map((s) => s.gradNorm).filter(Number.isFinite)),
    maxClippedGradNorm: maxOf(steps.map((s) => s.clippedGradNorm).filter(Number.isFinite)),
    stoppedNonFinite: info.nonFinite !== undefined,
    nonFiniteStep: info.nonFinite?.step ?? null,
    gradFlow: Object.fromEntries(flow.map((r) => [String(r.layer), flowRatios(r.lastLoss)])),
    gradFlowStep: flow[0]?.step ?? null,
    gradFlowLength: flow[0]?.lastLoss.length ?? null,
  };
}

/** The records of the last step that has any, one per layer, in layer order. */
export function lastProfiles(records: GradFlowRecord[]): GradFlowRecord[] {
  if (records.length === 0) return [];
  const step = Math.max(...records.map((r) => r.step));
  const byLayer = new Map<number, GradFlowRecord>();
  for (const r of records) if (r.step === step) byLayer.set(r.layer, r);
  return [...byLayer.values()].sort((a, b) => a.layer - b.layer);
}
