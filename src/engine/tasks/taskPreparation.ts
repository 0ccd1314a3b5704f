/**
 * A tagging or classification run's data (docs/architecture.md, "Tasks"):
 * labelled examples from the loaders of core/tasks, split by file (never by
 * snippet or sentence), a vocabulary and label set from the training side,
 * and the batches the training loop reads.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import type { Window } from '../../core/batching';
import type { GatherOptions, SkippedFile } from '../../core/corpus';
import { splitGroups, splitGroupsByLabel } from '../../core/groupSplit';
import type { CorpusSummary, TaskSummary } from '../../core/runFormat';
import type { TrainingSpec } from '../../core/spec';
import { classCounts, imbalanceWarning } from '../../core/tasks/classBalance';
import {
  ClassifyBatcher,
  TagBatcher,
  classifyEvaluationWindows,
  spreadEvenly,
  tagEvaluationWindows,
  type EncodedExample,
  type WindowSource,
} from '../../core/tasks/taskBatching';
import type { ClassifyExample, TagExample } from '../../core/tasks/taskData';
import { loadTaskExamples } from '../../core/tasks/taskDataset';
import { Vocabulary } from '../../core/vocabulary';
import { TrainingSetupError } from '../training/trainingErrors';

/** Bounds an evaluation's cost on a large held-out split (tagging windows, classification batches). */
export const MAX_TASK_EVAL_WINDOWS = 200;

export interface PreparedTask {
  vocab: Vocabulary;
  summary: TaskSummary;
  corpus: CorpusSummary;
  skipped: SkippedFile[];
  batcher: WindowSource;
  validation: Window[];
}

/** What a resumed run brings: its vocabulary and labels, which the data is encoded with again. */
export interface TaskResumeState {
  vocab: Vocabulary;
  labels: string[];
}

export async function prepareTaskData(
  inputs: string[],
  task: 'tag' | 'classify',
  training: TrainingSpec,
  gather: GatherOptions,
  existing?: TaskResumeState,
): Promise<PreparedTask> {
  const loaded = await loadTaskExamples(inputs, task, training.data ?? {}, { ...gather, maxFileBytes: training.maxFileBytes });
  const split = loaded.task === 'tag' ? splitExamples<Example>(loaded.examples, training) : splitExamples<Example>(loaded.examples, training);
  const prepared =
    loaded.task === 'tag'
      ? encodeTagging(loaded.level, split as Split<TagExample>, training, existing)
      : encodeClassification(split as Split<ClassifyExample>, training, existing);
  const { vocab, labels, trainCounts, validationCounts, batcher, validation, evaluatedExamples, evaluatedTokens, fingerprint, tokens } = prepared;
  const imbalance = imbalanceWarning(new Map(Object.entries(trainCounts).sort((a, b) => b[1] - a[1])));
  const summary: TaskSummary = {
    kind: task,
    labels,
    ...(loaded.task === 'tag' ? { level: loaded.level } : {}),
    source: loaded.source,
    trainExamples: split.train.length,
    validationExamples: split.validation.length,
    ...(evaluatedExamples !== undefined ? { evaluatedExamples } : {}),
    ...(evaluatedTokens !== undefined ? { evaluatedTokens } : {}),
    trainCounts,
    validationCounts,
    ...(imbalance ? { imbalance } : {}),
    window: training.seqLength,
  };
  const files = (examples: { group: string }[]) => new Set(examples.map((e) => e.group)).size;
  const corpus: CorpusSummary = {
    inputs: inputs.map((i) => path.resolve(i)),
    ...(gather.include?.length ? { include: gather.include } : {}),
    ...(gather.exclude?.length ? { exclude: gather.exclude } : {}),
    documents: files(split.train) + files(split.validation),
    trainDocuments: files(split.train),
    validationDocuments: files(split.validation),
    trainTokens: tokens.train,
    validationTokens: tokens.validation,
    characters:
      loaded.task === 'tag' ? loaded.examples.reduce((n, e) => n + e.tokens.join('').length, 0) : loaded.examples.reduce((n, e) => n + e.text.length, 0),
    skipped: Object.fromEntries(countBy(loaded.skipped.map((s) => s.reason))),
    skippedExamples: loaded.skipped.slice(0, 20).map((s) => ({ path: s.path, reason: s.reason })),
    fingerprint,
  };
  return { vocab, summary, corpus, skipped: loaded.skipped, batcher, validation };
}

