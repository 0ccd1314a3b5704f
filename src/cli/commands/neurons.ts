import * as path from 'path';
import { BINARY_FEATURES, SCALAR_FEATURES, computeSourceFeatures, disposeFeatureParsers, featureVector, tokenKindVector, type TokenKindName } from '../../core/features';
import { rankNeurons, type FeatureInput, type FeatureRanking } from '../../core/neurons/featureRanking';
import { neuronLabel } from '../../core/neurons/neuronColumns';
import { ActivationModel } from '../../engine/activations/activationModel';
import { ActivationDocument, type ActivationRange } from '../../engine/activations/activationDocument';
import { GateSaturationTallies, RANKED_KINDS, characterColumns, keepKinds } from '../../engine/activations/neuronAnalysis';
import { InputFileError, readTextFile } from '../inputFiles';
import { UsageError, intOption, parseCommandLine, type CommandSpec } from '../usage';

export const neuronsCommand: CommandSpec = {
  name: 'neurons',
  summary: 'Rank neurons by how well they track source-code features (in a string or comment, nesting depth, indentation, column, line length, token kind), and gate saturation.',
  usage: 'rnn-lab neurons <runDir|model.onnx> <file...> [--top K] [--max-chars N] [--json]',
  options: {
    top: { type: 'string', help: '<K>  neurons listed per feature (default 3)' },
    'max-chars': { type: 'string', help: '<N>  use at most this many characters, files in order (default 50000)' },
    json: { type: 'boolean', help: 'one JSON object with every score and the per-unit gate saturation' },
  },
};

/** Token kinds ranked as binary features (string and comment are already inString and inComment). */
const TOKEN_KINDS: readonly TokenKindName[] = ['identifier', 'keyword', 'number', 'punctuation', 'whitespace'];
/** Tokens computed and tallied at a time. */
const SLICE_TOKENS = 4096;

/**
 * The feature ranking of DESIGN.md "Interpretability" over the given files:
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
  const texts = files.map(readTextFile); // every file is checked before the model loads

  const model = await ActivationModel.open(source);
  const ranges: ActivationRange[] = [];
  const saturation = new GateSaturationTallies();
  const featureParts = new Map<string, { kind: FeatureInput['kind']; values: Float32Array[] }>();
  const parts: { file: string; characters: number; parser: string }[] = [];
  let used = 0;
  let total = 0;
  try {
    for (const [i, file] of files.entries()) {
      const chars = [...texts[i]];
      total += chars.length;
      const take = Math.min(chars.length, maxChars - used);
      if (take <= 0) continue;
      const text = take < chars.length ? chars.slice(0, take).join('') : texts[i];
      // In slices: the gates are tallied and dropped, only h and c are kept for the ranking.
      const doc = new ActivationDocument(model, text, { cacheBytes: 8 * 1024 * 1024 });
      for (let t = 0; t < doc.tokenCount; t += SLICE_TOKENS) {
        const range = await doc.tokenRange(t, t + SLICE_TOKENS);
        saturation.add(range);
        ranges.push(keepKinds(range, RANKED_KINDS));
      }
      await doc.close();
      const f = await computeSourceFeatures(text, path.basename(file));
      const inputs: [string, FeatureInput['kind'], Float32Array][] = [
        ...BINARY_FEATURES.map((name) => [name, 'binary', featureVector(f, name)] as [string, FeatureInput['kind'], Float32Array]),
        ...TOKEN_KINDS.map((kind) => [`token:${kind}`, 'binary', tokenKindVector(f, kind)] as [string, FeatureInput['kind'], Float32Array]),
        ...SCALAR_FEATURES.map((name) => [name, 'scalar', featureVector(f, name)] as [string, FeatureInput['kind'], Float32Array]),
      ];
      for (const [name, kind, vector] of inputs) {
        if (!featureParts.has(name)) featureParts.set(name, { kind, values: [] });
        featureParts.get(name)!.values.push(vector);
      }
      parts.push({ file, characters: take, parser: f.parser });
      used += take;
    }
  } finally {
    await model.close();
    disposeFeatureParsers();
  }
  if (used === 0) throw new InputFileError(files.length === 1 ? `${files[0]} is empty: there is no text to rank neurons on` : 'the files are empty: there is no text to rank neurons on');
  if (used < total) io.stderr.write(`used the first ${used.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} characters (--max-chars)\n`);

  const features: FeatureInput[] = [...featureParts].map(([name, { kind, values: pieces }]) => ({ name, kind, values: concat(pieces) }));
  const ranking = rankNeurons(characterColumns(ranges), features, { top });
  const gates = saturation.results();
  const { spec, vocab, file: modelFile } = model;

  if (values.json) {
    io.stdout.write(
      JSON.stringify({
        model: { file: modelFile, cell: spec.cell, layers: spec.layers, hidden: spec.hidden, resolution: vocab.kind },
        files: parts,
        characters: used,
        features: ranking.map((r) => ({ ...r, top: r.top.map((n) => ({ ...n, label: neuronLabel(n.neuron) })) })),
        gateSaturation: gates.map((g) => ({ layer: g.layer, gate: g.gate, ...g.saturation, left: Array.from(g.saturation.left), right: Array.from(g.saturation.right) })),
      }) + '\n',
    );
    return 0;
  }

  const out: string[] = [];
  out.push(`${modelFile}: ${spec.cell.toUpperCase()} ${spec.layers}×${spec.hidden}, ${vocab.kind} resolution; ${used.toLocaleString('en-US')} characters in ${parts.length} file${parts.length === 1 ? '' : 's'}`);
  out.push('neurons: <kind><layer>:<unit>, h hidden state, c cell state. AUC near 1 or 0 and r near ±1 track the feature (near 0: the neuron is low where it holds).');
  out.push('');
  const width = Math.max(...ranking.map((r) => r.feature.length), 'feature'.length) + 2;
  out.push(`${'feature'.padEnd(width)}best neurons`);
  for (const r of ranking) out.push(`${r.feature.padEnd(width)}${describeRanking(r)}`);
  if (gates.length) {
    out.push('');
    out.push('gate saturation: share of steps < 0.1 | > 0.9 (units saturated more than half the time)');
    for (let l = 0; l < spec.layers; l++) {
      const cells = gates
        .filter((g) => g.layer === l)
        .map((g) => `${g.gate} ${percent(g.saturation.meanLeft)} | ${percent(g.saturation.meanRight)} (${g.saturation.mostlyLeft} | ${g.saturation.mostlyRight})`);
      out.push(`  layer ${l}  ${cells.join('   ')}`);
    }
  }
  io.stdout.write(out.join('\n') + '\n');
  return 0;
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

function concat(pieces: Float32Array[]): Float32Array {
  const out = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
