import * as path from 'path';
import {
  BACKENDS,
  CELL_TYPES,
  CLIP_MODES,
  DEFAULT_MODEL,
  DEFAULT_TRAINING,
  MAX_GRAD_FLOW_LENGTH,
  MAX_TRAINING_THREADS,
  OPTIMIZERS,
  POOLINGS,
  TASK_DATA_FORMATS,
  type ModelSpec,
  type TaskDataSpec,
  type TrainingSpec,
} from '../../core/spec';
import { TASK_KINDS, type TaskKind } from '../../core/tasks/taskData';
import { TASK_DEFAULTS } from '../../core/tasks/taskDefaults';
import { DEFAULT_SNIPPET_LINES } from '../../core/tasks/taskDataset';
import { describeTaskData, describeTaskEvaluation, describeTaskSummary } from '../taskReport';
import { describeBackend, type RunInfo, type TaskEvalRecord } from '../../core/runFormat';
import { natsToBits } from '../../core/units';
import { lossUnit } from '../../core/runLabels';
import { resumeTraining, startTraining, type StartedTraining, type TrainRequest } from '../../engine/training/trainingRun';
import type { TrainerEvents } from '../../engine/training/trainingLoop';
import { ProgressReporter } from '../progress';
import { UsageError, choiceOption, intOption, numberOption, parseCommandLine, stringOption, type CommandSpec } from '../usage';