type Example = TagExample | ClassifyExample;

/** Whole files (groups) to each side, sized by tokens (tag) or examples (classify); per class when each file has one class. */
type Split<E> = { train: E[]; validation: E[] };

function splitExamples<E extends Example>(examples: E[], training: TrainingSpec): Split<E> {
  const sizes = new Map<string, number>();
  for (const e of examples) sizes.set(e.group, (sizes.get(e.group) ?? 0) + ('tokens' in e ? e.tokens.length : 1));
  const groups = [...sizes].map(([name, size]) => ({ name, size }));
  const labels = groupLabels(examples);
  const { validation } = labels
    ? splitGroupsByLabel(
        groups.map((g) => ({ ...g, label: labels.get(g.name)! })),
        training.validationFraction,
        training.seed,
      )
    : splitGroups(groups, training.validationFraction, training.seed);
  const held = new Set(validation.map((g) => g.name));
  const train = examples.filter((e) => !held.has(e.group));
  if (train.length === 0) throw new TrainingSetupError('no training examples: add files');
  if (training.validationFraction > 0 && held.size === 0)
    throw new TrainingSetupError('the data comes from one file: a tagger or classifier is validated on whole files it never trained on, so give at least two');
  return { train, validation: examples.filter((e) => held.has(e.group)) };
}

/** Each group's one label when every group's examples share one (classifying whole files or their snippets), else undefined. */
function groupLabels(examples: Example[]): Map<string, string> | undefined {
  const labels = new Map<string, string>();
  for (const e of examples) {
    if (!('label' in e)) return undefined;
    const seen = labels.get(e.group);
    if (seen !== undefined && seen !== e.label) return undefined;
    labels.set(e.group, e.label);
  }
  return labels;
}

interface Encoded {
  vocab: Vocabulary;
  labels: string[];
  trainCounts: Record<string, number>;
  validationCounts: Record<string, number>;
  batcher: WindowSource;
  validation: Window[];
  /** Set when the evaluation reads only a spread of the held-out set (MAX_TASK_EVAL_WINDOWS). */
  evaluatedExamples?: number;
  evaluatedTokens?: number;
  fingerprint: string;
  tokens: { train: number; validation: number };
}

/** Labels by training frequency (then those only held out); a resumed run keeps its own and refuses new ones. */
function labelSet(trainLabels: Iterable<string>, validationLabels: Iterable<string>, existing?: TaskResumeState): string[] {
  const all = [...classCounts(trainLabels).keys(), ...[...classCounts(validationLabels).keys()].sort()];
  const labels = [...new Set(all)];
  if (!existing) {
    if (labels.length < 2) throw new TrainingSetupError(`the data has only one label ("${labels[0] ?? ''}"): a classifier needs at least two`);
    return labels;
  }
  const unknown = labels.filter((l) => !existing.labels.includes(l));
  if (unknown.length) throw new TrainingSetupError(`the data now has labels the run was not trained for: ${unknown.slice(0, 5).join(', ')}`);
  return existing.labels;
}

