/**
 * Starting a run and resuming one: both read the corpus, build a trainer and
 * hand a TrainingJob to the loop; they differ in where the weights, the
 * vocabulary and the run folder come from.
 */
import * as path from 'path';
import type { BatchPosition, Window } from '../../core/batching';
import { CorpusError, describeSkipped, type SkippedFile } from '../../core/corpus';
import type { WindowSource } from '../../core/tasks/taskBatching';
import { prepareTaskData } from '../tasks/taskPreparation';
import { isInsideReal } from '../../core/paths';
import { RUN_FILES, type CorpusSummary, type RunInfo, type TaskSummary } from '../../core/runFormat';
import { RunFolder, ensureWritableDirectory, newRunId } from '../../core/runStore';
import { listCheckpoints } from '../checkpoint';
import { onnxTaskOf, writeOnnxModel } from '../onnx/onnxExport';
import { hasOnnxModel } from './checkpointer';
import { runCheckpointPath } from '../runModel';
import { corpusSummary, describeCorpusChange } from './corpusChange';
import { checkMemoryFits } from './memoryEstimate';
import { SpecError, taskOf, validateModelSpec, validateTrainingSpec, type ModelSpec, type TrainingSpec } from '../../core/spec';
import { Vocabulary } from '../../core/vocabulary';
import type { ResumeParams, TrainParams } from '../../protocol/engine';
import { CheckpointError, checkVocabularyMatches, loadCheckpoint, restoreOptimizer, restoreState, type LoadedCheckpoint } from '../checkpoint';
import { GradientFlowProbe } from './gradientFlowProbe';
import { TrainingSetupError } from './trainingErrors';
import { runTrainingLoop, type TrainerEvents, type TrainingJob, type TrainOutcome } from './trainingLoop';
import { batchData, createTrainer, prepareData, type CorpusFilters, type RunnerRequest, type Trainer } from './trainingSetup';

/** A new training: the same shape the engine protocol carries (defined once there). */
export type TrainRequest = TrainParams & Pick<RunnerRequest, 'exitDuringStep'> & LockHolder;
export type ResumeRequest = ResumeParams & LockHolder;

interface LockHolder {
  /** Who holds the run's lock, as a second writer is told ("rnn-lab train", "the RNN Lab engine"). */
  lockPurpose?: string;
}

const DEFAULT_LOCK_PURPOSE = 'RNN Lab training';

export { TrainingSetupError };

/** Stopped (Ctrl-C, Stop) before the first step: nothing was created or changed. */
export class TrainingCancelledError extends Error {}

/** The files a run trains on changed since it started; `allowChangedCorpus` resumes on the new text anyway. */
export class CorpusChangedError extends TrainingSetupError {
  constructor(
    readonly runId: string,
    readonly change: string,
  ) {
    super(`the training files of run ${runId} changed since it started (${change}); resume with --allow-changed-corpus to train on the new text anyway`);
  }
}

export interface StartedTraining {
  run: RunFolder;
  info: RunInfo;
  /** What was skipped while gathering files, in words ('' when nothing). */
  skippedSummary: string;
  outcome: Promise<TrainOutcome>;
}

/**
 * Hands the job to the loop once the run folder is ready. Until the loop owns
 * the trainer, any failure (a run folder that cannot be written, a garbled
 * history file) releases it: its worker threads would keep the process alive.
 * The loop's end releases the trainer and the run's lock.
 */
