import * as fs from 'fs';
import { BACKENDS } from '../../core/spec';
import { initBackend } from '../../engine/backend';
import { generate, validateGenerateOptions, type GenerateOptions } from '../../engine/inference/generate';
import { loadRunModel } from '../../engine/runModel';
import { SampleError, sampleText } from '../../engine/sampler';
import { MAX_GENERATE_COUNT } from '../../protocol/limits';
import { UsageError, choiceOption, intOption, numberOption, parseCommandLine, stringOption, type CommandSpec } from '../usage';
import { DEFAULT_SAMPLE_TEMPERATURE } from '../../core/presets';

const ENGINES = ['onnx', 'tfjs'] as const;
/** What --quantize accepts: the model's weights as int8 (float32 is the file as it is). */
const QUANTIZE = ['int8'] as const;

export const sampleCommand: CommandSpec = {
  name: 'sample',
  summary: "Generate text from a run's model.onnx or an RNN Lab .onnx file, streamed to stdout.",
  usage: 'rnn-lab sample <runDir|model.onnx> [options]',
  options: {
    prime: { type: 'string', help: '<TEXT>  text to start from (default: a newline)' },
    length: { type: 'string', help: '<N>  tokens to generate (default 500)' },
    temperature: { type: 'string', help: `<T>  0 = always the most likely token; higher = more varied (default ${DEFAULT_SAMPLE_TEMPERATURE})` },
    'top-k': { type: 'string', help: '<K>  draw only among the K most likely tokens; 0 = all (default 0)' },
    seed: { type: 'string', help: '<N>  random seed (default 1)' },
    count: {
      type: 'string',
      help: `<N>  continuations of the prime, 1-${MAX_GENERATE_COUNT}, made in one batch; continuation i uses seed + i (default 1; more print when done)`,
    },
    quantize: { type: 'string', help: '<int8>  run the model with int8 weights, quantized in memory: faster, slightly less accurate (onnx engine)' },
    engine: {
      type: 'string',
      help: "<onnx|tfjs>  onnxruntime on the run's model.onnx (default; a run without one says so: rnn-lab export makes it), or tfjs on the newest checkpoint",
    },
    backend: { type: 'string', help: `<${BACKENDS.join('|')}>  tfjs backend, with --engine tfjs (default auto)` },
  },
};

export async function runSample(argv: string[], io: { stdout: NodeJS.WriteStream }, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandLine(sampleCommand, argv);
  if (positionals.length !== 1) throw new UsageError('give exactly one run folder or .onnx file (see rnn-lab sample --help)');
  const source = positionals[0];
  const options: GenerateOptions = {
    prime: stringOption(values, 'prime'),
    length: intOption(values, 'length', 500),
    temperature: numberOption(values, 'temperature', DEFAULT_SAMPLE_TEMPERATURE),
    topK: intOption(values, 'top-k', 0),
    seed: intOption(values, 'seed', 1),
    count: intOption(values, 'count', 1),
    ...(values.quantize !== undefined ? { precision: choiceOption(values, 'quantize', QUANTIZE, 'int8') } : {}),
  };
  try {
    validateGenerateOptions(options);
  } catch (err) {
    if (err instanceof SampleError) throw new UsageError(err.message.replace(/^(length|temperature|top-k|count)/, '--$1'));
    throw err;
  }
  const engine = choiceOption(values, 'engine', ENGINES, 'onnx');
  if (engine === 'onnx') {
    if (values.backend !== undefined) throw new UsageError('--backend chooses the tfjs backend: use it with --engine tfjs');
    return options.count === 1 ? streamOne(source, options, io, signal) : printSeveral(source, options, io, signal);
  }

  if (options.count !== 1) throw new UsageError('--count generates in one batch through onnxruntime: use it with --engine onnx');
  if (options.precision) throw new UsageError('--quantize runs the ONNX model quantized: use it with --engine onnx');
  if (fs.existsSync(source) && !fs.statSync(source).isDirectory())
    throw new UsageError("--engine tfjs reads a run folder's checkpoints: give a run folder, not a file");
  await initBackend(choiceOption(values, 'backend', BACKENDS, 'auto'));
  const { model, vocab } = loadRunModel(source);
  try {
    if (options.prime) io.stdout.write(options.prime);
    sampleText(model, vocab, { ...options, onText: (t) => io.stdout.write(t) });
    io.stdout.write('\n');
  } finally {
    model.dispose();
  }
  return 0;
}

/** One continuation, streamed as it is made. */
async function streamOne(source: string, options: GenerateOptions, io: { stdout: NodeJS.WriteStream }, signal?: AbortSignal): Promise<number> {
  if (options.prime) io.stdout.write(options.prime);
  const result = await generate(source, options, (pieces) => io.stdout.write(pieces[0]), signal);
  io.stdout.write('\n');
  return result.stopped ? 130 : 0;
}

/** Several continuations, printed when done, each under a header naming its seed (streams interleaved would be unreadable). */
async function printSeveral(source: string, options: GenerateOptions, io: { stdout: NodeJS.WriteStream }, signal?: AbortSignal): Promise<number> {
  const result = await generate(source, options, undefined, signal);
  const seed = options.seed ?? 1;
  result.texts.forEach((text, i) => {
    io.stdout.write(`${i > 0 ? '\n' : ''}── ${i + 1}/${result.texts.length} · seed ${seed + i} ──\n${options.prime ?? ''}${text}\n`);
  });
  return result.stopped ? 130 : 0;
}
