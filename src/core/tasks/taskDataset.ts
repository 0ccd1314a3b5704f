import * as fs from 'fs';
import { CorpusError, gatherCorpus, requireDocuments, type CorpusDocument, type GatherOptions, type SkippedFile } from '../corpus';
import type { TaskDataSpec } from '../spec';
import { tagSourceCode } from './codeTags';
import { parseConllU, parseTwoColumn } from './conll';
import { parseCsv } from './csv';
import { parseJsonl } from './jsonl';
import { readLabelledFolders } from './labelledFolders';
import { languageSnippets } from './languageSnippets';
import { formatOfFile, type ClassifyExample, type DataFormat, type TagExample, type TaskDataSource } from './taskData';

export type { TaskDataSource };

/** Lines per snippet when classifying source files by language (`--snippet-lines`). */
export const DEFAULT_SNIPPET_LINES = 20;

export type TaskExamples =
  | { task: 'tag'; level: 'char' | 'word'; source: TaskDataSource; examples: TagExample[]; skipped: SkippedFile[] }
  | { task: 'classify'; source: TaskDataSource; examples: ClassifyExample[]; skipped: SkippedFile[] };

/**
 * The labelled examples of a tagging or classification run, from the loaders
 * of this folder (docs/architecture.md, "Tasks"):
 *
 * - tag: CoNLL-U or two-column CoNLL files (by extension or `format`) give
 *   word-level tagging; any other files are source code tagged per character
 *   with its syntactic class (codeTags.ts).
 * - classify: `labels: 'extension'` cuts source files into snippets labelled
 *   by language; JSONL and CSV files (by extension or `format`) hold labelled
 *   texts; one folder (or `format: 'folders'`) holds a sub-folder per class.
 *
 * A malformed file throws a TaskDataError naming its file, line and column.
 */
export async function loadTaskExamples(inputs: string[], task: 'tag' | 'classify', data: TaskDataSpec, gather: GatherOptions): Promise<TaskExamples> {
  if (task === 'tag') return loadTagExamples(inputs, data, gather);
  if (data.labels === 'extension') {
    const corpus = await gatherAll(inputs, gather);
    const examples = languageSnippets(corpus.documents, data.snippetLines ?? DEFAULT_SNIPPET_LINES);
    return { task, source: 'extension', examples, skipped: corpus.skipped };
  }
  if (data.format === 'folders' || (data.format === undefined && inputs.length === 1 && isDirectory(inputs[0]) && hasSubfolders(inputs[0]))) {
    if (inputs.length !== 1) throw new CorpusError('--format folders reads one folder that holds a sub-folder per class');
    const { examples, skipped } = await readLabelledFolders(inputs[0], gather);
    return { task, source: 'folders', examples, skipped };
  }
  const corpus = await gatherAll(inputs, gather);
  const format = commonFormat(corpus.documents, data, ['jsonl', 'csv'], 'classify');
  const parse = format === 'jsonl' ? parseJsonl : parseCsv;
  return { task, source: format, examples: corpus.documents.flatMap((d) => parse(d.text, d.path)), skipped: corpus.skipped };
}

async function loadTagExamples(inputs: string[], data: TaskDataSpec, gather: GatherOptions): Promise<TaskExamples> {
  if (data.labels === 'extension') throw new CorpusError('--labels extension labels whole snippets: it goes with --task classify');
  const corpus = await gatherAll(inputs, gather);
  const conll = data.format ?? (corpus.documents.every((d) => isConll(formatOfFile(d.path))) ? formatOfFile(corpus.documents[0].path) : undefined);
  if (conll !== undefined) {
    const format = commonFormat(corpus.documents, data, ['conllu', 'conll'], 'tag');
    const parse = format === 'conllu' ? parseConllU : parseTwoColumn;
    return { task: 'tag', level: 'word', source: format, examples: corpus.documents.flatMap((d) => parse(d.text, d.path)), skipped: corpus.skipped };
  }
  const examples: TagExample[] = [];
  for (const doc of corpus.documents) {
    const tags = await tagSourceCode(doc.text, doc.path);
    const tokens = [...doc.text];
    if (tags.length !== tokens.length) throw new Error(`${doc.path}: ${tags.length} code tags for ${tokens.length} characters`); // a bug, never bad input
    examples.push({ tokens, tags, source: doc.path, group: doc.path });
  }
  return { task: 'tag', level: 'char', source: 'code-tags', examples, skipped: corpus.skipped };
}

function isConll(format: DataFormat | undefined): boolean {
  return format === 'conllu' || format === 'conll';
}

/** The one format every file is read in: `format`, or each file's extension; a file in no allowed format is an error naming it. */
function commonFormat<F extends DataFormat>(documents: CorpusDocument[], data: TaskDataSpec, allowed: readonly F[], task: string): F {
  if (data.format !== undefined) {
    if (!(allowed as readonly string[]).includes(data.format))
      throw new CorpusError(`--format ${data.format} does not go with --task ${task} (use ${allowed.join(' or ')})`);
    return data.format as F;
  }
  const formats = new Set(documents.map((d) => formatOfFile(d.path)));
  const odd = documents.find((d) => !(allowed as readonly (string | undefined)[]).includes(formatOfFile(d.path)));
  if (odd)
    throw new CorpusError(
      `cannot tell how ${odd.path} holds its labels: --task ${task} reads ${allowed.map((f) => `.${f}`).join(' or ')} files` +
        (task === 'classify' ? ', a folder with a sub-folder per class, or source files with --labels extension' : ', or source code (tagged by its syntax)') +
        ' (--format names the format of files with another extension)',
    );
  if (formats.size > 1) throw new CorpusError(`the data files mix formats (${[...formats].join(', ')}): give files of one format`);
  return [...formats][0] as F;
}

async function gatherAll(inputs: string[], gather: GatherOptions) {
  const corpus = await gatherCorpus(inputs, gather);
  requireDocuments(corpus);
  return corpus;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function hasSubfolders(dir: string): boolean {
  return fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && !e.name.startsWith('.'));
}
