import type * as vscode from 'vscode';
import { formatCount } from '../../core/modelSize';
import { PRESETS, type Preset } from '../../core/presets';
import type { RunInfo } from '../../core/runFormat';
import { DEFAULT_MODEL, DEFAULT_TRAINING, parameterCount, type ModelSpec, type TrainingSpec } from '../../core/spec';
import { estimateTraining, formatDuration } from '../../core/trainingEstimate';
import { BACK, runInputSteps, type InputStep, type StepResult, type StepUi } from './inputSteps';
import { askFilesStep, type FileChoice } from './fileChoice';
import { taskRunSpecs } from '../../core/tasks/taskRunSpec';
import { askTaskStep, readsWorkspaceFiles, taskDataSpec, taskDataSteps, taskModelSteps, type TaskAnswers } from '../tasks/taskQuestions';

/** What Train Model… asked, filled in step by step (Back keeps earlier answers). */
export interface TrainAnswers {
  presetId: string;
  model: Omit<ModelSpec, 'vocabSize'>;
  training: Partial<TrainingSpec>;
  files?: FileChoice;
  /** A tagger's or classifier's data file or folder, read instead of the workspace folders. */
  inputs?: string[];
}

/** A character vocabulary of source code has about this many symbols; the real size is known only after reading the files. */
const TYPICAL_VOCABULARY = 100;

/**
 * `RNN Lab: Train Model…` as questions with a step counter: the task
 * (language model, tagger, classifier), its data (the files, or a labelled
 * file or folder), then the model: for a language model a preset (with its
 * steps, size and the time it should take here) or Custom (cell, layers,
 * hidden size, resolution, window, batch, steps, learning rate, clipping);
 * for a tagger or classifier its defaults or Custom, the direction and (classify)
 * the pooling. Resolves undefined when cancelled.
 */
export async function askTraining(preferred: Preset, runs: readonly RunInfo[], askFiles: boolean): Promise<TrainAnswers | undefined> {
  const answers: TrainAnswers = { presetId: preferred.id, model: preferred.model, training: { ...preferred.training } };
  const task: TaskAnswers = { task: 'lm', model: {}, training: {}, bidirectional: false };
  const isLm = () => task.task === 'lm';
  const onlyForLm = (s: InputStep): InputStep => ({ ...s, applies: () => isLm() && (s.applies?.() ?? true) });
  const steps: InputStep[] = [
    askTaskStep(task),
    ...taskDataSteps(task),
    ...(askFiles ? [{ ...askFilesStep(answers), applies: () => readsWorkspaceFiles(task) }] : []),
    onlyForLm({ ask: (ui) => askPreset(ui, answers, preferred, runs) }),
    ...customSteps(answers, runs).map(onlyForLm),
    ...taskModelSteps(task, (applies) => taskCustomSteps(task, applies)),
  ];
  if (!(await runInputSteps('RNN Lab: Train Model', steps))) return undefined;
  return isLm() ? answers : taskTraining(task, answers.files);
}

/** A tagger's or classifier's specs from its answers, as `rnn-lab train --task …` builds them. */
function taskTraining(task: TaskAnswers, files: FileChoice | undefined): TrainAnswers {
  const kind = task.task as 'tag' | 'classify';
  const custom = task.customModel === true;
  const { model, training } = taskRunSpecs({
    task: kind,
    bidirectional: task.bidirectional,
    pooling: task.pooling,
    data: taskDataSpec(task),
    model: custom ? task.model : {},
    training: custom ? { ...task.training, ...(task.steps !== undefined ? { steps: task.steps } : {}) } : {},
  });
  const dataPath = task.dataPath;
  return {
    presetId: kind,
    model,
    training,
    ...(dataPath ? { files: { description: dataPath }, inputs: [dataPath] } : files ? { files } : {}),
  };
}

const TASK_WINDOW_PROMPTS = {
  seqLength: 'Tokens per window: a tagger reads windows of this length, a classifier the first this many tokens of each text (1–10000)',
  batchSize: 'Windows or texts per step (1–4096)',
};

