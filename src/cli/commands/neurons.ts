import * as path from 'path';
import { disposeFeatureParsers } from '../../core/features';
import type { FeatureRanking } from '../../core/neurons/featureRanking';
import { neuronLabel } from '../../core/neurons/neuronColumns';
import { windowFrom } from '../../core/textWindow';
import { ActivationModel } from '../../engine/activations/activationModel';
import { ActivationDocument } from '../../engine/activations/activationDocument';
import { NeuronRankingBuilder } from '../../engine/activations/neuronRanking';
import { InputFileError, checkInputFile, readTextPieces, readTextPrefix } from '../inputFiles';
import { UsageError, intOption, parseCommandLine, type CommandSpec } from '../usage';

export const neuronsCommand: CommandSpec = {
  name: 'neurons',
  summary:
    'Rank neurons by how well they track source-code features (in a string or comment, nesting depth, indentation, column, ' +
    'line length, token kind), and gate saturation.',
  usage: 'rnn-lab neurons <runDir|model.onnx> <file...> [--top K] [--max-chars N] [--json]',
  options: {
    top: { type: 'string', help: '<K>  neurons listed per feature (default 3)' },
    'max-chars': { type: 'string', help: '<N>  use at most this many characters, files in order (default 50000)' },
    json: { type: 'boolean', help: 'one JSON object with every score and the per-unit gate saturation' },
  },
};

/**
 * The feature ranking of docs/architecture.md, "Looking inside" over the given files:
 * each file's activations (h and, for an LSTM, c of every layer) at every
 * character against per-character features from tree-sitter (the language
 * from the file name; the fallback lexer for others). Binary features rank by
 * ROC AUC, scalar ones by Pearson r; both are printed raw, so a neuron that is
 * low inside strings shows an AUC near 0 and a negative r.
 */
export async function runNeurons(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const { values, positionals } = parseCommandLine(neuronsCommand, argv);
  if (positionals.length < 2) throw new UsageError('give a run folder or .onnx file, then at least one text file (see rnn-lab neurons --help)');
  const top = intOption(values, 'top', 3);
  if (top < 1) throw new UsageError(`--top must be at least 1; got ${top}`);
  const maxChars = intOption(values, 'max-chars', 50_000);
  if (maxChars < 1) throw new UsageError(`--max-chars must be at least 1; got ${maxChars}`);
  const [source, ...files] = positionals;
  for (const file of files) checkInputFile(file); // every file is checked before the model loads

  const model = await ActivationModel.open(source);
  const builder = new NeuronRankingBuilder();
  let total: number;
  try {
    total = await addFiles(builder, model, files, maxChars);
  } finally {
    await model.close();
    disposeFeatureParsers();
  }
  const used = builder.characters;
  if (used === 0)
    throw new InputFileError(
      files.length === 1 ? `${files[0]} is empty: there is no text to rank neurons on` : 'the files are empty: there is no text to rank neurons on',
    );
  if (used < total) io.stderr.write(`used the first ${used.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} characters (--max-chars)\n`);
  const result = builder.result(top);
  io.stdout.write(values.json ? rankingJson(model, used, result) + '\n' : rankingTable(model, used, result).join('\n') + '\n');
  return 0;
}

/**
 * Adds the files' first `maxChars` characters in all to the ranking; returns
 * how many characters the files hold. Only those characters are held in
 * memory: the rest of a file is read piece by piece, to count it.
 */
async function addFiles(builder: NeuronRankingBuilder, model: ActivationModel, files: string[], maxChars: number): Promise<number> {
  let total = 0;
  for (const file of files) {
    const remaining = maxChars - builder.characters;
    const prefix = remaining > 0 ? readTextPrefix(file, remaining) : { text: '', whole: false };
    const window = windowFrom(prefix.text, 0, remaining);
    total += prefix.whole ? window.totalCharacters : await countCharacters(file);
    if (window.characters === 0) continue;
    // A small chunk cache: the builder reads each token once.
    const doc = new ActivationDocument(model, prefix.text.slice(0, window.end), { cacheBytes: 8 * 1024 * 1024 });
    try {
      await builder.add(doc, path.basename(file), file);
    } finally {
      await doc.close();
    }
  }
  return total;
}

