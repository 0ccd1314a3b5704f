import { valueScale } from '../../core/neurons/valueScale';
import { ActivationDocument } from '../../engine/activations/activationDocument';
import type { ActivationKind } from '../../engine/activations/activationModel';
import { characterTrace } from '../../engine/activations/neuronAnalysis';
import { readTextFile } from '../inputFiles';
import { UsageError, intOption, parseCommandLine, stringOption, type CommandSpec } from '../usage';

export const activationsCommand: CommandSpec = {
  name: 'activations',
  summary: "Show one neuron's value at every character of a file (colours on a terminal, character and value per line otherwise).",
  usage: 'rnn-lab activations <runDir|model.onnx> <file> [--layer L] [--neuron N] [--kind K] [--json]',
  options: {
    layer: { type: 'string', help: '<L>  layer, counted from 0 (default: the last)' },
    neuron: { type: 'string', help: '<N>  unit in that layer, counted from 0 (default: the one that varies most over the file)' },
    kind: { type: 'string', help: '<h|c|i|f|o|z|r>  hidden state h (default), LSTM cell state c or gates i, f, o; GRU gates z, r' },
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
  const text = readTextFile(file);
  const asked: NeuronOptions = {
    kind: stringOption(values, 'kind') ?? 'h',
    layer: values.layer === undefined ? undefined : intOption(values, 'layer', 0),
    neuron: values.neuron === undefined ? undefined : intOption(values, 'neuron', 0),
  };
  const doc = await ActivationDocument.open(source, text, { internals: asked.kind !== 'h' });
  try {
    const { kind, layer } = checkNeuronOptions(doc, asked);
    const range = await doc.range(0, doc.length);
    const neuron = asked.neuron ?? mostVariableUnit(range.layers[layer][kind]!, range.count, doc.model.spec.hidden);
    const perChar = characterTrace(range, layer, kind, neuron);
    if (values.json) {
      const tokens = Array.from(range.starts, (start, t) => [start, range.ends[t]]);
      const unknown = Array.from(range.unknown.keys()).filter((t) => range.unknown[t]);
      const characters = [...text].length;
      const header = { model: doc.model.file, file, layer, kind, neuron, resolution: doc.model.vocab.kind, characters };
      io.stdout.write(JSON.stringify({ ...header, values: Array.from(perChar), tokens, unknown }) + '\n');
      return 0;
    }
    if (asked.neuron === undefined) io.stderr.write(`layer ${layer} ${kind} unit ${neuron} (the one that varies most; choose with --neuron)\n`);
    if (useColour(io.stdout)) printColoured(io, text, kind, perChar);
    else io.stdout.write([...text].map((ch, i) => `${escapeChar(ch)}\t${perChar[i].toFixed(4)}\n`).join(''));
    return 0;
  } finally {
    await doc.close();
  }
}

interface NeuronOptions {
  kind: string;
  layer: number | undefined;
  neuron: number | undefined;
}

/** The kind and layer asked for, checked against the model (the last layer by default). */
function checkNeuronOptions(doc: ActivationDocument, asked: NeuronOptions): { kind: ActivationKind; layer: number } {
  const { spec, kinds } = doc.model;
  if (!kinds.includes(asked.kind as ActivationKind))
    throw new UsageError(`--kind ${asked.kind}: a${spec.cell === 'lstm' ? 'n' : ''} ${spec.cell.toUpperCase()} has ${kinds.join(', ')}`);
  const layer = asked.layer ?? spec.layers - 1;
  if (layer < 0 || layer >= spec.layers)
    throw new UsageError(`--layer ${layer}: the model has ${spec.layers} layer${spec.layers === 1 ? '' : 's'} (0 to ${spec.layers - 1})`);
  if (asked.neuron !== undefined && (asked.neuron < 0 || asked.neuron >= spec.hidden))
    throw new UsageError(`--neuron ${asked.neuron}: layers have ${spec.hidden} units (0 to ${spec.hidden - 1})`);
  return { kind: asked.kind as ActivationKind, layer };
}

/** The text with a background colour per character, and the colour scale on stderr. */
function printColoured(io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }, text: string, kind: ActivationKind, perChar: Float32Array): void {
  const { centre, half } = valueScale(kind, perChar);
  let out = '';
  [...text].forEach((ch, i) => {
    if (ch === '\n') out += `${RESET}\n`;
    else out += `${background((perChar[i] - centre) / half)}${ch}`;
  });
  io.stdout.write(out + RESET + (text.endsWith('\n') || text === '' ? '' : '\n'));
  const swatch = (x: number) => `${background(x)} ${(centre + x * half).toFixed(2)} ${RESET}`;
  io.stderr.write(`${swatch(-1)}${swatch(0)}${swatch(1)}\n`);
}

/** The unit with the largest variance over the steps (0 when there are none). */
function mostVariableUnit(values: Float32Array, steps: number, units: number): number {
  let best = 0;
  let bestVariance = -1;
  for (let j = 0; j < units; j++) {
    let sum = 0;
    let squares = 0;
    for (let t = 0; t < steps; t++) {
      const v = values[t * units + j];
      sum += v;
      squares += v * v;
    }
    const variance = steps ? squares / steps - (sum / steps) ** 2 : 0;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = j;
    }
  }
  return best;
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
