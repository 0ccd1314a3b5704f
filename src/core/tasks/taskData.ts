/**
 * The data of the lecture's three uses of an RNN: a language model reads
 * text; a tagger learns a label per token (part-of-speech tagging; syntactic
 * classes of code); a classifier learns one label per sequence (sentiment;
 * a snippet's language). Loaders in this folder turn files into these.
 */

export type TaskKind = 'lm' | 'tag' | 'classify';
export const TASK_KINDS: readonly TaskKind[] = ['lm', 'tag', 'classify'];

/** Where a run's labels came from, as run.json records it. */
export type TaskDataSource = 'code-tags' | 'conllu' | 'conll' | 'jsonl' | 'csv' | 'folders' | 'extension';

/** One labelled sequence. */
export interface ClassifyExample {
  text: string;
  label: string;
  /** Where it comes from, for messages: "data/pos/a.txt", "reviews.csv:12". */
  source: string;
  /** The unit of the training/validation split: the file it comes from (snippets of a file stay together). */
  group: string;
}

/** One tagged sequence: a tag per token (per character of code, or per word). */
export interface TagExample {
  tokens: string[];
  tags: string[];
  source: string;
  group: string;
}

/** A malformed data file: where, and what was expected there. */
export class TaskDataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly expected: string,
  ) {
    super(`${file}:${line}:${column}: ${expected}`);
  }
}

/** Data files whose format is known by their extension (or `--format`). */
export type DataFormat = 'conllu' | 'conll' | 'jsonl' | 'csv';
export const DATA_FORMATS: readonly DataFormat[] = ['conllu', 'conll', 'jsonl', 'csv'];

/** The format a file's extension names, if it names one. */
export function formatOfFile(file: string): DataFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1].toLowerCase();
  return ext && (DATA_FORMATS as readonly string[]).includes(ext) ? (ext as DataFormat) : undefined;
}