function launch(
  trainer: Trainer,
  data: { vocab: Vocabulary; skipped: SkippedFile[] },
  openRun: () => Omit<TrainingJob, 'model' | 'optimizer' | 'runner' | 'vocab'>,
  events: TrainerEvents,
  signal: AbortSignal | undefined,
): StartedTraining {
  let job: TrainingJob;
  try {
    throwIfStopped(signal);
    job = { ...openRun(), model: trainer.model, optimizer: trainer.optimizer, runner: trainer.runner, vocab: data.vocab };
  } catch (err) {
    trainer.release();
    throw err;
  }
  // The gradient-flow probe measures a language model's loss through time; a task's hooks are its own (trainingLoop.ts).
  const extraHooks = job.info.task ? [] : [new GradientFlowProbe()];
  const outcome = runTrainingLoop(job, events, signal, extraHooks).finally(() => {
    trainer.release();
    job.run.unlock();
  });
  return { run: job.run, info: job.info, skippedSummary: describeSkipped(data.skipped, job.info.training.maxFileBytes), outcome };
}

function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingCancelledError('stopped before the first step: nothing was written');
}

/**
 * Starts a new run: validates everything and reads the corpus first, so that a
 * bad request fails before any run folder exists; then creates the folder and
 * trains. Resolves once training has started; `outcome` resolves at the end.
 */
export async function startTraining(request: TrainRequest, events: TrainerEvents = {}, signal?: AbortSignal): Promise<StartedTraining> {
  const training = validateTrainingSpec({ ...request.training });
  if (request.model.bidirectional && taskOf(request.model) === 'lm') {
    throw new SpecError('bidirectional layers see the future: a language model cannot use them (use --task tag or classify)');
  }
  validateModelSpec({ ...request.model, vocabSize: 2 });
  if (request.confineTo && !isInsideReal(request.outDir, request.confineTo)) {
    throw new TrainingSetupError(`the runs folder ${request.outDir} leads outside the workspace (through a symbolic link): not in Restricted Mode`);
  }
  ensureWritableDirectory(request.outDir);
  const filters: CorpusFilters = { include: request.include, exclude: request.exclude, ...(request.confineTo ? { confineTo: request.confineTo } : {}) };
  const data = await readRunData(request, training, filters);
  throwIfStopped(signal);
  const modelSpec = data.modelSpec;
  checkMemoryFits(modelSpec, training, request);
  const batches = data.batches();
  if (training.epochs !== undefined) training.steps = Math.max(1, Math.ceil(training.epochs * batches.batcher.windowsPerEpoch));
  const trainer = await createTrainer(modelSpec, training, request);
  return launch(
    trainer,
    data,
    () => {
      const now = new Date().toISOString();
      const info: RunInfo = {
        format: 'rnnlab-run',
        version: 1,
        id: '',
        status: 'running',
        createdAt: now,
        updatedAt: now,
        model: modelSpec,
        training,
        corpus: data.corpus,
        backend: trainer.backend,
        progress: { step: 0, totalSteps: training.steps, epoch: 0 },
        timings: { trainingMs: 0, startedAt: now },
        ...(data.task ? { task: data.task } : {}),
      };
      const id = newRunId(modelSpec.cell, modelSpec.layers, modelSpec.hidden);
      const run = RunFolder.create(request.outDir, id, request.lockPurpose ?? DEFAULT_LOCK_PURPOSE, (created) => {
        info.id = created.id;
        created.writeVocabulary(data.vocab.toJSON());
        created.writeInfo(info);
      });
      return { run, info, ...batches, startStep: 0, state: undefined };
    },
    events,
    signal,
  );
}

/** A new run's data, encoded and batched: a language model's text, or a tagger's or classifier's labelled examples. */
interface RunData {
  vocab: Vocabulary;
  modelSpec: ModelSpec;
  corpus: CorpusSummary;
  skipped: SkippedFile[];
  /** The batches, made after the memory check (a plan too large for memory is refused with its estimate first). */
  batches(): { batcher: WindowSource; validation: Window[]; gradFlowWindow?: Window };
  task?: TaskSummary;
}