export const DEFAULT_RUNS_DIR = path.join('.rnnlab', 'runs');

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'Train an RNN language model, tagger or classifier on files, folders or globs.',
  usage: 'rnn-lab train <paths...> [options]    (or: rnn-lab train --resume RUN_DIR [--steps N])',
  options: {
    task: {
      type: 'string',
      help: '<lm|tag|classify>  language model (default); a tag per token (source code: its syntax classes; .conllu/.conll: their tags); one label per text',
    },
    bidirectional: { type: 'boolean', help: 'every layer reads the sequence both ways (--task tag and classify only)' },
    labels: { type: 'string', help: '<extension>  with --task classify: label source files by their language, cut into snippets' },
    format: { type: 'string', help: `<${TASK_DATA_FORMATS.join('|')}>  the data files' format when their extension does not say it` },
    'snippet-lines': { type: 'string', help: `<N>  lines per snippet with --labels extension (default ${DEFAULT_SNIPPET_LINES})` },
    pooling: {
      type: 'string',
      help: `<${POOLINGS.join('|')}>  what a classifier reads: the final states of both directions, or the mean output (default mean)`,
    },
    cell: { type: 'string', help: `<${CELL_TYPES.join('|')}>  recurrent cell (default ${DEFAULT_MODEL.cell})` },
    layers: { type: 'string', help: `<N>  stacked layers, 1-4 (default ${DEFAULT_MODEL.layers})` },
    hidden: { type: 'string', help: `<N>  hidden units per layer (default ${DEFAULT_MODEL.hidden})` },
    embedding: { type: 'string', help: '<N>  embedding width; 0 = one-hot input (default 0)' },
    dropout: { type: 'string', help: '<P>  dropout between layers, 0 to <1 (default 0)' },
    resolution: { type: 'string', help: '<char|token>  characters or code tokens (default char)' },
    seq: { type: 'string', help: `<N>  time steps per window (truncated BPTT) (default ${DEFAULT_TRAINING.seqLength})` },
    batch: { type: 'string', help: `<N>  parallel streams (default ${DEFAULT_TRAINING.batchSize})` },
    steps: { type: 'string', help: `<N>  optimizer steps (default ${DEFAULT_TRAINING.steps})` },
    epochs: { type: 'string', help: '<N>  train for N passes over the data instead of --steps' },
    lr: { type: 'string', help: `<X>  learning rate (default ${DEFAULT_TRAINING.learningRate})` },
    'lr-decay': { type: 'string', help: '<X>  multiply the learning rate by X every --lr-decay-every steps (default 1)' },
    'lr-decay-every': { type: 'string', help: `<N>  (default ${DEFAULT_TRAINING.lrDecayEvery})` },
    optimizer: { type: 'string', help: `<${OPTIMIZERS.join('|')}>  (default ${DEFAULT_TRAINING.optimizer})` },
    'clip-mode': {
      type: 'string',
      help: `<${CLIP_MODES.join('|')}>  gradient clipping: global norm, element value, or none (default ${DEFAULT_TRAINING.clipMode})`,
    },
    clip: { type: 'string', help: `<X>  clipping threshold (default ${DEFAULT_TRAINING.clipValue})` },
    'eval-every': { type: 'string', help: `<N>  validation loss every N steps (default ${DEFAULT_TRAINING.evalEvery})` },
    'sample-every': { type: 'string', help: `<N>  write a sample every N steps (default ${DEFAULT_TRAINING.sampleEvery})` },
    'checkpoint-every': { type: 'string', help: `<N>  checkpoint every N steps (default ${DEFAULT_TRAINING.checkpointEvery})` },
    'grad-flow-every': {
      type: 'string',
      help: '<N>  measure the gradient flow through time (gradflow.jsonl) every N steps; 0 = never (default: at each evaluation)',
    },
    'grad-flow-length': {
      type: 'string',
      help: `<N>  the gradient-flow window T, 1-${MAX_GRAD_FLOW_LENGTH} (default: --seq, at most ${MAX_GRAD_FLOW_LENGTH})`,
    },
    seed: { type: 'string', help: `<N>  seed for weights, data order and samples (default ${DEFAULT_TRAINING.seed})` },
    include: { type: 'string', multiple: true, help: "<GLOB>  only files matching GLOB under the given folders, e.g. '**/*.ts' (repeatable)" },
    'max-file-bytes': { type: 'string', help: `<N>  skip files larger than N bytes (default ${DEFAULT_TRAINING.maxFileBytes})` },
    backend: {
      type: 'string',
      help: `<${BACKENDS.join('|')}>  what computes (default auto: tfjs-node-gpu or tfjs-node if installed, else the fused kernels; wasm/cpu: tfjs ops only)`,
    },
    threads: { type: 'string', help: `<N>  worker threads of the fused kernels (default 2, or 1 when only one core is free)` },
    out: { type: 'string', help: `<DIR>  parent folder of run folders (default ${DEFAULT_RUNS_DIR})` },
    resume: { type: 'string', help: '<RUN_DIR>  continue a run from its newest checkpoint' },
    'allow-changed-corpus': { type: 'boolean', help: 'with --resume: continue although the training files changed since the run started' },
  },
};

