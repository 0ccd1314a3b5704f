/**
 * Taggers and classifiers (docs/architecture.md, "Tasks"): the records a view
 * reads from metrics.jsonl and the engine's `taskEval` events, and what
 * prediction answers (`rnn-lab predict --json`, issue 13's contract).
 */
import type { TaskEvalRecord } from '../core/runFormat';
import { POOLINGS, TASK_DATA_FORMATS } from '../core/spec';
import { TASK_KINDS } from '../core/tasks/taskData';
import { arrayOf, int, num, oneOf, optional, shape, str, type Check } from './guards';
import { MAX_DOCUMENT_LENGTH } from './limits';
import { modelSourceCheck, type ModelSource } from './modelSource';

export type { TaskEvalRecord };
export type { TaskSummary } from '../core/runFormat';
export type { ClassMetrics, ConfusionMatrix } from '../core/tasks/metrics';

/** The spec fields a tagger or classifier adds to a `train` request's model (protocol/engine.ts's modelCheck). */
export const taskModelFields: Record<string, Check> = {
  task: optional(oneOf(...TASK_KINDS)),
  classes: optional(int),
  pooling: optional(oneOf(...POOLINGS)),
};

/** TrainingSpec.data: where the labels come from. */
export const taskDataCheck: Check = shape({
  labels: optional(oneOf('extension')),
  format: optional(oneOf(...TASK_DATA_FORMATS)),
  snippetLines: optional(int),
});

/** A figure JSON may hold as null (NaN: a class never predicted, or no held-out data). */
const figure: Check = (v, p) => (v === null ? undefined : num(v, p));

/** A `taskEval` line of metrics.jsonl or a `taskEval` event's record, as a view must check it before drawing. */
export const taskEvalRecordCheck: Check = shape({
  kind: oneOf('taskEval'),
  step: int,
  valLoss: figure,
  accuracy: figure,
  macroF1: figure,
  classes: arrayOf(shape({ label: str, precision: figure, recall: figure, f1: figure, support: int }), 10_000),
  confusion: arrayOf(arrayOf(int, 10_000), 10_000),
  time: num,
});

/** One file's prediction by a classifier: its label and every label's probability. */
export interface ClassifiedFile {
  file: string;
  label: string;
  probabilities: Record<string, number>;
}

/** One file's prediction by a tagger: a tag per token (a character of code, or a word of a word-level model). */
export interface TaggedFile {
  file: string;
  tags: string[];
  tokens: string[];
}

/** `rnn-lab predict --json` (issue 13's contract). */
export type PredictResult = { task: 'classify'; files: ClassifiedFile[] } | { task: 'tag'; files: TaggedFile[] };

/** The engine's `predict` request: texts (a file's or a selection's) and the names they are reported under. */
export interface PredictParams {
  model: ModelSource;
  inputs: { file: string; text: string }[];
}

/** Most texts in one `predict` request. */
export const MAX_PREDICT_INPUTS = 1000;

const predictText: Check = (v, p) =>
  typeof v !== 'string' ? `${p} must be a string` : v.length > MAX_DOCUMENT_LENGTH ? `${p} is longer than ${MAX_DOCUMENT_LENGTH} characters` : undefined;

export const predictParamsCheck: Check = shape({
  model: modelSourceCheck,
  inputs: arrayOf(shape({ file: str, text: predictText }), MAX_PREDICT_INPUTS),
});