async function readRunData(request: TrainRequest, training: TrainingSpec, filters: CorpusFilters): Promise<RunData> {
  const task = taskOf(request.model);
  if (task !== 'lm') {
    const prepared = await prepareTaskData(request.inputs, task, training, filters);
    const modelSpec = validateModelSpec({ ...request.model, vocabSize: prepared.vocab.size, classes: prepared.summary.labels.length });
    return { ...prepared, modelSpec, task: prepared.summary, batches: () => prepared };
  }
  const data = await prepareData(request.inputs, filters, training);
  const modelSpec = validateModelSpec({ ...request.model, vocabSize: data.vocab.size });
  const corpus = corpusSummary(request.inputs, filters, data);
  return { vocab: data.vocab, modelSpec, corpus, skipped: data.corpus.skipped, batches: () => batchData(data, training) };
}

/**
 * Continues a run from its newest checkpoint: same vocabulary, weights,
 * optimizer moments, carried state and data position (from step 0 when it was
 * stopped before its first checkpoint). The corpus is read again from the
 * run's recorded inputs and must be the one it started with. The run's lock
 * is held from the start: a second writer is refused before anything is read.
 */
export async function resumeTraining(request: ResumeRequest, events: TrainerEvents = {}, signal?: AbortSignal): Promise<StartedTraining> {
  const run = RunFolder.open(request.runDir);
  run.lock(request.lockPurpose ?? DEFAULT_LOCK_PURPOSE);
  try {
    return await resumeLocked(run, request, events, signal);
  } catch (err) {
    run.unlock();
    throw err;
  }
}

async function resumeLocked(run: RunFolder, request: ResumeRequest, events: TrainerEvents, signal: AbortSignal | undefined): Promise<StartedTraining> {
  const info = run.readInfo();
  const vocab = Vocabulary.fromJSON(run.readVocabulary());
  const { checkpoint, loaded } = resumePoint(run, info, vocab);
  const startStep = loaded?.manifest.step ?? 0;
  const training = { ...info.training };
  if (request.steps !== undefined) training.steps = request.steps;
  validateTrainingSpec(training);
  if (startStep >= training.steps) {
    if (loaded && info.status !== 'completed' && startStep === training.steps) return recordCompletion(run, info, vocab, loaded, checkpoint!);
    throw new TrainingSetupError(`run ${run.id} already has ${startStep} of ${training.steps} steps: pass --steps with a larger total to train further`);
  }
  const data = await readResumedData(run.id, info, training, vocab).catch((err: unknown) => {
    if (err instanceof CorpusError) throw new CorpusError(`cannot resume ${run.id}: ${err.message}`);
    throw err;
  });
  const { corpus, change } = data;
  if (change && !request.allowChangedCorpus) throw new CorpusChangedError(run.id, change);
  throwIfStopped(signal);
  checkMemoryFits(info.model, training, request);
  const { batcher, validation, gradFlowWindow } = data.batches();
  if (loaded) setPosition(batcher, loaded.manifest.position);
  const trainer = await createTrainer(
    info.model,
    training,
    request,
    loaded && ((model, optimizer) => restoreWeights(model, optimizer, loaded, `checkpoint ${checkpoint} does not fit run ${run.id}`)),
  );
  return launch(
    trainer,
    data,
    () => {
      const resumed: RunInfo = {
        ...info,
        training,
        corpus: change ? corpus : info.corpus,
        backend: trainer.backend,
        status: 'running',
        message: undefined,
        nonFinite: undefined,
        checkpoint,
        progress: { ...info.progress, step: startStep, totalSteps: training.steps },
        resumedAt: [...(info.resumedAt ?? []), startStep],
        timings: { ...info.timings, finishedAt: undefined },
      };
      // Metrics and samples past the checkpoint belong to steps that will be trained again.
      run.truncateHistoryAfter(startStep);
      return { run, info: resumed, batcher, validation, gradFlowWindow, startStep, state: loaded && restoreState(loaded) };
    },
    events,
    signal,
  );
}
/** A resumed run's data, read again from its recorded inputs and encoded with its vocabulary (and labels). */
async function readResumedData(
  id: string,
  info: RunInfo,
  training: TrainingSpec,
  vocab: Vocabulary,
): Promise<Omit<RunData, 'modelSpec'> & { change?: string }> {
  const filters: CorpusFilters = { include: info.corpus.include, exclude: info.corpus.exclude };
  const task = taskOf(info.model);
  if (task !== 'lm') {
    if (!info.task) throw new TrainingSetupError(`run ${id} is a ${task} run without its labels in ${RUN_FILES.info}`);
    const prepared = await prepareTaskData(info.corpus.inputs, task, training, filters, { vocab, labels: info.task.labels });
    const same = prepared.corpus.fingerprint === info.corpus.fingerprint;
    const counts = (c: CorpusSummary) => `${c.documents} files, ${c.trainTokens.toLocaleString('en-US')} training tokens`;
    return {
      ...prepared,
      task: { ...info.task },
      batches: () => prepared,
      change: same ? undefined : `then ${counts(info.corpus)}, now ${counts(prepared.corpus)}`,
    };
  }
  // The files the run read, no others: what appeared since (an exported .onnx) is neither read nor reported skipped.
  const data = await prepareData(info.corpus.inputs, { ...filters, onlyFiles: info.corpus.files }, training, vocab);
  const corpus = corpusSummary(info.corpus.inputs, filters, data);
  return { vocab, corpus, skipped: data.corpus.skipped, batches: () => batchData(data, training), change: describeCorpusChange(info.corpus, corpus, data) };
}

