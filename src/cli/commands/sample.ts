import { BACKENDS } from '../../core/spec';
import { initBackend } from '../../engine/backend';
import { loadRunModel } from '../../engine/runModel';
import { sampleText } from '../../engine/sampler';
import { UsageError, choiceOption, intOption, numberOption, parseCommandLine, stringOption, type CommandSpec } from '../usage';

export const sampleCommand: CommandSpec = {
  name: 'sample',
  summary: "Generate text from a run's newest checkpoint, streamed to stdout.",
  usage: 'rnn-lab sample <runDir> [options]',
  options: {
    prime: { type: 'string', help: '<TEXT>  text to start from (default: a newline)' },
    length: { type: 'string', help: '<N>  tokens to generate (default 500)' },
    temperature: { type: 'string', help: '<T>  0 = always the most likely token; higher = more varied (default 0.8)' },
    'top-k': { type: 'string', help: '<K>  draw only among the K most likely tokens; 0 = all (default 0)' },
    seed: { type: 'string', help: '<N>  random seed (default 1)' },
    backend: { type: 'string', help: `<${BACKENDS.join('|')}>  tfjs backend (default auto)` },
  },
};

export async function runSample(argv: string[], io: { stdout: NodeJS.WriteStream }): Promise<number> {
  const { values, positionals } = parseCommandLine(sampleCommand, argv);
  if (positionals.length !== 1) throw new UsageError('give exactly one run folder (see rnn-lab sample --help)');
  const options = {
    prime: stringOption(values, 'prime'),
    length: intOption(values, 'length', 500),
    temperature: numberOption(values, 'temperature', 0.8),
    topK: intOption(values, 'top-k', 0),
    seed: intOption(values, 'seed', 1),
  };
  if (options.length < 0) throw new UsageError(`--length must be 0 or more; got ${options.length}`);
  if (options.temperature < 0) throw new UsageError(`--temperature must be 0 or more; got ${options.temperature}`);
  if (options.topK < 0) throw new UsageError(`--top-k must be 0 or more; got ${options.topK}`);
  await initBackend(choiceOption(values, 'backend', BACKENDS, 'auto'));
  const { model, vocab } = loadRunModel(positionals[0]);
  try {
    if (options.prime) io.stdout.write(options.prime);
    sampleText(model, vocab, { ...options, onText: (t) => io.stdout.write(t) });
    io.stdout.write('\n');
  } finally {
    model.dispose();
  }
  return 0;
}