function encodeTagging(level: 'char' | 'word', split: Split<TagExample>, training: TrainingSpec, existing?: TaskResumeState): Encoded {
  const trainTags = split.train.flatMap((e) => e.tags);
  const validationTags = split.validation.flatMap((e) => e.tags);
  const labels = labelSet(trainTags, validationTags, existing);
  const vocab =
    existing?.vocab ??
    (level === 'word'
      ? Vocabulary.buildWords(
          split.train.flatMap((e) => e.tokens),
          { minCount: training.minTokenCount },
        )
      : Vocabulary.buildChar(split.train.map((e) => e.tokens.join(''))));
  const labelId = new Map(labels.map((l, i) => [l, i]));
  const encode = (examples: TagExample[]) => {
    const tokens = examples.flatMap((e) => e.tokens);
    const ids = Int32Array.from(tokens, (t) => vocab.idOf(t));
    const tags = Int32Array.from(
      examples.flatMap((e) => e.tags),
      (t) => labelId.get(t)!,
    );
    return { ids, tags };
  };
  const train = encode(split.train);
  const held = encode(split.validation);
  // Capped for time: windows spread over every held-out file (the first ones alone would judge the model on a few files).
  const windows = spreadEvenly(tagEvaluationWindows(held.ids, held.tags, training.batchSize, training.seqLength), MAX_TASK_EVAL_WINDOWS).map((w, index) => ({
    ...w,
    index,
  }));
  const evaluatedTokens = windows.reduce((n, w) => n + w.batch * w.time, 0);
  return {
    vocab,
    labels,
    trainCounts: Object.fromEntries(classCounts(trainTags)),
    validationCounts: Object.fromEntries(classCounts(validationTags)),
    batcher: new TagBatcher(train.ids, train.tags, training.batchSize, training.seqLength, training.seed),
    validation: windows,
    ...(evaluatedTokens < held.ids.length ? { evaluatedTokens } : {}),
    fingerprint: fingerprintOf([train.ids, train.tags, held.ids, held.tags]),
    tokens: { train: train.ids.length, validation: held.ids.length },
  };
}

function encodeClassification(split: Split<ClassifyExample>, training: TrainingSpec, existing?: TaskResumeState): Encoded {
  const labels = labelSet(
    split.train.map((e) => e.label),
    split.validation.map((e) => e.label),
    existing,
  );
  const vocab =
    existing?.vocab ??
    Vocabulary.build(
      training.resolution,
      split.train.map((e) => e.text),
      { minCount: training.minTokenCount },
    );
  const labelId = new Map(labels.map((l, i) => [l, i]));
  const encode = (examples: ClassifyExample[]): EncodedExample[] =>
    examples.map((e) => ({ ids: vocab.encode(e.text).slice(0, training.seqLength), label: labelId.get(e.label)! }));
  const train = encode(split.train);
  const held = encode(split.validation);
  // Capped for time: an even spread of each class's held-out examples, in proportion (the first
  // ones in file order left out whole classes once the held-out set outgrew the cap).
  const byLabel = [...held].sort((a, b) => a.label - b.label);
  const evaluated = spreadEvenly(byLabel, MAX_TASK_EVAL_WINDOWS * training.batchSize);
  const ids = (examples: EncodedExample[]) => [...examples.map((e) => e.ids), Int32Array.from(examples, (e) => e.label)];
  const tokens = (examples: EncodedExample[]) => examples.reduce((n, e) => n + e.ids.length, 0);
  return {
    vocab,
    labels,
    trainCounts: Object.fromEntries(classCounts(split.train.map((e) => e.label))),
    validationCounts: Object.fromEntries(classCounts(split.validation.map((e) => e.label))),
    batcher: new ClassifyBatcher(train, training.batchSize, training.seqLength, training.seed),
    validation: classifyEvaluationWindows(evaluated, training.batchSize, training.seqLength),
    ...(evaluated.length < held.length ? { evaluatedExamples: evaluated.length } : {}),
    fingerprint: fingerprintOf([...ids(train), ...ids(held)]),
    tokens: { train: tokens(train), validation: tokens(held) },
  };
}

function fingerprintOf(arrays: Int32Array[]): string {
  const hash = createHash('sha256');
  for (const a of arrays) {
    hash.update(String(a.length));
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return hash.digest('hex').slice(0, 32);
}

function countBy<T>(items: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}
