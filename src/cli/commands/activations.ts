import { valueScale } from '../../core/neurons/valueScale';
import { ActivationDocument } from '../../engine/activations/activationDocument';
import type { ActivationKind } from '../../engine/activations/activationModel';
import { MAX_DOCUMENT_LENGTH } from '../../protocol/limits';
import { readTextFile } from '../inputFiles';
import { UsageError, intOption, parseCommandLine, stringOption, type CommandSpec } from '../usage';

export const activationsCommand: CommandSpec = {
  name: 'activations',
  summary: "Show one neuron's value at every character of a file (colours on a terminal, character and value per line otherwise).",
  usage: 'rnn-lab activations <runDir|model.onnx> <file> [--layer L] [--neuron N] [--kind K] [--direction D] [--json]',
  options: {
    layer: { type: 'string', help: '<L>  layer, counted from 0 (default: the last)' },
    neuron: { type: 'string', help: '<N>  unit in that layer, counted from 0 (default: the one that varies most over the file)' },
    kind: { type: 'string', help: '<h|c|i|f|o|z|r>  hidden state h (default), LSTM cell state c or gates i, f, o; GRU gates z, r' },
    direction: { type: 'string', help: '<forward|backward>  of a bidirectional model, the direction the unit belongs to (default forward)' },
    json: { type: 'boolean', help: 'one JSON object: the value at every character, and the tokens' },
  },
};

/**
 * Prints the text coloured by the neuron's value (Karpathy et al. 2015) on a
 * terminal: blue below the neutral value, red above, white near it. Piped or
 * redirected, one line per character: the character (\n, \t, \r escaped), a
 * tab, the value. NO_COLOR turns colours off, FORCE_COLOR on.
 */
export async function runActivations(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const { values, positionals } = parseCommandLine(activationsCommand, argv);
  if (positionals.length !== 2) throw new UsageError('give a run folder or .onnx file, then one text file (see rnn-lab activations --help)');
  const [source, file] = positionals;
  const text = readTextFile(file, { maxChars: MAX_DOCUMENT_LENGTH, purpose: 'activations reads' });
  const asked: NeuronOptions = {
    kind: stringOption(values, 'kind') ?? 'h',
    layer: values.layer === undefined ? undefined : intOption(values, 'layer', 0),
    neuron: values.neuron === undefined ? undefined : intOption(values, 'neuron', 0),
    direction: stringOption(values, 'direction') ?? 'forward',
  };
  // No predictions are shown (topK 1 is the least kept); the cache keeps a small model's whole text between the two passes.
  const doc = await ActivationDocument.open(source, text, { internals: asked.kind !== 'h', topK: 1, cacheBytes: CACHE_BYTES });
  try {
    const { kind, layer, offset } = checkNeuronOptions(doc, asked);
    const neuron = asked.neuron ?? (await mostVariableUnit(doc, layer, kind, offset));
    const trace = await traceNeuron(doc, layer, kind, offset + neuron);
    const bidirectional = doc.model.spec.bidirectional === true;
    if (values.json) {
      const header = {
        model: doc.model.file,
        file,
        layer,
        kind,
        neuron,
        ...(bidirectional ? { direction: asked.direction } : {}),
        resolution: doc.model.vocab.kind,
        characters: doc.length,
      };
      await writeJson(io.stdout, header, trace);
      return 0;
    }
    const named = `layer ${layer}${bidirectional ? ` ${asked.direction}` : ''} ${kind} unit ${neuron}`;
    if (asked.neuron === undefined) io.stderr.write(`${named} (the one that varies most; choose with --neuron)\n`);
    if (useColour(io.stdout)) await printColoured(io, text, kind, trace.perChar);
    else await writeInPieces(io.stdout, Array.from(text), (ch, i) => `${escapeChar(ch)}\t${trace.perChar[i].toFixed(4)}\n`);
    return 0;
  } finally {
    await doc.close();
  }
}

/** Computed chunks kept between the passes: bounded, whatever the model and the file. */
const CACHE_BYTES = 256 * 1024 * 1024;

/** Tokens computed per request: the memory held stays small however long the file. */
const TOKENS_PER_PIECE = 16_384;

/** One neuron over the whole text: its value at each character, and each token's span and whether it was unknown. */
interface NeuronTrace {
  perChar: Float32Array;
  starts: Int32Array;
  ends: Int32Array;
  unknown: number[];
}

/** `column`: the unit's place in a layer's row (a bidirectional row holds the forward units, then the backward ones). */
async function traceNeuron(doc: ActivationDocument, layer: number, kind: ActivationKind, column: number): Promise<NeuronTrace> {
  const trace: NeuronTrace = {
    perChar: new Float32Array(doc.length),
    starts: new Int32Array(doc.tokenCount),
    ends: new Int32Array(doc.tokenCount),
    unknown: [],
  };
  for (let first = 0; first < doc.tokenCount; first += TOKENS_PER_PIECE) {
    const range = await doc.tokenRange(first, first + TOKENS_PER_PIECE, [kind]);
    const values = range.layers[layer][kind]!;
    const width = doc.model.width;
    for (let t = 0; t < range.count; t++) {
      trace.perChar.fill(values[t * width + column], range.starts[t], range.ends[t]);
      trace.starts[first + t] = range.starts[t];
      trace.ends[first + t] = range.ends[t];
      if (range.unknown[t]) trace.unknown.push(first + t);
    }
  }
  return trace;
}

