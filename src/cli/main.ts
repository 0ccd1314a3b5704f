import { CorpusError } from '../core/corpus';
import { TaskDataError } from '../core/tasks/taskData';
import { BatchingError } from '../core/batching';
import { SpecError } from '../core/spec';
import { VocabularyError } from '../core/vocabulary';
import { formatHelp, parseCommandLine, UsageError, type CommandSpec } from './usage';
import { runTrain, trainCommand } from './commands/train';
import { runSample, sampleCommand } from './commands/sample';
import { exportCommand, runExport } from './commands/export';
import { predictCommand, runPredict } from './commands/predict';
import { runScore, scoreCommand } from './commands/score';
import { activationsCommand, runActivations } from './commands/activations';
import { neuronsCommand, runNeurons } from './commands/neurons';
import { experimentCommand, runExperiment } from './commands/experiment';
import { RunStoreError } from '../core/runStore';
import { InputFileError } from './inputFiles';
import { OnnxModelError } from '../engine/onnx/onnxModelError';
import { SampleError } from '../engine/sampler';
import { CheckpointError } from '../engine/checkpoint';
import { FileStepError } from '../core/fileSteps';
import { RunLockedError } from '../core/runLock';
import { MemoryLimitError } from '../engine/training/memoryEstimate';
import { TrainingCancelledError, TrainingSetupError } from '../engine/training/trainingRun';

/**
 * What the first Ctrl-C (SIGINT or SIGTERM) does: `train` finishes its step and
 * checkpoints, `sample` and `score` stop at their next piece, the others have
 * nothing to save and exit at once. A second one always exits at once.
 */
type Interrupt = { stops: string } | 'exit';

const COMMANDS: { spec: CommandSpec; interrupt: Interrupt; run: (argv: string[], signal: AbortSignal) => Promise<number> }[] = [
  {
    spec: trainCommand,
    interrupt: { stops: 'stopping after this step (Ctrl-C again to quit at once)…' },
    run: (argv, signal) => runTrain(argv, { stdout: process.stdout, stderr: process.stderr }, signal),
  },
  { spec: sampleCommand, interrupt: { stops: 'stopping…' }, run: (argv, signal) => runSample(argv, { stdout: process.stdout }, signal) },
  { spec: scoreCommand, interrupt: { stops: 'stopping…' }, run: (argv, signal) => runScore(argv, { stdout: process.stdout }, signal) },
  { spec: predictCommand, interrupt: 'exit', run: (argv) => runPredict(argv, { stdout: process.stdout }) },
  { spec: exportCommand, interrupt: 'exit', run: (argv) => runExport(argv, { stdout: process.stdout, stderr: process.stderr }) },
  { spec: activationsCommand, interrupt: 'exit', run: (argv) => runActivations(argv, { stdout: process.stdout, stderr: process.stderr }) },
  { spec: neuronsCommand, interrupt: 'exit', run: (argv) => runNeurons(argv, { stdout: process.stdout, stderr: process.stderr }) },
  {
    spec: experimentCommand,
    interrupt: { stops: 'stopping after this step of the running member (Ctrl-C again to quit at once)…' },
    run: (argv, signal) => runExperiment(argv, { stdout: process.stdout, stderr: process.stderr }, signal),
  },
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  const list = COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`).join('\n');
  return [
    'rnn-lab: train recurrent networks (RNN, LSTM, GRU) on your code and look inside them.',
    '',
    'Usage: rnn-lab <command> [options]',
    '',
    `Commands:\n${list}`,
    '',
    "Run rnn-lab <command> --help for a command's options.\n",
  ].join('\n');
}

/**
 * Exit codes: 0 success, 1 runtime failure, 2 usage error, 130 interrupted
 * (after the current step, with a checkpoint). Failures print one line on
 * stderr; RNNLAB_DEBUG=1 adds the stack trace.
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = COMMANDS.find((c) => c.spec.name === rest[0]);
    process.stdout.write(topic ? formatHelp(topic.spec) : mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json, bundled by esbuild
    process.stdout.write(`${(require('../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map((c) => c.spec.name).join(', ')})`);
  if (rest.includes('--help') || rest.includes('-h')) {
    parseCommandLine(command.spec, rest); // still reject unknown flags
    process.stdout.write(formatHelp(command.spec));
    return 0;
  }
  const controller = new AbortController();
  const interrupt = () => {
    if (command.interrupt === 'exit' || controller.signal.aborted) process.exit(130); // a second Ctrl-C does not wait
    process.stderr.write(`\n${command.interrupt.stops}\n`);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  return command.run(rest, controller.signal);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof TrainingCancelledError) return 130;
  return err instanceof UsageError || err instanceof SpecError ? 2 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const known =
      err instanceof UsageError ||
      err instanceof SpecError ||
      err instanceof CorpusError ||
      err instanceof BatchingError ||
      err instanceof VocabularyError ||
      err instanceof OnnxModelError ||
      err instanceof SampleError ||
      err instanceof InputFileError ||
      err instanceof TrainingSetupError ||
      err instanceof TrainingCancelledError ||
      err instanceof MemoryLimitError ||
      err instanceof RunLockedError ||
      err instanceof RunStoreError ||
      err instanceof FileStepError ||
      err instanceof CheckpointError ||
      err instanceof TaskDataError;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`rnn-lab: error: ${message.split('\n')[0]}\n`);
    if (err instanceof UsageError) process.stderr.write('Run rnn-lab --help for usage.\n');
    if (process.env.RNNLAB_DEBUG && err instanceof Error && !known) process.stderr.write(`${err.stack}\n`);
    process.exitCode = exitCodeFor(err);
  },
);
