import * as path from 'path';
import * as vscode from 'vscode';
import type { CellType, Pooling, TaskDataSpec } from '../../core/spec';
import type { TaskKind } from '../../core/tasks/taskData';
import { describeTaskDefaults } from '../../core/tasks/taskDefaults';
import { BACK, type InputStep, type StepResult, type StepUi } from '../training/inputSteps';
import { candidateClassFolders, workspaceDataFiles } from './taskDataFiles';

/** Where a tagger's or classifier's examples come from. */
export type TaskDataSource = 'code-tags' | 'conll' | 'snippets' | 'folders' | 'labelled-file';

/** Train Model…'s answers for a tagger or classifier (the language model's are the preset's). */
export interface TaskAnswers {
  task: TaskKind;
  source?: TaskDataSource;
  /** The CoNLL, JSONL or CSV file or the folder per class: the run reads it instead of the workspace's files. */
  dataPath?: string;
  customModel?: boolean;
  model: { cell?: CellType; layers?: number; hidden?: number };
  steps?: number;
  training: { seqLength?: number; batchSize?: number };
  bidirectional: boolean;
  pooling?: Pooling;
}

const TASKS: Record<TaskKind, { label: string; detail: string }> = {
  lm: { label: 'Language model', detail: 'Predicts the next character or token; generates text, and its neurons can be watched.' },
  tag: { label: 'Tagger', detail: 'A label at every token: the syntax class of each character of code, or the tags of a CoNLL file.' },
  classify: { label: 'Classifier', detail: 'One label per text: the language of snippets of your files, or labelled texts.' },
};

export const SOURCES: Record<TaskDataSource, { task: 'tag' | 'classify'; label: string; detail: string }> = {
  'code-tags': {
    task: 'tag',
    label: 'Source files: their syntax classes',
    detail: 'No labelling: keyword, identifier, string, comment, number, punctuation, whitespace from the parser.',
  },
  conll: { task: 'tag', label: 'A CoNLL file…', detail: '.conllu (FORM and UPOS) or two-column token<TAB>tag .conll, in the workspace.' },
  snippets: { task: 'classify', label: 'Source files: their language', detail: 'Snippets of 20 lines of the chosen files, labelled by their extension.' },
  folders: { task: 'classify', label: 'A folder per class…', detail: 'data/<label>/*: each file one example, labelled by its folder.' },
  'labelled-file': { task: 'classify', label: 'A JSONL or CSV file…', detail: '{"text": …, "label": …} lines, or a CSV with text and label columns.' },
};

/** The first question: which of the lecture's three uses of an RNN. */
export function askTaskStep(answers: TaskAnswers): InputStep {
  return {
    ask: async (ui) => {
      const items = (Object.keys(TASKS) as TaskKind[]).map((task) => ({ task, label: TASKS[task].label, detail: TASKS[task].detail }));
      const pick = await ui.pick('task', items, { active: items.find((i) => i.task === answers.task) });
      if (pick === BACK || pick === undefined) return pick === BACK ? 'back' : 'cancel';
      if (pick.task !== answers.task) Object.assign(answers, { task: pick.task, source: undefined, dataPath: undefined });
      return 'next';
    },
  };
}

/** Whether the run reads the workspace's files (chosen by the files question) rather than one data file or folder. */
export function readsWorkspaceFiles(answers: TaskAnswers): boolean {
  return answers.task === 'lm' || answers.source === 'code-tags' || answers.source === 'snippets';
}

/** The data questions of a tagger or classifier: the source, then the file or folder where one is needed. */
export function taskDataSteps(answers: TaskAnswers): InputStep[] {
  const isTask = () => answers.task !== 'lm';
  return [
    {
      applies: isTask,
      ask: async (ui) => {
        const items = (Object.keys(SOURCES) as TaskDataSource[])
          .filter((s) => SOURCES[s].task === answers.task)
          .map((source) => ({ source, label: SOURCES[source].label, detail: SOURCES[source].detail }));
        const pick = await ui.pick('data', items, { active: items.find((i) => i.source === answers.source) });
        if (pick === BACK || pick === undefined) return pick === BACK ? 'back' : 'cancel';
        if (pick.source !== answers.source) Object.assign(answers, { source: pick.source, dataPath: undefined });
        return 'next';
      },
    },
    { applies: () => isTask() && !readsWorkspaceFiles(answers), ask: (ui) => askDataPath(ui, answers) },
  ];
}

async function askDataPath(ui: StepUi, answers: TaskAnswers): Promise<StepResult> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const found =
    answers.source === 'folders'
      ? await candidateClassFolders(folder)
      : await workspaceDataFiles(answers.source === 'conll' ? '**/*.{conllu,conll}' : '**/*.{jsonl,csv}');
  const what =
    answers.source === 'folders' ? 'folder with a sub-folder per class' : answers.source === 'conll' ? '.conllu or .conll file' : '.jsonl or .csv file';
  if (found.length === 0) {
    void vscode.window.showWarningMessage(`RNN Lab: no ${what} in this workspace. Add one, or choose other data.`);
    return 'back';
  }
  const items = found.map((p) => ({ path: p, label: path.relative(folder, p) || path.basename(p) }));
  const pick = await ui.pick(answers.source === 'folders' ? 'folder' : 'file', items, {
    placeholder: `The ${what} to train on`,
    active: items.find((i) => i.path === answers.dataPath),
  });
  if (pick === BACK || pick === undefined) return pick === BACK ? 'back' : 'cancel';
  answers.dataPath = pick.path;
  return 'next';
}

/** TrainingSpec.data for the answers (as `rnn-lab train` builds it from --labels). */
export function taskDataSpec(answers: TaskAnswers): TaskDataSpec {
  return answers.source === 'snippets' ? { labels: 'extension' } : {};
}

/** The model questions of a tagger or classifier: defaults or custom, direction, pooling. */
export function taskModelSteps(answers: TaskAnswers, custom: (applies: () => boolean) => InputStep[]): InputStep[] {
  const isTask = () => answers.task !== 'lm';
  const pickStep = <T extends string>(name: string, applies: () => boolean, items: { value: T; label: string; detail: string }[], set: (v: T) => void) => ({
    applies,
    ask: async (ui: StepUi): Promise<StepResult> => {
      const pick = await ui.pick(name, items);
      if (pick === BACK || pick === undefined) return pick === BACK ? 'back' : 'cancel';
      set(pick.value);
      return 'next';
    },
  });
  return [
    pickStep(
      'model',
      isTask,
      [
        { value: 'default', label: 'Default', detail: answers.task === 'lm' ? '' : describeTaskDefaults(answers.task) },
        { value: 'custom', label: 'Custom…', detail: 'Choose the cell, layers, hidden size, window, batch and steps.' },
      ],
      (v) => (answers.customModel = v === 'custom'),
    ),
    ...custom(() => isTask() && answers.customModel === true),
    pickStep(
      'direction',
      isTask,
      [
        { value: 'uni', label: 'Unidirectional', detail: 'Each layer reads left to right: a label depends on the text before it.' },
        { value: 'bi', label: 'Bidirectional', detail: 'Each layer also reads right to left: a label sees the whole text around it.' },
      ],
      (v) => (answers.bidirectional = v === 'bi'),
    ),
    pickStep<Pooling>(
      'pooling',
      () => answers.task === 'classify',
      [
        { value: 'mean', label: 'Mean of the outputs', detail: 'Average the top layer over every token (the default).' },
        { value: 'last', label: 'Final states', detail: 'The last state of each direction, concatenated.' },
      ],
      (v) => (answers.pooling = v),
    ),
  ];
}