/** A tagger's or classifier's Custom questions: cell, layers, hidden size, window, batch, steps. */
function taskCustomSteps(task: TaskAnswers, applies: () => boolean): InputStep[] {
  const defaults = () => {
    const { model, training } = taskRunSpecs({ task: task.task as 'tag' | 'classify', bidirectional: false, data: {} });
    return { ...model, ...task.model, steps: task.steps ?? training.steps, seqLength: training.seqLength, batchSize: training.batchSize };
  };
  return [
    choiceStep({ applies, name: 'cell', names: CELL_NAMES, current: () => defaults().cell, set: (cell) => (task.model.cell = cell) }),
    ...MODEL_NUMBERS.map((f) => intStep({ ...f, applies, current: () => defaults()[f.key], set: (v) => (task.model[f.key] = v) })),
    ...WINDOW_NUMBERS.map((f) =>
      intStep({
        ...f,
        prompt: TASK_WINDOW_PROMPTS[f.key],
        applies,
        current: () => task.training[f.key] ?? defaults()[f.key],
        set: (v) => (task.training[f.key] = v),
      }),
    ),
    intStep({ applies, name: 'steps', prompt: 'Training steps', min: 1, max: 10_000_000, current: () => defaults().steps, set: (v) => (task.steps = v) }),
  ];
}

/** "2,000 steps · 210k parameters · about 4 min here (your last 2×LSTM-128 run)". */
export function presetSummary(preset: Pick<Preset, 'model' | 'training'>, runs: readonly RunInfo[]): string {
  const training = { ...DEFAULT_TRAINING, ...preset.training };
  const spec = { ...preset.model, vocabSize: TYPICAL_VOCABULARY };
  const estimate = estimateTraining(spec, training, runs);
  const size = `${training.steps.toLocaleString('en-US')} steps · ${formatCount(parameterCount(spec))} parameters`;
  return `${size} · about ${formatDuration(estimate.seconds)} here (${estimate.basis})`;
}

async function askPreset(ui: StepUi, answers: TrainAnswers, preferred: Preset, runs: readonly RunInfo[]): Promise<StepResult> {
  type Item = vscode.QuickPickItem & { preset?: Preset };
  const items: Item[] = [preferred, ...PRESETS.filter((p) => p.id !== preferred.id)].map((p) => ({
    preset: p,
    label: p.label,
    description: p.id === preferred.id ? 'default' : undefined,
    detail: `${p.detail} ${presetSummary(p, runs)}`,
  }));
  items.push({ label: 'Custom…', detail: 'Choose the cell, layers, hidden size, resolution, window, batch, steps, learning rate and clipping.' });
  const active = items.find((i) => (i.preset?.id ?? 'custom') === answers.presetId);
  const pick = await ui.pick('model', items, { placeholder: 'Choose a preset', active });
  if (pick === BACK || pick === undefined) return pick === BACK ? 'back' : 'cancel';
  if (pick.preset?.id !== answers.presetId) {
    const base = pick.preset ?? { id: 'custom', model: DEFAULT_MODEL, training: {} };
    Object.assign(answers, { presetId: base.id, model: { ...base.model }, training: { ...base.training } });
  }
  return 'next';
}

const CELL_NAMES = { rnn: 'vanilla RNN: h = tanh(Wx + b + Uh)', lstm: 'long short-term memory', gru: 'gated recurrent unit' };
const CLIP_NAMES = { norm: 'scale all gradients by min(1, τ/‖g‖) (default)', value: 'clamp each element to [−τ, τ]', none: 'no clipping' };
const RESOLUTION_NAMES = { char: 'characters (Unicode code points)', token: 'code tokens' };

/** Whole-number questions: what they set, their prompt and bounds. */
const MODEL_NUMBERS = [
  { name: 'layers', key: 'layers', prompt: 'Stacked layers (1–4)', min: 1, max: 4 },
  { name: 'hidden size', key: 'hidden', prompt: 'Hidden units per layer (1–2048)', min: 1, max: 2048 },
] as const;
const WINDOW_NUMBERS = [
  { name: 'window', key: 'seqLength', prompt: 'Truncated BPTT window: characters per sequence (1–10000)', min: 1, max: 10_000 },
  { name: 'batch', key: 'batchSize', prompt: 'Parallel streams per step (1–4096)', min: 1, max: 4096 },
] as const;

