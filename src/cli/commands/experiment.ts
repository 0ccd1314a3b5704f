import { EXPERIMENT_KINDS, type ExperimentKind } from '../../core/experiments/experimentFormat';
import { CLIPPING_DEFAULTS, VANISHING_DEFAULTS, type ExperimentOptions } from '../../core/experiments/experimentPlan';
import { experimentFindings } from '../../core/experiments/experimentFindings';
import { summarizeExperiment, type ExperimentSummary } from '../../core/experiments/experimentSummary';
import { describeBackend } from '../../core/runFormat';
import { natsToBits } from '../../core/units';
import { lossUnit } from '../../core/runLabels';
import { BACKENDS, CELL_TYPES, DEFAULT_TRAINING, MAX_TRAINING_THREADS, OPTIMIZERS } from '../../core/spec';
import { resumeExperiment, startExperiment, type ExperimentEvents, type MemberEvent, type StartedExperiment } from '../../engine/experiments/experimentRunner';
import { ProgressReporter } from '../progress';
import { DEFAULT_RUNS_DIR } from './train';
import { UsageError, choiceOption, intOption, numberOption, parseCommandLine, stringOption, type CommandSpec } from '../usage';
import { formatSummaryTable } from './experimentTable';

export const experimentCommand: CommandSpec = {
  name: 'experiment',
  summary: "Run one of the lecture's gradient experiments: clipping on and off, or vanishing gradients in RNN, LSTM and GRU.",
  usage: 'rnn-lab experiment clipping|vanishing <paths...> [options] [--json]    (or: rnn-lab experiment --resume EXPERIMENT_DIR)',
  options: {
    steps: { type: 'string', help: `<N>  steps of every member (default: clipping ${CLIPPING_DEFAULTS.steps}, vanishing ${VANISHING_DEFAULTS.steps})` },
    seed: { type: 'string', help: `<N>  one seed for every member: weights and data order (default ${DEFAULT_TRAINING.seed})` },
    hidden: { type: 'string', help: `<N>  hidden units per layer (default ${CLIPPING_DEFAULTS.hidden}; vanishing: the LSTM's with --same-params)` },
    layers: { type: 'string', help: `<N>  layers (default: clipping ${CLIPPING_DEFAULTS.layers}, vanishing ${VANISHING_DEFAULTS.layers})` },
    seq: { type: 'string', help: `<N>  sequence length, also the gradient-flow window T (default ${DEFAULT_TRAINING.seqLength})` },
    batch: { type: 'string', help: `<N>  parallel streams (default ${DEFAULT_TRAINING.batchSize})` },
    cell: { type: 'string', help: `<${CELL_TYPES.join('|')}>  clipping: the cell of every member (default ${CLIPPING_DEFAULTS.cell})` },
    optimizer: {
      type: 'string',
      help: `<${OPTIMIZERS.join('|')}>  (default: clipping ${CLIPPING_DEFAULTS.optimizer}, vanishing ${DEFAULT_TRAINING.optimizer})`,
    },
    lr: { type: 'string', help: `<X>  learning rate (default: clipping ${CLIPPING_DEFAULTS.lr}, vanishing ${DEFAULT_TRAINING.learningRate})` },
    clip: { type: 'string', help: `<X>  clipping: τ, the global-norm threshold (default ${CLIPPING_DEFAULTS.clip})` },
    'clip-value': { type: 'string', help: '<X>  clipping: the element bound of the by-value member (default: τ)' },
    'same-params': { type: 'boolean', help: " vanishing: size RNN and GRU to about the LSTM's parameter count, not its hidden size" },
    'eval-every': { type: 'string', help: `<N>  validation loss and gradient flow every N steps (default ${DEFAULT_TRAINING.evalEvery})` },
    'checkpoint-every': { type: 'string', help: `<N>  checkpoint every N steps (default ${DEFAULT_TRAINING.checkpointEvery})` },
    'grad-flow-every': { type: 'string', help: '<N>  gradient flow every N steps (default: at each evaluation)' },
    include: { type: 'string', multiple: true, help: '<GLOB>  only files matching GLOB under the given folders (repeatable)' },
    backend: { type: 'string', help: `<${BACKENDS.join('|')}>  what computes (default auto)` },
    threads: { type: 'string', help: '<N>  worker threads of the fused kernels (default 2, or 1 when only one core is free)' },
    out: { type: 'string', help: `<DIR>  parent folder of the experiment folder (default ${DEFAULT_RUNS_DIR})` },
    resume: { type: 'string', help: '<EXPERIMENT_DIR>  continue a stopped experiment' },
    json: { type: 'boolean', help: ' print the summary as one JSON object on stdout' },
  },
};

type Values = ReturnType<typeof parseCommandLine>['values'];
type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream };

