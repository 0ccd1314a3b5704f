import * as path from 'path';
import * as vscode from 'vscode';
import { isInside } from '../../core/paths';
import { isRecord } from '../../protocol/guards';
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

export async function pickFiles(): Promise<FileChoice | undefined> {
  const editor = vscode.window.activeTextEditor;
  const languageGlobs = editor ? globsForLanguage(editor.document.languageId, editor.document.fileName) : undefined;
  type Pick = vscode.QuickPickItem & { choice: 'language' | 'glob' | 'workspace' };
  const items: Pick[] = [];
  if (editor && languageGlobs)
    items.push({ choice: 'language', label: `Files of this language (${editor.document.languageId})`, description: languageGlobs.join(', ') });
  items.push({ choice: 'glob', label: 'Files matching a glob…', description: 'e.g. src/**/*.py' });
  items.push({ choice: 'workspace', label: 'The whole workspace', description: 'every text file' });
  const pick = await vscode.window.showQuickPick(items, {
    title: 'RNN Lab: Train Model (2/2): files',
    placeHolder: '.gitignore, files.exclude, binary and large files are left out',
  });
  if (!pick) return undefined;
  if (pick.choice === 'language') return { include: languageGlobs, description: pick.label };
  if (pick.choice === 'workspace') return { description: pick.label };
  const glob = await vscode.window.showInputBox({
    title: 'RNN Lab: files to train on',
    prompt: 'A glob relative to the workspace folder',
    value: '**/*',
    validateInput: (v) => (v.trim() ? undefined : 'a glob such as src/**/*.ts'),
  });
  return glob ? { include: [glob.trim()], description: glob } : undefined;
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
