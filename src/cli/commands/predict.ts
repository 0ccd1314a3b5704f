import { MAX_DOCUMENT_LENGTH } from '../../protocol/limits';
import type { ClassifiedFile, TaggedFile } from '../../protocol/tasks';
import { predictEachFile } from '../../engine/inference/predict';
import { InputFileError, readTextFile } from '../inputFiles';
import { UsageError, parseCommandLine, type CommandSpec } from '../usage';

export const predictCommand: CommandSpec = {
  name: 'predict',
  summary: "A tagger's tags or a classifier's label for each file (a run folder or its model.onnx).",
  usage: 'rnn-lab predict <runDir|model.onnx> <file...> [--json]',
  options: {
    json: { type: 'boolean', help: 'print one JSON object: {"task", "files": [{"file", "label", "probabilities"} or {"file", "tags", "tokens"}]}' },
    top: { type: 'string', help: '<N>  without --json: how many labels to list per file (default 3)' },
  },
};

/**
 * Reads every file first (a bad or empty one fails before any model work and
 * any output, so --json never prints half an object), then reads
 * each again as its turn comes and prints its prediction at once: memory holds
 * one file's text and result, not thousands (a character tagger's JSON is
 * about 35 bytes per character read).
 */
export async function runPredict(argv: string[], io: { stdout: NodeJS.WriteStream }): Promise<number> {
  const { values, positionals } = parseCommandLine(predictCommand, argv);
  if (positionals.length < 2) throw new UsageError('give a run folder or .onnx model and at least one file (see rnn-lab predict --help)');
  const top = values.top === undefined ? 3 : Number(values.top);
  if (!(Number.isInteger(top) && top >= 1)) throw new UsageError('--top must be a whole number ≥ 1');
  const [model, ...files] = positionals;
  const read = (file: string) => readTextFile(file, { maxChars: MAX_DOCUMENT_LENGTH, purpose: 'predict reads' });
  for (const file of files) if (read(file) === '') throw new InputFileError(`${file} is empty: there is nothing to predict`);
  const inputs = (function* () {
    for (const file of files) yield { file, text: read(file) };
  })();
  const json = values.json === true;
  let first = true;
  await predictEachFile(model, inputs, (task, file) => {
    // The JSON is JSON.stringify of the whole PredictResult, written a file at a time.
    if (json) io.stdout.write((first ? `{"task":${JSON.stringify(task)},"files":[` : ',') + JSON.stringify(file));
    else io.stdout.write(describePrediction(file, top));
    first = false;
  });
  if (json) io.stdout.write(']}\n');
  return 0;
}

/** For people: a file's top labels, or its tags as runs ("identifier ×5"). */
function describePrediction(f: ClassifiedFile | TaggedFile, top: number): string {
  if ('probabilities' in f) {
    const best = Object.entries(f.probabilities)
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    return `${f.file}: ${f.label}  (${best.map(([l, p]) => `${l} ${(100 * p).toFixed(1)}%`).join(', ')})\n`;
  }
  return `${f.file}: ${f.tokens.length} tokens\n${runsOf(f.tags, f.tokens)}\n`;
}

/** Consecutive tokens with one tag, a line each: "identifier  │ foo". */
function runsOf(tags: string[], tokens: string[]): string {
  const lines: string[] = [];
  const width = Math.max(0, ...tags.map((t) => t.length));
  const words = tokens.some((t) => t.length > 1);
  for (let i = 0; i < tags.length;) {
    let j = i + 1;
    while (j < tags.length && tags[j] === tags[i]) j++;
    lines.push(`  ${tags[i].padEnd(width)} │ ${JSON.stringify(tokens.slice(i, j).join(words ? ' ' : ''))}`);
    i = j;
  }
  return lines.join('\n');
}