/** Runs `rnn-lab experiment`; resolves to the exit code (0 completed, 130 stopped, 1 failed). */
export async function runExperiment(argv: string[], io: Io, signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandLine(experimentCommand, argv);
  const backend = choiceOption(values, 'backend', BACKENDS, 'auto');
  const threads = values.threads === undefined ? undefined : intOption(values, 'threads', 1);
  if (threads !== undefined && !(threads >= 1 && threads <= MAX_TRAINING_THREADS)) throw new UsageError(`--threads must be from 1 to ${MAX_TRAINING_THREADS}`);
  const progress = new MemberProgress(io.stderr);
  const resume = stringOption(values, 'resume');
  let started: StartedExperiment;
  if (resume !== undefined) {
    if (positionals.length > 0) throw new UsageError('--resume continues an existing experiment: give no kind or paths with it');
    started = await resumeExperiment({ dir: resume, backend, threads }, progress.events, signal);
  } else {
    const [kind, ...inputs] = positionals;
    if (!EXPERIMENT_KINDS.includes(kind as ExperimentKind))
      throw new UsageError(`give the experiment first: ${EXPERIMENT_KINDS.join(' or ')} (see rnn-lab experiment --help)`);
    if (inputs.length === 0) throw new UsageError('give at least one file, folder or glob to train on');
    const options = experimentOptions(kind as ExperimentKind, values);
    const request = {
      kind: kind as ExperimentKind,
      inputs,
      include: values.include as string[] | undefined,
      outDir: stringOption(values, 'out') ?? DEFAULT_RUNS_DIR,
    };
    started = await startExperiment({ ...request, options, backend, threads }, progress.events, signal);
  }
  io.stderr.write(
    `${resume ? 'resuming' : 'running'} ${started.info.kind} experiment in ${started.dir}: ${started.info.variants.map((v) => v.label).join(', ')}\n`,
  );
  const outcome = await started.outcome;
  progress.end();
  const summary = summarizeExperiment(started.dir, outcome.info);
  printSummary(io, summary, values.json === true);
  if (outcome.status === 'failed') io.stderr.write(`rnn-lab: error: ${outcome.message}\n`);
  else if (outcome.status === 'cancelled') io.stderr.write(`${outcome.message}: rnn-lab experiment --resume ${started.dir}\n`);
  return outcome.status === 'completed' ? 0 : outcome.status === 'cancelled' ? 130 : 1;
}

/** The options a kind takes; one of the other kind's is a usage error rather than silently ignored. */
function experimentOptions(kind: ExperimentKind, values: Values): ExperimentOptions {
  const only = (names: string[], what: ExperimentKind) => {
    for (const name of names) if (values[name] !== undefined && kind !== what) throw new UsageError(`--${name} is for the ${what} experiment`);
  };
  only(['cell', 'clip', 'clip-value'], 'clipping');
  only(['same-params'], 'vanishing');
  const int = (name: string) => (values[name] === undefined ? undefined : intOption(values, name, 0));
  const num = (name: string) => (values[name] === undefined ? undefined : numberOption(values, name, 0));
  return {
    steps: int('steps'),
    seed: int('seed'),
    hidden: int('hidden'),
    layers: int('layers'),
    seq: int('seq'),
    batch: int('batch'),
    cell: values.cell === undefined ? undefined : choiceOption(values, 'cell', CELL_TYPES, 'rnn'),
    optimizer: values.optimizer === undefined ? undefined : choiceOption(values, 'optimizer', OPTIMIZERS, 'adam'),
    lr: num('lr'),
    clip: num('clip'),
    clipValue: num('clip-value'),
    sizing: values['same-params'] === true ? 'parameters' : undefined,
    evalEvery: int('eval-every'),
    checkpointEvery: int('checkpoint-every'),
    gradFlowEvery: int('grad-flow-every'),
  };
}

function printSummary(io: Io, summary: ExperimentSummary, json: boolean): void {
  if (json) {
    io.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  io.stdout.write(formatSummaryTable(summary) + '\n\n' + experimentFindings(summary).join('\n') + '\n');
}

/** One progress bar per member on stderr, with a header line naming it. */
class MemberProgress {
  private reporter: ProgressReporter | undefined;
  readonly events: ExperimentEvents = {
    training: {
      onStep: (r) => this.reporter?.step(r.step, r.loss, r.charsPerSec),
      onEval: (r) => this.reporter?.evaluation(r.step, r.valLoss),
    },
    onMember: (m) => this.begin(m),
    onMemberFinished: (m, outcome) => {
      this.end();
      const p = outcome.info.progress;
      const loss = p.lastLoss !== undefined ? `, loss ${natsToBits(p.lastLoss).toFixed(3)} ${lossUnit(outcome.info)}` : '';
      this.stderr.write(
        `member ${m.index + 1}/${m.total} ${outcome.status} at step ${p.step}/${p.totalSteps}${loss}${outcome.message ? `: ${outcome.message}` : ''}\n`,
      );
    },
  };

  constructor(private readonly stderr: NodeJS.WriteStream) {}

  private begin(m: MemberEvent): void {
    const { info } = m;
    const model = `${info.model.layers}×${info.model.cell.toUpperCase()}-${info.model.hidden}`;
    this.stderr.write(
      `member ${m.index + 1}/${m.total}: ${m.variant.label} — ${m.resumed ? 'resuming' : 'training'} ${model} ` +
        `on ${info.corpus.documents} files with ${describeBackend(info.backend)}\n  run folder: ${m.runDir}\n`,
    );
    const steps = info.training.steps;
    this.reporter = new ProgressReporter(this.stderr, steps, info.progress.step, Math.max(1, Math.round(steps / 10)), info.training.resolution);
  }

  end(): void {
    this.reporter?.end();
    this.reporter = undefined;
  }
}
