import * as path from 'path';
import { StreamBatcher, evaluationWindows, type BatchPosition, type Window } from '../../core/batching';
import { gatherCorpus, requireDocuments, splitByDocument, type GatheredCorpus } from '../../core/corpus';
import type { BackendInfo, CorpusSummary } from '../../core/runFormat';
import { gradFlowLength, type BackendPreference, type ModelSpec, type TrainingSpec } from '../../core/spec';
import { Vocabulary } from '../../core/vocabulary';
import { initBackend } from '../backend';
import type { FusedStepperOptions } from '../fused/fusedStepper';
import { RecurrentModel } from '../model';
import type * as tf from '../tfjs';
import { createOptimizer } from './optimizers';
import { chooseStepRunner, type StepRunner } from './stepRunner';

/** Bounds the cost of an evaluation on a large validation split. */
export const MAX_EVAL_WINDOWS = 50;

export interface CorpusFilters {
  include?: string[];
  exclude?: string[];
  /** Restricted Mode: only files whose real path lies in these folders are read. */
  confineTo?: string[];
  /** Only these documents (a resumed run's recorded `corpus.files`): see GatherOptions.onlyFiles. */
  onlyFiles?: readonly string[];
}

/** The corpus read, split by document and encoded. */
export interface PreparedData {
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
export async function prepareData(inputs: string[], filters: CorpusFilters, training: TrainingSpec, existing?: Vocabulary): Promise<PreparedData> {
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
    validation = train.subarray(cut); // views, not copies: a large corpus is held once
    train = train.subarray(0, cut);
  }
  return { corpus, vocab, train, validation, trainDocuments: split.train.length, validationDocuments: split.validation.length };
}

/** What run.json records of the corpus. */
export function summarizeCorpus(inputs: string[], filters: CorpusFilters, data: PreparedData): CorpusSummary {
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
    files: data.corpus.documents.map((d) => d.path),
  };
}

export interface BatchedData {
  batcher: StreamBatcher;
  validation: Window[];
  /** The gradient-flow probe's window: the first held-out window of its length T (none when the text is shorter). */
  gradFlowWindow?: Window;
}

/** The training streams and the held-out windows; a resumed run's batcher starts where its checkpoint stopped. */
export function batchData(data: PreparedData, training: TrainingSpec, position?: BatchPosition): BatchedData {
  const batcher = new StreamBatcher(data.train, training.batchSize, training.seqLength, training.seed);
  if (position) {
    try {
      batcher.setPosition(position);
    } catch {
      batcher.setPosition({ epoch: position.epoch + 1, window: 0 }); // the corpus changed size: start the next epoch
    }
  }
  return {
    batcher,
    validation: evaluationWindows(data.validation, training.batchSize, training.seqLength, MAX_EVAL_WINDOWS),
    gradFlowWindow: evaluationWindows(data.validation, training.batchSize, gradFlowLength(training), 1)[0],
  };
}

export interface RunnerRequest {
  backend: BackendPreference;
  threads?: number;
  /** Tests only: a fused worker thread exits during a given step (see FusedStepperOptions). */
  exitDuringStep?: FusedStepperOptions['exitDuringStep'];
}

/** The model, its optimizer and what computes their steps, released together. */
export interface Trainer {
  model: RecurrentModel;
  optimizer: tf.Optimizer;
  runner: StepRunner;
  /** The backend as the run records it. */
  backend: BackendInfo;
  /** Frees worker threads (they would keep the process alive), the optimizer and the model. */
  release(): void;
}

/**
 * Builds the model and optimizer, lets `restore` fill them (a checkpoint), and
 * chooses the step runner. Whatever fails on the way releases what was made.
 */
export async function createTrainer(
  spec: ModelSpec,
  training: TrainingSpec,
  request: RunnerRequest,
  restore?: (model: RecurrentModel, optimizer: tf.Optimizer) => Promise<void>,
): Promise<Trainer> {
  const tfjsBackend = await initBackend(request.backend);
  const model = new RecurrentModel(spec, training.seed);
  const optimizer = createOptimizer(training.optimizer, training.learningRate);
  const releaseModel = () => {
    optimizer.dispose();
    model.dispose();
  };
  try {
    await restore?.(model, optimizer);
    const { runner, backend } = await chooseStepRunner({
      model,
      optimizer,
      batch: training.batchSize,
      time: training.seqLength,
      preference: request.backend,
      tfjsBackend,
      threads: request.threads,
      exitDuringStep: request.exitDuringStep,
    });
    return {
      model,
      optimizer,
      runner,
      backend,
      release: () => {
        runner.dispose();
        releaseModel();
      },
    };
  } catch (err) {
    releaseModel();
    throw err;
  }
}