/** Runs `rnn-lab train`; resolves to the process exit code. */
export async function runTrain(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }, signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandLine(trainCommand, argv);
  const backend = choiceOption(values, 'backend', BACKENDS, 'auto');
  const threads = values.threads === undefined ? undefined : intOption(values, 'threads', 1);
  if (threads !== undefined && !(threads >= 1 && threads <= MAX_TRAINING_THREADS)) throw new UsageError(`--threads must be from 1 to ${MAX_TRAINING_THREADS}`);
  const resume = stringOption(values, 'resume');

  let reporter: ProgressReporter | undefined;
  const events: TrainerEvents = {
    onStep: (r) => reporter?.step(r.step, r.loss, r.charsPerSec),
    onEval: (r) => reporter?.evaluation(r.step, r.valLoss),
    onSample: (s) => reporter?.line(`sample at step ${s.step}:\n${indent(s.text)}`),
    onTaskEval: (r) => {
      lastTaskEval = r;
      reporter?.line(describeTaskEvaluation(r));
    },
  };
  let lastTaskEval: TaskEvalRecord | undefined;

  const lockPurpose = resume === undefined ? 'rnn-lab train' : 'rnn-lab train --resume';
  const allowChangedCorpus = values['allow-changed-corpus'] === true;
  let started: StartedTraining;
  if (resume !== undefined) {
    if (positionals.length > 0) throw new UsageError('--resume continues an existing run: give no paths with it');
    const steps = values.steps === undefined ? undefined : intOption(values, 'steps', 0);
    started = await resumeTraining({ runDir: resume, steps, backend, threads, lockPurpose, allowChangedCorpus }, events, signal);
  } else {
    if (allowChangedCorpus) throw new UsageError('--allow-changed-corpus goes with --resume');
    started = await startTraining({ ...newRunRequest(values, positionals), backend, threads, lockPurpose }, events, signal);
  }
  printHeader(io.stderr, started, resume !== undefined);
  const { info } = started;
  reporter = new ProgressReporter(
    io.stderr,
    info.training.steps,
    info.progress.step,
    Math.max(1, Math.round(info.training.steps / 20)),
    info.training.resolution,
  );

  const outcome = await started.outcome;
  reporter.end();
  io.stderr.write(summarize(outcome.info) + '\n');
  if (outcome.info.task && lastTaskEval) io.stderr.write(describeTaskSummary(outcome.info.task, lastTaskEval) + '\n');
  if (outcome.status === 'failed') io.stderr.write(`rnn-lab: error: ${outcome.message}\n`);
  io.stdout.write(started.run.dir + '\n');
  return outcome.status === 'completed' ? 0 : outcome.status === 'cancelled' ? 130 : 1;
}

type Values = ReturnType<typeof parseCommandLine>['values'];

/** The model, training and files of a new run, from the options (defaults for what is not given: the task's, then a language model's). */
export function newRunRequest(values: Values, positionals: string[]): Omit<TrainRequest, 'backend' | 'threads'> {
  if (positionals.length === 0) throw new UsageError('give at least one file, folder or glob to train on (see rnn-lab train --help)');
  if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  const task = choiceOption(values, 'task', TASK_KINDS, 'lm');
  const defaults = task === 'lm' ? { model: {}, training: {} } : TASK_DEFAULTS[task];
  const d: TrainingSpec = { ...DEFAULT_TRAINING, ...defaults.training };
  const training: TrainingSpec = {
    ...d,
    resolution: choiceOption(values, 'resolution', ['char', 'token'] as const, d.resolution),
    seqLength: intOption(values, 'seq', d.seqLength),
    batchSize: intOption(values, 'batch', d.batchSize),
    steps: intOption(values, 'steps', d.steps),
    epochs: values.epochs === undefined ? undefined : numberOption(values, 'epochs', 1),
    optimizer: choiceOption(values, 'optimizer', OPTIMIZERS, d.optimizer),
    learningRate: numberOption(values, 'lr', d.learningRate),
    lrDecay: numberOption(values, 'lr-decay', d.lrDecay),
    lrDecayEvery: intOption(values, 'lr-decay-every', d.lrDecayEvery),
    clipMode: choiceOption(values, 'clip-mode', CLIP_MODES, d.clipMode),
    clipValue: numberOption(values, 'clip', d.clipValue),
    evalEvery: intOption(values, 'eval-every', d.evalEvery),
    sampleEvery: intOption(values, 'sample-every', d.sampleEvery),
    checkpointEvery: intOption(values, 'checkpoint-every', d.checkpointEvery),
    ...(values['grad-flow-every'] !== undefined ? { gradFlowEvery: intOption(values, 'grad-flow-every', 0) } : {}),
    ...(values['grad-flow-length'] !== undefined ? { gradFlowLength: intOption(values, 'grad-flow-length', 0) } : {}),
    seed: intOption(values, 'seed', d.seed),
    maxFileBytes: intOption(values, 'max-file-bytes', d.maxFileBytes),
    ...(task === 'lm' ? {} : { data: taskDataOptions(values, task) }),
  };
  const m = { ...DEFAULT_MODEL, ...defaults.model };
  const model: Omit<ModelSpec, 'vocabSize'> = {
    ...m,
    cell: choiceOption(values, 'cell', CELL_TYPES, m.cell),
    layers: intOption(values, 'layers', m.layers),
    hidden: intOption(values, 'hidden', m.hidden),
    embedding: intOption(values, 'embedding', m.embedding),
    dropout: numberOption(values, 'dropout', m.dropout),
    bidirectional: values.bidirectional === true,
    ...(task === 'lm' ? {} : { task }),
    ...(task === 'classify' ? { pooling: choiceOption(values, 'pooling', POOLINGS, m.pooling ?? 'mean') } : {}),
  };
  if (model.bidirectional && task === 'lm')
    throw new UsageError('--bidirectional layers see the text after each token: a language model would see what it predicts (use --task tag or classify)');
  if (values.pooling !== undefined && task !== 'classify') throw new UsageError('--pooling goes with --task classify');
  const dataOption = ['labels', 'format', 'snippet-lines'].find((o) => values[o] !== undefined);
  if (dataOption && task === 'lm') throw new UsageError(`--${dataOption} goes with --task tag or classify`);
  const include = values.include as string[] | undefined;
  return { inputs: positionals, include, model, training, outDir: stringOption(values, 'out') ?? DEFAULT_RUNS_DIR };
}