/** The Custom questions; each starts from the current answer, so Back and forth loses nothing. */
function customSteps(answers: TrainAnswers, runs: readonly RunInfo[]): InputStep[] {
  const custom = () => answers.presetId === 'custom';
  const training = () => ({ ...DEFAULT_TRAINING, ...answers.training });
  const setModel = (change: Partial<TrainAnswers['model']>) => (answers.model = { ...answers.model, ...change });
  return [
    choiceStep({ applies: custom, name: 'cell', names: CELL_NAMES, current: () => answers.model.cell, set: (cell) => setModel({ cell }) }),
    ...MODEL_NUMBERS.map((f) => intStep({ ...f, applies: custom, current: () => answers.model[f.key], set: (v) => setModel({ [f.key]: v }) })),
    choiceStep({
      applies: custom,
      name: 'resolution',
      names: RESOLUTION_NAMES,
      current: () => training().resolution,
      set: (v) => (answers.training.resolution = v),
    }),
    ...WINDOW_NUMBERS.map((f) => intStep({ ...f, applies: custom, current: () => training()[f.key], set: (v) => (answers.training[f.key] = v) })),
    intStep({
      applies: custom,
      name: 'steps',
      prompt: (n) =>
        `Training steps: ${n >= 1 ? presetSummary({ model: answers.model, training: { ...answers.training, steps: n } }, runs) : 'a whole number'}`,
      min: 1,
      max: 10_000_000,
      current: () => training().steps,
      set: (v) => (answers.training.steps = v),
    }),
    numberStep({
      applies: custom,
      name: 'learning rate',
      prompt: 'Adam learning rate (e.g. 0.002)',
      current: () => training().learningRate,
      set: (v) => (answers.training.learningRate = v),
    }),
    choiceStep({ applies: custom, name: 'clipping', names: CLIP_NAMES, current: () => training().clipMode, set: (v) => (answers.training.clipMode = v) }),
    numberStep({
      applies: () => custom() && training().clipMode !== 'none',
      name: 'threshold',
      prompt: 'Clipping threshold τ',
      current: () => training().clipValue,
      set: (v) => (answers.training.clipValue = v),
    }),
  ];
}

interface Question<T> {
  applies: () => boolean;
  name: string;
  current: () => T;
  set: (value: T) => void;
}

/** A pick among named choices (the keys of `names`). */
function choiceStep<T extends string>(q: Question<T> & { names: Record<T, string> }): InputStep {
  return {
    applies: q.applies,
    ask: async (ui) => {
      const items = (Object.keys(q.names) as T[]).map((c) => ({ label: c, description: q.names[c] }));
      const pick = await ui.pick(q.name, items, { active: items.find((i) => i.label === q.current()) });
      if (pick === BACK || pick === undefined) return pick === BACK ? 'back' : 'cancel';
      q.set(pick.label);
      return 'next';
    },
  };
}

function intStep(q: Question<number> & { prompt: string | ((value: number) => string); min: number; max: number }): InputStep {
  const valid = (text: string) => /^\d+$/.test(text.trim()) && Number(text) >= q.min && Number(text) <= q.max;
  return textStep(q, {
    prompt: (text) => (typeof q.prompt === 'string' ? q.prompt : q.prompt(Number(text))),
    validate: (text) => (valid(text) ? undefined : `a whole number from ${q.min} to ${q.max}`),
  });
}

function numberStep(q: Question<number> & { prompt: string }): InputStep {
  return textStep(q, { prompt: () => q.prompt, validate: (text) => (Number(text) > 0 && Number.isFinite(Number(text)) ? undefined : 'a positive number') });
}

function textStep(q: Question<number>, text: { prompt: (text: string) => string; validate: (text: string) => string | undefined }): InputStep {
  return {
    applies: q.applies,
    ask: async (ui) => {
      const value = String(q.current());
      const answer = await ui.input(q.name, { prompt: text.prompt(value), value, validate: text.validate, promptFor: text.prompt });
      if (answer === BACK || answer === undefined) return answer === BACK ? 'back' : 'cancel';
      q.set(Number(answer.trim()));
      return 'next';
    },
  };
}
