/**
 * Runs an experiment (docs/architecture.md, "Experiment folders"): its
 * members one after another, each an ordinary run in a sub-folder of the
 * experiment folder, trained by the same code as `train`. Stopping stops the
 * member in training (with its checkpoint) and the experiment; resuming
 * continues that member and starts the ones not begun, or deleted since.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BatchingError, evaluationWindows } from '../../core/batching';
import {
  EXPERIMENT_KINDS,
  newExperimentId,
  type ExperimentInfo,
  type ExperimentKind,
  type ExperimentStatus,
  type ExperimentVariant,
} from '../../core/experiments/experimentFormat';
import { planExperiment, type ExperimentOptions } from '../../core/experiments/experimentPlan';
import { RUN_FILES, type RunInfo } from '../../core/runFormat';
import { ensureWritableDirectory, RunFolder } from '../../core/runStore';
import { gradFlowLength, SpecError, validateModelSpec, validateTrainingSpec, type BackendPreference } from '../../core/spec';
import { resumeTraining, startTraining, type StartedTraining } from '../training/trainingRun';
import type { TrainerEvents, TrainOutcome } from '../training/trainingLoop';
import { batchData, prepareData, type CorpusFilters } from '../training/trainingSetup';
import { ExperimentFolder } from './experimentFolder';

export interface ExperimentRequest {
  kind: ExperimentKind;
  inputs: string[];
  include?: string[];
  exclude?: string[];
  /** Parent folder of the experiment folder (the runs directory). */
  outDir: string;
  options: ExperimentOptions;
  backend: BackendPreference;
  threads?: number;
  /** Restricted Mode: the folders every file read and written must lie in (see TrainParams.confineTo). */
  confineTo?: string[];
}

export interface ResumeExperimentRequest {
  dir: string;
  backend: BackendPreference;
  threads?: number;
}

/** A member starting (or resuming) and finishing. */
export interface MemberEvent {
  /** The experiment folder. */
  dir: string;
  index: number;
  total: number;
  variant: ExperimentVariant;
  runDir: string;
  info: RunInfo;
  resumed: boolean;
  /** What was left out of the corpus, in words. */
  skipped: string;
}

export interface ExperimentEvents {
  /** The member in training's events. */
  training?: TrainerEvents;
  onMember?(member: MemberEvent): void;
  onMemberFinished?(member: MemberEvent, outcome: TrainOutcome): void;
}

export interface ExperimentOutcome {
  status: Exclude<ExperimentStatus, 'running'>;
  info: ExperimentInfo;
  message?: string;
}

export interface StartedExperiment {
  dir: string;
  info: ExperimentInfo;
  outcome: Promise<ExperimentOutcome>;
}

/**
 * Starts an experiment: checks the options and the data (so that a bad
 * request or too little text fails before any folder exists), writes the
 * experiment folder and trains its members. `outcome` resolves at the end.
 */
export async function startExperiment(request: ExperimentRequest, events: ExperimentEvents = {}, signal?: AbortSignal): Promise<StartedExperiment> {
  if (!EXPERIMENT_KINDS.includes(request.kind)) throw new SpecError(`experiment must be one of ${EXPERIMENT_KINDS.join(', ')}; got "${request.kind}"`);
  checkPlan(request.kind, request.options, 2);
  ensureWritableDirectory(request.outDir);
  const filters: CorpusFilters = { include: request.include, exclude: request.exclude };
  const { shared } = planExperiment(request.kind, request.options, 2);
  const data = await prepareData(request.inputs, filters, shared.training);
  requireEnoughData(data.validation, batchData(data, shared.training).gradFlowWindow !== undefined, shared.training);
  const plan = checkPlan(request.kind, request.options, data.vocab.size);
  const now = new Date().toISOString();
  const folder = ExperimentFolder.create(request.outDir, newExperimentId(request.kind));
  const info: ExperimentInfo = {
    format: 'rnnlab-experiment',
    version: 1,
    id: folder.id,
    kind: request.kind,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    inputs: request.inputs.map((i) => path.resolve(i)),
    ...(request.include?.length ? { include: request.include } : {}),
    ...(request.exclude?.length ? { exclude: request.exclude } : {}),
    shared: plan.shared,
    ...(request.kind === 'vanishing' ? { sizing: request.options.sizing ?? 'hidden' } : {}),
    variants: plan.variants,
  };
  folder.writeInfo(info);
  return { dir: folder.dir, info, outcome: runMembers(folder, info, request, events, signal) };
}

/** Continues a stopped or failed experiment where it stopped. */
export async function resumeExperiment(request: ResumeExperimentRequest, events: ExperimentEvents = {}, signal?: AbortSignal): Promise<StartedExperiment> {
  const folder = ExperimentFolder.open(request.dir);
  const info = folder.readInfo();
  if (info.status === 'completed' && info.variants.every((v) => memberState(folder.dir, v).kind === 'done')) {
    // Nothing to train: the outcome is the summary as it stands.
    return { dir: folder.dir, info, outcome: Promise.resolve({ status: 'completed', info }) };
  }
  const resumed: ExperimentInfo = { ...info, status: 'running', message: undefined };
  folder.writeInfo(resumed);
  const members = { inputs: info.inputs, include: info.include, exclude: info.exclude, backend: request.backend, threads: request.threads };
  return { dir: folder.dir, info: resumed, outcome: runMembers(folder, resumed, members, events, signal) };
}

