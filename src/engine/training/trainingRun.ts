import * as path from 'path';
import { StreamBatcher, evaluationWindows } from '../../core/batching';
import { CorpusError, describeSkipped, gatherCorpus, requireDocuments, splitByDocument, type GatheredCorpus } from '../../core/corpus';
import { RUN_FILES, type BackendInfo, type CorpusSummary, type RunInfo } from '../../core/runFormat';
import { SpecError, validateModelSpec, validateTrainingSpec, type TrainingSpec } from '../../core/spec';
import type { ResumeParams, TrainParams } from '../../protocol/engine';
import { Vocabulary } from '../../core/vocabulary';
import { initBackend } from '../backend';
import { CheckpointError, checkVocabularyMatches, loadCheckpoint, restoreOptimizer, restoreState } from '../checkpoint';
import { RecurrentModel } from '../model';
import { createOptimizer } from './optimizers';
import { RunFolder, ensureWritableDirectory, newRunId } from '../../core/runStore';
import { MAX_EVAL_WINDOWS, runTrainingLoop, type TrainerEvents, type TrainOutcome } from './trainingLoop';
import { chooseStepRunner, type ChosenStepRunner } from './stepRunner';
import type * as tf from '../tfjs';
import type { FusedStepperOptions } from '../fused/fusedStepper';

/** A new training: the same shape the engine protocol carries (defined once there). */
export type TrainRequest = TrainParams & {
  /** Tests only: a fused worker thread exits during a given step (see FusedStepperOptions). */
  exitDuringStep?: FusedStepperOptions['exitDuringStep'];
};
export type ResumeRequest = ResumeParams;

/** Something the user gave us is wrong (exit 2 territory is decided by the CLI; this is a runtime failure with a clear message). */
export class TrainingSetupError extends Error {}

interface PreparedData {
  corpus: GatheredCorpus;
  vocab: Vocabulary;
  train: Int32Array;
  validation: Int32Array;
  trainDocuments: number;
  validationDocuments: number;
}

/**
 * Reads and splits the corpus and encodes it. With a vocabulary given (resume)
 * it is reused; otherwise one is built from the training split only.
 */
interface CorpusFilters {
  include?: string[];
  exclude?: string[];
}

async function prepareData(inputs: string[], filters: CorpusFilters, training: TrainingSpec, existing?: Vocabulary): Promise<PreparedData> {
  const corpus = await gatherCorpus(inputs, { ...filters, maxFileBytes: training.maxFileBytes });
  requireDocuments(corpus);
  const split = splitByDocument(corpus.documents, training.validationFraction, training.seed);
  const join = (docs: { text: string }[]) => docs.map((d) => (d.text.endsWith('\n') ? d.text : d.text + '\n')).join('');
  const trainText = join(split.train);
  const vocab = existing ?? Vocabulary.build(training.resolution, [trainText], { minCount: training.minTokenCount });
  let train = vocab.encode(trainText);
  let validation = vocab.encode(join(split.validation));
  if (split.validation.length === 0 && training.validationFraction > 0) {
    // One document: hold out its end.
    const cut = Math.floor(train.length * (1 - training.validationFraction));
    validation = train.slice(cut);
    train = train.slice(0, cut);
  }
  return { corpus, vocab, train, validation, trainDocuments: split.train.length, validationDocuments: split.validation.length };
}

