import { MAX_DOCUMENT_LENGTH } from '../../protocol/limits';
import type { PredictResult } from '../../protocol/tasks';
import { predictFiles } from '../../engine/inference/predict';
import { readTextFile } from '../inputFiles';
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

/** Reads the files first (a bad one fails before any model work), then prints the predictions. */
export async function runPredict(argv: string[], io: { stdout: NodeJS.WriteStream }): Promise<number> {
  const { values, positionals } = parseCommandLine(predictCommand, argv);
  if (positionals.length < 2) throw new UsageError('give a run folder or .onnx model and at least one file (see rnn-lab predict --help)');
  const top = values.top === undefined ? 3 : Number(values.top);
  if (!(Number.isInteger(top) && top >= 1)) throw new UsageError('--top must be a whole number ≥ 1');
  const [model, ...files] = positionals;
  const inputs = files.map((file) => ({ file, text: readTextFile(file, { maxChars: MAX_DOCUMENT_LENGTH, purpose: 'predict reads' }) }));
  const result = await predictFiles(model, inputs);
  io.stdout.write(values.json === true ? JSON.stringify(result) + '\n' : describePredictions(result, top));
  return 0;
}

/** For people: per file its top labels, or its tags as runs ("identifier ×5"). */
function describePredictions(result: PredictResult, top: number): string {
  if (result.task === 'classify') {
    return result.files
      .map((f) => {
        const best = Object.entries(f.probabilities)
          .sort((a, b) => b[1] - a[1])
          .slice(0, top);
        return `${f.file}: ${f.label}  (${best.map(([l, p]) => `${l} ${(100 * p).toFixed(1)}%`).join(', ')})\n`;
      })
      .join('');
  }
  return result.files.map((f) => `${f.file}: ${f.tokens.length} tokens\n${runsOf(f.tags, f.tokens)}\n`).join('');
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
