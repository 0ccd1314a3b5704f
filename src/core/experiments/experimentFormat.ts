/**
 * Experiment folders (docs/architecture.md, "Experiment folders"): a folder in
 * the runs directory holding `experiment.json` and its member run folders. The
 * experiment is a controlled comparison: members share one spec, data, seed
 * and data order and differ only in their variant's fields.
 */
import type { ModelSpec, TrainingSpec } from '../spec';

export const EXPERIMENT_FILE = 'experiment.json';

export type ExperimentKind = 'clipping' | 'vanishing';
export const EXPERIMENT_KINDS: readonly ExperimentKind[] = ['clipping', 'vanishing'];

export type ExperimentStatus = 'running' | 'completed' | 'cancelled' | 'failed';

/** Vanishing: the cells get the same hidden size, or hidden sizes that give about the same parameter count. */
export type ExperimentSizing = 'hidden' | 'parameters';

export type MemberModel = Omit<ModelSpec, 'vocabSize'>;

/** One member of an experiment: its full specs and, once started, its run folder (a sub-folder of the experiment). */
export interface ExperimentVariant {
  /** Short and stable: `clip-norm`, `clip-value`, `no-clip`; `rnn`, `lstm`, `gru`. */
  name: string;
  /** For people: "norm clipping τ = 1". */
  label: string;
  model: MemberModel;
  training: TrainingSpec;
  /** The member's run folder name inside the experiment folder; absent until it starts. */
  runId?: string;
}

export interface ExperimentInfo {
  format: 'rnnlab-experiment';
  version: 1;
  id: string;
  kind: ExperimentKind;
  status: ExperimentStatus;
  createdAt: string;
  updatedAt: string;
  /** The files, as a run records them (absolute), and the filters applied under folders. */
  inputs: string[];
  include?: string[];
  exclude?: string[];
  /** What every member shares; each variant lists its full specs, which differ from these only in its own fields. */
  shared: { model: MemberModel; training: TrainingSpec };
  sizing?: ExperimentSizing;
  variants: ExperimentVariant[];
  /** Why it stopped, for `cancelled` and `failed`. */
  message?: string;
}

/** A fresh experiment folder name: time and kind, e.g. `20261126-053012-experiment-clipping`. */
export function newExperimentId(kind: ExperimentKind, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-experiment-${kind}`;
}
