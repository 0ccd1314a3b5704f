/**
 * Starting a run and resuming one: both read the corpus, build a trainer and
 * hand a TrainingJob to the loop; they differ in where the weights, the
 * vocabulary and the run folder come from.
 */
import * as path from 'path';
import { CorpusError, describeSkipped } from '../../core/corpus';
import { RUN_FILES, type RunInfo } from '../../core/runFormat';
import { RunFolder, ensureWritableDirectory, newRunId } from '../../core/runStore';
import { SpecError, validateModelSpec, validateTrainingSpec } from '../../core/spec';
import { Vocabulary } from '../../core/vocabulary';
import type { ResumeParams, TrainParams } from '../../protocol/engine';
import { CheckpointError, checkVocabularyMatches, loadCheckpoint, restoreOptimizer, restoreState, type LoadedCheckpoint } from '../checkpoint';
import { GradientFlowProbe } from './gradientFlowProbe';
import { runTrainingLoop, type TrainerEvents, type TrainingJob, type TrainOutcome } from './trainingLoop';
import {
  batchData,
  createTrainer,
  prepareData,
  summarizeCorpus,
  type CorpusFilters,
  type PreparedData,
  type RunnerRequest,
  type Trainer,
} from './trainingSetup';

/** A new training: the same shape the engine protocol carries (defined once there). */
export type TrainRequest = TrainParams & Pick<RunnerRequest, 'exitDuringStep'>;
export type ResumeRequest = ResumeParams;

/** Something the user gave us is wrong (exit 2 territory is decided by the CLI; this is a runtime failure with a clear message). */
export class TrainingSetupError extends Error {}

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
 */
function launch(
  trainer: Trainer,
  data: PreparedData,
  openRun: () => Omit<TrainingJob, 'model' | 'optimizer' | 'runner' | 'vocab'>,
  events: TrainerEvents,
  signal: AbortSignal | undefined,
): StartedTraining {
  let job: TrainingJob;
  try {
    job = { ...openRun(), model: trainer.model, optimizer: trainer.optimizer, runner: trainer.runner, vocab: data.vocab };
  } catch (err) {
    trainer.release();
    throw err;
  }
  const outcome = runTrainingLoop(job, events, signal, [new GradientFlowProbe()]).finally(() => trainer.release());
  return { run: job.run, info: job.info, skippedSummary: describeSkipped(data.corpus.skipped, job.info.training.maxFileBytes), outcome };
}

/**
 * Starts a new run: validates everything and reads the corpus first, so that a
 * bad request fails before any run folder exists; then creates the folder and
 * trains. Resolves once training has started; `outcome` resolves at the end.
 */
export async function startTraining(request: TrainRequest, events: TrainerEvents = {}, signal?: AbortSignal): Promise<StartedTraining> {
  const training = validateTrainingSpec({ ...request.training });
  if (request.model.bidirectional) {
    throw new SpecError('bidirectional layers see the future: a language model cannot use them');
  }
  validateModelSpec({ ...request.model, vocabSize: 2 });
  ensureWritableDirectory(request.outDir);
  const filters: CorpusFilters = { include: request.include, exclude: request.exclude };
  const data = await prepareData(request.inputs, filters, training);
  const modelSpec = validateModelSpec({ ...request.model, vocabSize: data.vocab.size });
  const { batcher, validation, gradFlowWindow } = batchData(data, training);
  if (training.epochs !== undefined) training.steps = Math.max(1, Math.ceil(training.epochs * batcher.windowsPerEpoch));
  const trainer = await createTrainer(modelSpec, training, request);
  return launch(
    trainer,
    data,
    () => {
      const run = RunFolder.create(request.outDir, newRunId(modelSpec.cell, modelSpec.layers, modelSpec.hidden));
      const now = new Date().toISOString();
      const info: RunInfo = {
        format: 'rnnlab-run',
        version: 1,
        id: run.id,
        status: 'running',
        createdAt: now,
        updatedAt: now,
        model: modelSpec,
        training,
        corpus: summarizeCorpus(request.inputs, filters, data),
        backend: trainer.backend,
        progress: { step: 0, totalSteps: training.steps, epoch: 0 },
        timings: { trainingMs: 0, startedAt: now },
      };
      run.writeVocabulary(data.vocab.toJSON());
      run.writeInfo(info);
      return { run, info, batcher, validation, gradFlowWindow, startStep: 0, state: undefined };
    },
    events,
    signal,
  );
}

/**
 * Continues a run from its newest checkpoint: same vocabulary, weights,
 * optimizer moments, carried state and data position. The corpus is read
 * again from the run's recorded inputs.
 */
export async function resumeTraining(request: ResumeRequest, events: TrainerEvents = {}, signal?: AbortSignal): Promise<StartedTraining> {
  const run = RunFolder.open(request.runDir);
  const info = run.readInfo();
  if (!info.checkpoint) throw new CheckpointError(`run ${run.id} has no checkpoint to resume from`);
  const loaded = loadCheckpoint(path.join(run.dir, info.checkpoint));
  const vocab = Vocabulary.fromJSON(run.readVocabulary());
  checkVocabularyMatches(loaded, vocab, RUN_FILES.vocab);
  const training = { ...info.training };
  if (request.steps !== undefined) training.steps = request.steps;
  validateTrainingSpec(training);
  if (loaded.manifest.step >= training.steps) {
    throw new TrainingSetupError(
      `run ${run.id} already has ${loaded.manifest.step} of ${training.steps} steps: pass --steps with a larger total to train further`,
    );
  }
  const data = await prepareData(info.corpus.inputs, { include: info.corpus.include, exclude: info.corpus.exclude }, training, vocab).catch((err: unknown) => {
    if (err instanceof CorpusError) throw new CorpusError(`cannot resume ${run.id}: ${err.message}`);
    throw err;
  });
  const { batcher, validation, gradFlowWindow } = batchData(data, training, loaded.manifest.position);
  const trainer = await createTrainer(info.model, training, request, (model, optimizer) =>
    restoreWeights(model, optimizer, loaded, `checkpoint ${info.checkpoint} does not fit run ${run.id}`),
  );
  return launch(
    trainer,
    data,
    () => {
      const resumed: RunInfo = {
        ...info,
        training,
        backend: trainer.backend,
        status: 'running',
        message: undefined,
        nonFinite: undefined,
        progress: { ...info.progress, step: loaded.manifest.step, totalSteps: training.steps },
        resumedAt: [...(info.resumedAt ?? []), loaded.manifest.step],
      };
      delete resumed.timings.finishedAt;
      // Metrics and samples past the checkpoint belong to steps that will be trained again.
      run.truncateHistoryAfter(loaded.manifest.step);
      return { run, info: resumed, batcher, validation, gradFlowWindow, startStep: loaded.manifest.step, state: restoreState(loaded) };
    },
    events,
    signal,
  );
}

async function restoreWeights(model: TrainingJob['model'], optimizer: TrainingJob['optimizer'], loaded: LoadedCheckpoint, problem: string): Promise<void> {
  try {
    model.setWeights(loaded.weights);
    await restoreOptimizer(optimizer, loaded);
  } catch (err) {
    throw new CheckpointError(`${problem}: ${(err as Error).message}`);
  }
}
