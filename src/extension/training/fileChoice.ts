import * as path from 'path';
import * as vscode from 'vscode';
import { isInside } from '../../core/paths';
import { isRecord } from '../../protocol/guards';
import { BACK, runInputSteps, type InputStep, type StepResult, type StepUi } from './inputSteps';
import { globsForLanguage } from './languageGlobs';

/** Which files a training or an experiment reads: the active editor's language, a glob, or the whole workspace. */
export type FileChoice = { include?: string[]; description: string };

/** The same choice given as a command argument (keybindings, scripts, tests). */
export type FilesArg = 'workspace' | 'language' | { glob: string };

export function parseFilesArg(value: unknown): FilesArg | undefined {
  if (value === 'workspace' || value === 'language') return value;
  if (isRecord(value) && typeof value.glob === 'string') return { glob: value.glob };
  return undefined;
}

/** The files question of a step-by-step flow: it sets `answers.files`. */
export function askFilesStep(answers: { files?: FileChoice }): InputStep {
  return { ask: (ui) => askFiles(ui, answers) };
}

/** Only the files question, as a flow of its own (`title (1/1): files`). */
export async function pickFiles(title = 'RNN Lab: Train Model'): Promise<FileChoice | undefined> {
  const answers: { files?: FileChoice } = {};
  return (await runInputSteps(title, [askFilesStep(answers)])) ? answers.files : undefined;
}

async function askFiles(ui: StepUi, answers: { files?: FileChoice }): Promise<StepResult> {
  const editor = vscode.window.activeTextEditor;
  const languageGlobs = editor ? globsForLanguage(editor.document.languageId, editor.document.fileName) : undefined;
  type Item = vscode.QuickPickItem & { choice: 'language' | 'glob' | 'workspace' };
  const items: Item[] = [];
  if (editor && languageGlobs)
    items.push({ choice: 'language', label: `Files of this language (${editor.document.languageId})`, description: languageGlobs.join(', ') });
  items.push({ choice: 'glob', label: 'Files matching a glob…', description: 'e.g. src/**/*.py' });
  items.push({ choice: 'workspace', label: 'The whole workspace', description: 'every text file' });
  const pick = await ui.pick('files', items, { placeholder: '.gitignore, files.exclude, binary and large files are left out' });
  if (pick === BACK || pick === undefined) return pick === BACK ? 'back' : 'cancel';
  if (pick.choice === 'language') answers.files = { include: languageGlobs, description: pick.label };
  else if (pick.choice === 'workspace') answers.files = { description: pick.label };
  else {
    const glob = await ui.input('glob', {
      prompt: 'A glob relative to the workspace folder',
      value: '**/*',
      validate: (v) => (v.trim() ? undefined : 'a glob such as src/**/*.ts'),
    });
    if (glob === BACK || glob === undefined) return glob === BACK ? 'back' : 'cancel';
    answers.files = { include: [glob.trim()], description: glob };
  }
  return 'next';
}

export function filesFromArgs(files: FilesArg): FileChoice | undefined {
  if (files === 'workspace') return { description: 'workspace' };
  if (files === 'language') {
    const editor = vscode.window.activeTextEditor;
    const globs = editor && globsForLanguage(editor.document.languageId, editor.document.fileName);
    return globs ? { include: globs, description: editor.document.languageId } : undefined;
  }
  return { include: [files.glob], description: files.glob };
}

/** files.exclude patterns that are on, and the runs folder when it lies in the workspace. */
export function excludedGlobs(workspaceDir: string, runsDir: string): string[] {
  const config = vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude') ?? {};
  const globs = Object.entries(config)
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
  if (isInside(runsDir, workspaceDir)) globs.push(path.relative(workspaceDir, runsDir).split(path.sep).join('/'));
  return globs;
}