/** The unit (of the direction starting at `offset` in a row) with the largest variance over the tokens (0 when there are none), read piece by piece. */
async function mostVariableUnit(doc: ActivationDocument, layer: number, kind: ActivationKind, offset: number): Promise<number> {
  const units = doc.model.spec.hidden;
  const sum = new Float64Array(units);
  const squares = new Float64Array(units);
  for (let first = 0; first < doc.tokenCount; first += TOKENS_PER_PIECE) {
    const range = await doc.tokenRange(first, first + TOKENS_PER_PIECE, [kind]);
    const values = range.layers[layer][kind]!;
    for (let t = 0; t < range.count; t++) {
      for (let j = 0; j < units; j++) {
        const v = values[t * doc.model.width + offset + j];
        sum[j] += v;
        squares[j] += v * v;
      }
    }
  }
  const steps = doc.tokenCount;
  let best = 0;
  let bestVariance = -1;
  for (let j = 0; j < units; j++) {
    const variance = steps ? squares[j] / steps - (sum[j] / steps) ** 2 : 0;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = j;
    }
  }
  return best;
}

/** The JSON object, written in pieces: a 5-million-character file never becomes one string. */
async function writeJson(stdout: NodeJS.WriteStream, header: Record<string, unknown>, trace: NeuronTrace): Promise<void> {
  await write(stdout, JSON.stringify(header).slice(0, -1) + ',"values":[');
  await writeInPieces(stdout, trace.perChar, (v, i) => `${i ? ',' : ''}${Number.isFinite(v) ? JSON.stringify(v) : 'null'}`);
  await write(stdout, '],"tokens":[');
  await writeInPieces(stdout, trace.starts, (start, t) => `${t ? ',' : ''}[${start},${trace.ends[t]}]`);
  await write(stdout, `],"unknown":${JSON.stringify(trace.unknown)}}\n`);
}

/** Writes `format(item, i)` for every item, about 64 kB at a time, waiting for the pipe to drain. */
async function writeInPieces<T>(stdout: NodeJS.WriteStream, items: ArrayLike<T>, format: (item: T, i: number) => string): Promise<void> {
  let piece = '';
  for (let i = 0; i < items.length; i++) {
    piece += format(items[i], i);
    if (piece.length >= 65_536) {
      await write(stdout, piece);
      piece = '';
    }
  }
  if (piece) await write(stdout, piece);
}

function write(stdout: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stdout.write(text)) resolve();
    else {
      stdout.once('drain', resolve);
      stdout.once('error', reject);
    }
  });
}

interface NeuronOptions {
  kind: string;
  layer: number | undefined;
  neuron: number | undefined;
  direction: string;
}

/** The kind, layer and direction asked for, checked against the model (the last layer by default); `offset` is the direction's first column in a row. */
function checkNeuronOptions(doc: ActivationDocument, asked: NeuronOptions): { kind: ActivationKind; layer: number; offset: number } {
  const { spec, kinds } = doc.model;
  if (!kinds.includes(asked.kind as ActivationKind))
    throw new UsageError(`--kind ${asked.kind}: a${spec.cell === 'lstm' ? 'n' : ''} ${spec.cell.toUpperCase()} has ${kinds.join(', ')}`);
  const layer = asked.layer ?? spec.layers - 1;
  if (layer < 0 || layer >= spec.layers)
    throw new UsageError(`--layer ${layer}: the model has ${spec.layers} layer${spec.layers === 1 ? '' : 's'} (0 to ${spec.layers - 1})`);
  if (asked.neuron !== undefined && (asked.neuron < 0 || asked.neuron >= spec.hidden))
    throw new UsageError(`--neuron ${asked.neuron}: layers have ${spec.hidden} units (0 to ${spec.hidden - 1})`);
  if (asked.direction !== 'forward' && asked.direction !== 'backward') throw new UsageError(`--direction ${asked.direction}: give forward or backward`);
  if (asked.direction === 'backward' && !spec.bidirectional) throw new UsageError('--direction backward: the model reads the text in one direction only');
  return { kind: asked.kind as ActivationKind, layer, offset: asked.direction === 'backward' ? spec.hidden : 0 };
}

/** The text with a background colour per character, and the colour scale on stderr. */
async function printColoured(
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  text: string,
  kind: ActivationKind,
  perChar: Float32Array,
): Promise<void> {
  const { centre, half } = valueScale(kind, perChar);
  await writeInPieces(io.stdout, Array.from(text), (ch, i) => (ch === '\n' ? `${RESET}\n` : `${background((perChar[i] - centre) / half)}${ch}`));
  await write(io.stdout, RESET + (text.endsWith('\n') || text === '' ? '' : '\n'));
  const swatch = (x: number) => `${background(x)} ${(centre + x * half).toFixed(2)} ${RESET}`;
  io.stderr.write(`${swatch(-1)}${swatch(0)}${swatch(1)}\n`);
}

function useColour(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const RESET = '\x1b[0m';
/** ColorBrewer RdBu ends and middle: blue for low, red for high. */
const LOW = [33, 102, 172];
const MID = [247, 247, 247];
const HIGH = [178, 24, 43];

/** Black text on a background for x in [−1, 1] (clamped). */
function background(x: number): string {
  const t = Math.max(-1, Math.min(1, Number.isFinite(x) ? x : 0));
  const end = t < 0 ? LOW : HIGH;
  const w = Math.abs(t);
  const [r, g, b] = MID.map((m, i) => Math.round(m + (end[i] - m) * w));
  return `\x1b[38;2;0;0;0m\x1b[48;2;${r};${g};${b}m`;
}

function escapeChar(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  if (ch === '\\') return '\\\\';
  return ch;
}
