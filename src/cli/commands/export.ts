import * as fs from 'fs';
import * as path from 'path';
import { exportRunToOnnx } from '../../engine/onnx/onnxExport';
import { UsageError, choiceOption, parseCommandLine, stringOption, type CommandSpec } from '../usage';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: "Write a run's newest checkpoint as an ONNX model (vocabulary and spec inside).",
  usage: 'rnn-lab export <runDir> [--out FILE] [--quantize int8]',
  options: {
    out: { type: 'string', help: '<FILE>  where to write the model (default <runDir>/model.onnx, or model.int8.onnx with --quantize)' },
    quantize: {
      type: 'string',
      help: "<int8>  int8 weights for onnxruntime's quantized kernels: a quarter of the size, faster generation, slightly less accurate; no neuron activations",
    },
  },
};

/** Prints the written file on stdout and what it holds on stderr. */
export async function runExport(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const { values, positionals } = parseCommandLine(exportCommand, argv);
  if (positionals.length !== 1) throw new UsageError('give exactly one run folder (see rnn-lab export --help)');
  const out = stringOption(values, 'out');
  const precision = values.quantize === undefined ? 'float32' : choiceOption(values, 'quantize', ['int8'] as const, 'int8');
  if (out !== undefined) {
    const parent = path.dirname(path.resolve(out));
    if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) throw new UsageError(`--out: folder ${parent} does not exist`);
    if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new UsageError(`--out: ${out} is a folder; give a file name`);
  }
  const result = exportRunToOnnx(positionals[0], out, precision, 'rnn-lab export');
  io.stderr.write(`exported step ${result.step}${precision === 'int8' ? ' with int8 weights' : ''} (${(result.bytes / 1024).toFixed(0)} KB)\n`);
  io.stdout.write(result.file + '\n');
  return 0;
}