/** --labels, --format and --snippet-lines: where a tagger's or classifier's labels come from. */
function taskDataOptions(values: Values, task: TaskKind): TaskDataSpec {
  const labels = values.labels === undefined ? undefined : choiceOption(values, 'labels', ['extension'] as const, 'extension');
  if (labels && task !== 'classify') throw new UsageError('--labels extension labels whole snippets: it goes with --task classify');
  if (values['snippet-lines'] !== undefined && !labels) throw new UsageError('--snippet-lines goes with --labels extension');
  return {
    ...(labels ? { labels } : {}),
    ...(values.format !== undefined ? { format: choiceOption(values, 'format', TASK_DATA_FORMATS, 'jsonl') } : {}),
    ...(values['snippet-lines'] !== undefined ? { snippetLines: intOption(values, 'snippet-lines', DEFAULT_SNIPPET_LINES) } : {}),
  };
}

/** What trains on what, with which code, and where the run is: before the first step. */
function printHeader(stderr: NodeJS.WriteStream, started: StartedTraining, resumed: boolean): void {
  const { info } = started;
  const m = info.model;
  const input = m.embedding ? `embedding ${m.embedding}` : 'one-hot';
  const tokens = info.corpus.trainTokens.toLocaleString('en-US');
  stderr.write(
    `${resumed ? 'resuming' : 'training'} ${m.layers}×${m.cell.toUpperCase()}-${m.hidden} (${input}, vocabulary ${m.vocabSize}) on ` +
      `${info.corpus.documents} files, ${tokens} training tokens; backend ${describeBackend(info.backend)}\n`,
  );
  if (info.task) stderr.write(describeTaskData(info) + '\n');
  if (info.backend.notice) stderr.write(`note: ${info.backend.notice}\n`);
  if (started.skippedSummary) stderr.write(`skipped: ${started.skippedSummary}\n`);
  stderr.write(`run folder: ${started.run.dir}\n`);
}

function summarize(info: RunInfo): string {
  const p = info.progress;
  const summary = [`${info.status} at step ${p.step}/${p.totalSteps}`];
  if (p.lastLoss !== undefined) summary.push(`loss ${natsToBits(p.lastLoss).toFixed(3)} ${lossUnit(info)}`);
  if (p.bestValLoss !== undefined) summary.push(`best validation ${natsToBits(p.bestValLoss).toFixed(3)}`);
  if (p.charsPerSec !== undefined) summary.push(`${Math.round(p.charsPerSec).toLocaleString('en-US')} chars/s`);
  return summary.join(', ');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  │ ${l}`)
    .join('\n');
}