/** Every member's specs, validated; throws a SpecError naming the bad field. */
function checkPlan(kind: ExperimentKind, options: ExperimentOptions, vocabSize: number) {
  const plan = planExperiment(kind, options, vocabSize);
  for (const v of plan.variants) {
    validateModelSpec({ ...v.model, vocabSize });
    validateTrainingSpec({ ...v.training });
  }
  return plan;
}

/** The members compare validation losses and gradient-flow profiles: both need held-out text. */
function requireEnoughData(validation: Int32Array, hasProbeWindow: boolean, training: ExperimentInfo['shared']['training']): void {
  const windows = evaluationWindows(validation, training.batchSize, training.seqLength, 1);
  const T = gradFlowLength(training);
  if (windows.length === 0 || !hasProbeWindow) {
    throw new BatchingError(
      `too little data for an experiment: the validation text has ${validation.length} tokens, and a validation window ` +
        `and the gradient-flow window need at least ${Math.max(training.seqLength, T) + 1}: add files or lower --seq`,
    );
  }
}

type MemberState = { kind: 'pending' } | { kind: 'done' } | { kind: 'resume'; runDir: string } | { kind: 'restart'; why: string };

/** Where a member stands: not begun, done (completed, or stopped by the non-finite guard: that is its result), resumable, or to train again. */
export function memberState(dir: string, variant: ExperimentVariant): MemberState {
  if (!variant.runId) return { kind: 'pending' };
  const runDir = path.join(dir, variant.runId);
  if (!fs.existsSync(path.join(runDir, RUN_FILES.info))) return { kind: 'restart', why: `its run folder ${variant.runId} was deleted` };
  let info: RunInfo;
  try {
    info = RunFolder.open(runDir).readInfo();
  } catch (err) {
    return { kind: 'restart', why: (err as Error).message };
  }
  if (info.status === 'completed' || info.nonFinite || info.progress.step >= variant.training.steps) return { kind: 'done' };
  return info.checkpoint ? { kind: 'resume', runDir } : { kind: 'restart', why: `run ${variant.runId} has no checkpoint` };
}

type MemberRequest = Pick<ExperimentRequest, 'inputs' | 'include' | 'exclude' | 'backend' | 'threads' | 'confineTo'>;

async function runMembers(
  folder: ExperimentFolder,
  info: ExperimentInfo,
  request: MemberRequest,
  events: ExperimentEvents,
  signal: AbortSignal | undefined,
): Promise<ExperimentOutcome> {
  const finish = (status: ExperimentOutcome['status'], message?: string): ExperimentOutcome => {
    info.status = status;
    info.message = message;
    folder.writeInfo(info);
    return { status, info, message };
  };
  try {
    for (const [index, variant] of info.variants.entries()) {
      if (signal?.aborted) return finish('cancelled', 'stopped by the user');
      const state = memberState(folder.dir, variant);
      if (state.kind === 'done') continue;
      const started = await startMember(folder, info, variant, state, request, events, signal);
      const member: MemberEvent = {
        dir: folder.dir,
        index,
        total: info.variants.length,
        variant,
        runDir: started.run.dir,
        info: started.info,
        resumed: state.kind === 'resume',
        skipped: started.skippedSummary,
      };
      events.onMember?.(member);
      const outcome = await started.outcome;
      events.onMemberFinished?.(member, outcome);
      if (outcome.status === 'cancelled')
        return finish('cancelled', `stopped during ${variant.label} (step ${outcome.info.progress.step}); resume the experiment to continue`);
      if (outcome.status === 'failed' && !outcome.info.nonFinite) return finish('failed', `${variant.label} failed: ${outcome.message}`);
    }
    return finish('completed');
  } catch (err) {
    return finish('failed', (err as Error).message);
  }
}

/** Resumes the member from its checkpoint or starts it afresh, and records its run folder in experiment.json. */
async function startMember(
  folder: ExperimentFolder,
  info: ExperimentInfo,
  variant: ExperimentVariant,
  state: Exclude<MemberState, { kind: 'done' }>,
  request: MemberRequest,
  events: ExperimentEvents,
  signal: AbortSignal | undefined,
): Promise<StartedTraining> {
  const { backend, threads } = request;
  if (state.kind === 'resume') return resumeTraining({ runDir: state.runDir, backend, threads }, events.training, signal);
  const started = await startTraining(
    {
      inputs: request.inputs,
      include: request.include,
      exclude: request.exclude,
      model: variant.model,
      training: variant.training,
      outDir: folder.dir,
      backend,
      threads,
      ...(request.confineTo ? { confineTo: request.confineTo } : {}),
    },
    events.training,
    signal,
  );
  variant.runId = started.run.id;
  folder.writeInfo(info);
  return started;
}