function summarize(inputs: string[], filters: CorpusFilters, data: PreparedData): CorpusSummary {
  const skipped: CorpusSummary['skipped'] = {};
  for (const s of data.corpus.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
  return {
    inputs: inputs.map((i) => path.resolve(i)),
    ...(filters.include?.length ? { include: filters.include } : {}),
    ...(filters.exclude?.length ? { exclude: filters.exclude } : {}),
    documents: data.corpus.documents.length,
    trainDocuments: data.trainDocuments,
    validationDocuments: data.validationDocuments,
    trainTokens: data.train.length,
    validationTokens: data.validation.length,
    characters: data.corpus.documents.reduce((n, d) => n + d.text.length, 0),
    skipped,
    skippedExamples: data.corpus.skipped.slice(0, 20).map((s) => ({ path: s.path, reason: s.reason })),
  };
}

/** The step runner for this model (fused kernels or tfjs ops); if none can start, the model and optimizer are freed. */
async function chooseRunnerOrRelease(
  model: RecurrentModel,
  optimizer: tf.Optimizer,
  training: TrainingSpec,
  tfjsBackend: BackendInfo,
  request: Pick<TrainRequest, 'backend' | 'threads' | 'exitDuringStep'>,
): Promise<ChosenStepRunner> {
  try {
    return await chooseStepRunner({
      model,
      optimizer,
      batch: training.batchSize,
      time: training.seqLength,
      preference: request.backend,
      tfjsBackend,
      threads: request.threads,
      exitDuringStep: request.exitDuringStep,
    });
  } catch (err) {
    optimizer.dispose();
    model.dispose();
    throw err;
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
  const batcher = new StreamBatcher(data.train, training.batchSize, training.seqLength, training.seed);
  if (training.epochs !== undefined) training.steps = Math.max(1, Math.ceil(training.epochs * batcher.windowsPerEpoch));
  const validation = evaluationWindows(data.validation, training.batchSize, training.seqLength, MAX_EVAL_WINDOWS);
  const tfjsBackend = await initBackend(request.backend);
  const model = new RecurrentModel(modelSpec, training.seed);
  const optimizer = createOptimizer(training.optimizer, training.learningRate);
  const { runner, backend } = await chooseRunnerOrRelease(model, optimizer, training, tfjsBackend, request);

  const release = () => {
    runner.dispose(); // worker threads: they would keep the process alive
    optimizer.dispose();
    model.dispose();
  };
  let run: RunFolder;
  let info: RunInfo;
  try {
    run = RunFolder.create(request.outDir, newRunId(modelSpec.cell, modelSpec.layers, modelSpec.hidden));
    const now = new Date().toISOString();
    info = {
      format: 'rnnlab-run',
      version: 1,
      id: run.id,
      status: 'running',
      createdAt: now,
      updatedAt: now,
      model: modelSpec,
      training,
      corpus: summarize(request.inputs, filters, data),
      backend,
      progress: { step: 0, totalSteps: training.steps, epoch: 0 },
      timings: { trainingMs: 0, startedAt: now },
    };
    run.writeVocabulary(data.vocab.toJSON());
    run.writeInfo(info);
  } catch (err) {
    release();
    throw err;
  }
  const outcome = runTrainingLoop({ run, info, model, optimizer, vocab: data.vocab, batcher, validation, startStep: 0, state: undefined, runner }, events, signal).finally(release);
  return { run, info, skippedSummary: describeSkipped(data.corpus.skipped, training.maxFileBytes), outcome };
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
    throw new TrainingSetupError(`run ${run.id} already has ${loaded.manifest.step} of ${training.steps} steps: pass --steps with a larger total to train further`);
  }
  const data = await prepareData(info.corpus.inputs, { include: info.corpus.include, exclude: info.corpus.exclude }, training, vocab).catch((err: unknown) => {
    if (err instanceof CorpusError) throw new CorpusError(`cannot resume ${run.id}: ${err.message}`);
    throw err;
  });
  const batcher = new StreamBatcher(data.train, training.batchSize, training.seqLength, training.seed);
  try {
    batcher.setPosition(loaded.manifest.position);
  } catch {
    batcher.setPosition({ epoch: loaded.manifest.position.epoch + 1, window: 0 }); // the corpus changed size: start the next epoch
  }
  const validation = evaluationWindows(data.validation, training.batchSize, training.seqLength, MAX_EVAL_WINDOWS);
  const tfjsBackend = await initBackend(request.backend);
  const model = new RecurrentModel(info.model, training.seed);
  const optimizer = createOptimizer(training.optimizer, training.learningRate);
  try {
    model.setWeights(loaded.weights);
    await restoreOptimizer(optimizer, loaded);
  } catch (err) {
    optimizer.dispose();
    model.dispose();
    throw new CheckpointError(`checkpoint ${info.checkpoint} does not fit run ${run.id}: ${(err as Error).message}`);
  }
  const { runner, backend } = await chooseRunnerOrRelease(model, optimizer, training, tfjsBackend, request);
  const resumed: RunInfo = {
    ...info,
    training,
    backend,
    status: 'running',
    message: undefined,
    progress: { ...info.progress, step: loaded.manifest.step, totalSteps: training.steps },
    resumedAt: [...(info.resumedAt ?? []), loaded.manifest.step],
  };
  delete resumed.timings.finishedAt;
  // Metrics and samples past the checkpoint belong to steps that will be trained again.
  run.truncateHistoryAfter(loaded.manifest.step);
  const outcome = runTrainingLoop(
    { run, info: resumed, model, optimizer, vocab, batcher, validation, startStep: loaded.manifest.step, state: restoreState(loaded), runner },
    events,
    signal,
  ).finally(() => {
    runner.dispose();
    optimizer.dispose();
    model.dispose();
  });
  return { run, info: resumed, skippedSummary: describeSkipped(data.corpus.skipped, training.maxFileBytes), outcome };
}
