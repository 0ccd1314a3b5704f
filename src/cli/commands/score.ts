import { TextScorer, type ScoreResult } from '../../engine/inference/score';
import { checkInputFile, readTextFile, readTextPieces } from '../inputFiles';
import { UsageError, parseCommandLine, type CommandSpec } from '../usage';

export const scoreCommand: CommandSpec = {
  name: 'score',
  summary: 'Bits per character of text files under a model (lower means the model predicts them better).',
  usage: 'rnn-lab score <runDir|model.onnx> <file...> [--json]',
  options: {
    json: { type: 'boolean', help: 'one JSON line per file, then the overall line' },
  },
};

export async function runScore(argv: string[], io: { stdout: NodeJS.WriteStream }, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandLine(scoreCommand, argv);
  if (positionals.length < 2) throw new UsageError('give a run folder or .onnx file, then at least one text file (see rnn-lab score --help)');
  const [source, ...files] = positionals;
  for (const file of files) checkInputFile(file); // every file is checked before the model loads
  let bits = 0;
  let chars = 0;
  let unknown = 0;
  for (const file of files) {
    const r = await scoreFile(source, file, signal);
    bits += r.bits;
    chars += r.chars;
    unknown += r.unknownTokens;
    io.stdout.write(values.json ? JSON.stringify({ file, ...r }) + '\n' : `${file}: ${describe(r)}\n`);
  }
  const overall: ScoreResult = { bitsPerChar: chars > 0 ? bits / chars : null, bitsPerToken: null, bits, chars, tokens: 0, unknownTokens: unknown };
  if (values.json)
    io.stdout.write(JSON.stringify({ overall: true, bitsPerChar: overall.bitsPerChar, bits, chars, unknownTokens: unknown, files: files.length }) + '\n');
  else io.stdout.write(`overall: ${describe(overall)} in ${files.length} file${files.length === 1 ? '' : 's'}\n`);
  return 0;
}

/**
 * Scores a file: a character model reads it piece by piece (any size, bounded
 * memory); a token model needs whole code tokens, so it reads the file at once
 * (at most MAX_INPUT_BYTES).
 */
async function scoreFile(source: string, file: string, signal: AbortSignal | undefined): Promise<ScoreResult> {
  const scorer = await TextScorer.open(source, { signal });
  try {
    if (scorer.resolution === 'char') await readTextPieces(file, (piece) => scorer.add(piece));
    else await scorer.add(readTextFile(file));
    return scorer.result();
  } finally {
    scorer.close();
  }
}

function describe(r: ScoreResult): string {
  const bpc = r.bitsPerChar === null ? '—' : r.bitsPerChar.toFixed(3);
  const skipped = r.unknownTokens > 0 ? `; ${r.unknownTokens.toLocaleString('en-US')} outside the vocabulary, not scored` : '';
  return `${bpc} bits/char (${r.chars.toLocaleString('en-US')} chars${skipped})`;
}