/** Where a resumed run's data stood; a corpus that changed size starts the next epoch. */
function setPosition(batcher: WindowSource, position: BatchPosition): void {
  try {
    batcher.setPosition(position);
  } catch {
    batcher.setPosition({ epoch: position.epoch + 1, window: 0 });
  }
}

/**
 * A run whose last step is checkpointed but whose process ended before
 * recording that (killed, or a full disk): resuming writes what the end of
 * training writes (model.onnx, run.json `completed`) and trains nothing.
 */
function recordCompletion(run: RunFolder, info: RunInfo, vocab: Vocabulary, loaded: LoadedCheckpoint, checkpoint: string): StartedTraining {
  const { model, step } = loaded.manifest;
  if (hasOnnxModel(model))
    writeOnnxModel(run.file(RUN_FILES.onnx), { spec: model, weights: loaded.weights, vocab, step, runId: run.id, task: onnxTaskOf(info) });
  const now = new Date().toISOString();
  const completed: RunInfo = {
    ...info,
    status: 'completed',
    message: undefined,
    checkpoint,
    progress: { ...info.progress, step },
    timings: { ...info.timings, finishedAt: now },
  };
  run.writeInfo(completed);
  run.unlock();
  return { run, info: completed, skippedSummary: '', outcome: Promise.resolve({ status: 'completed', info: completed }) };
}

/** The checkpoint to resume from (run.json's, else the newest on disk), or none: a run stopped before its first checkpoint starts again at step 0. */
function resumePoint(run: RunFolder, info: RunInfo, vocab: Vocabulary): { checkpoint?: string; loaded?: LoadedCheckpoint } {
  if (!info.checkpoint && listCheckpoints(run.dir).length === 0) return {};
  const checkpoint = runCheckpointPath(run, info);
  const loaded = loadCheckpoint(path.join(run.dir, checkpoint));
  checkVocabularyMatches(loaded, vocab, RUN_FILES.vocab);
  return { checkpoint, loaded };
}

async function restoreWeights(model: TrainingJob['model'], optimizer: TrainingJob['optimizer'], loaded: LoadedCheckpoint, problem: string): Promise<void> {
  try {
    model.setWeights(loaded.weights);
    await restoreOptimizer(optimizer, loaded);
  } catch (err) {
    throw new CheckpointError(`${problem}: ${(err as Error).message}`);
  }
}