/** Characters (code points) of a text file, read piece by piece. */
async function countCharacters(file: string): Promise<number> {
  let count = 0;
  await readTextPieces(file, async (piece) => {
    for (let i = 0; i < piece.length; i++) {
      const unit = piece.charCodeAt(i);
      if (unit < 0xdc00 || unit > 0xdfff) count++; // a low surrogate ends a character already counted
    }
  });
  return count;
}

type RankingResult = ReturnType<NeuronRankingBuilder['result']>;

function rankingJson(model: ActivationModel, used: number, { ranking, gates, texts }: RankingResult): string {
  const { spec, vocab, file } = model;
  return JSON.stringify({
    model: { file, cell: spec.cell, layers: spec.layers, hidden: spec.hidden, resolution: vocab.kind },
    files: texts.map(({ name, characters, parser }) => ({ file: name, characters, parser })),
    characters: used,
    features: ranking.map((r) => ({ ...r, top: r.top.map((n) => ({ ...n, label: neuronLabel(n.neuron) })) })),
    gateSaturation: gates.map((g) => ({
      layer: g.layer,
      gate: g.gate,
      ...(g.direction ? { direction: g.direction } : {}),
      ...g.saturation,
      left: Array.from(g.saturation.left),
      right: Array.from(g.saturation.right),
    })),
  });
}

function rankingTable(model: ActivationModel, used: number, { ranking, gates, texts }: RankingResult): string[] {
  const { spec, vocab, file } = model;
  const files = `${texts.length} file${texts.length === 1 ? '' : 's'}`;
  const out: string[] = [];
  const shape = `${spec.cell.toUpperCase()} ${spec.layers}×${spec.hidden}${spec.bidirectional ? ' bidirectional' : ''}, ${vocab.kind} resolution`;
  out.push(`${file}: ${shape}; ${used.toLocaleString('en-US')} characters in ${files}`);
  out.push(
    `neurons: <kind><layer>[<unit>]${spec.bidirectional ? ' (<kind><layer>←[<unit>] in the backward direction)' : ''}, h hidden state, c cell state. ` +
      'AUC near 1 or 0 and r near ±1 track the feature (near 0: the neuron is low where it holds).',
  );
  out.push('');
  const width = Math.max(...ranking.map((r) => r.feature.length), 'feature'.length) + 2;
  out.push(`${'feature'.padEnd(width)}best neurons`);
  for (const r of ranking) out.push(`${r.feature.padEnd(width)}${describeRanking(r)}`);
  if (gates.length === 0) return out;
  out.push('');
  out.push('gate saturation: share of steps < 0.1 | > 0.9 (units saturated more than half the time)');
  const directions: (undefined | 'backward')[] = spec.bidirectional ? [undefined, 'backward'] : [undefined];
  for (let l = 0; l < spec.layers; l++) {
    for (const direction of directions) {
      const cells = gates
        .filter((g) => g.layer === l && g.direction === direction)
        .map(({ gate, saturation: s }) => `${gate} ${percent(s.meanLeft)} | ${percent(s.meanRight)} (${s.mostlyLeft} | ${s.mostlyRight})`);
      const name = spec.bidirectional ? `layer ${l} ${direction === 'backward' ? '←' : '→'}` : `layer ${l}`;
      out.push(`  ${name}  ${cells.join('   ')}`);
    }
  }
  return out;
}

function describeRanking(r: FeatureRanking): string {
  if (r.top.length === 0) return `— (${r.note ?? 'no neuron varies'})`;
  return r.top.map((n) => `${neuronLabel(n.neuron)} ${r.kind === 'binary' ? `AUC ${n.auc!.toFixed(3)}` : `r ${signed(n.r)}`}`).join('   ');
}

function signed(x: number): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(3)}`;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(0).padStart(3)}%`;
}
