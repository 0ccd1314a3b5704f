import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

/** Most candidates a data question lists. */
const MAX_CANDIDATES = 200;
/** How deep under the workspace folder a folder per class is looked for. */
const MAX_FOLDER_DEPTH = 3;
const SKIPPED_FOLDERS = new Set(['node_modules', 'out', 'dist']);

/** Workspace files matching `glob` (files.exclude applies), sorted by path. */
export async function workspaceDataFiles(glob: string): Promise<string[]> {
  const uris = await vscode.workspace.findFiles(glob, '**/node_modules/**', MAX_CANDIDATES);
  return uris.map((u) => u.fsPath).sort();
}

/**
 * Folders that look like `data/<label>/*` (Keras' text_dataset_from_directory):
 * at least two sub-folders, each holding files. Hidden folders and build
 * output are skipped.
 */
export async function candidateClassFolders(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (found.length >= MAX_CANDIDATES) return;
    const subfolders = (await entries(dir)).filter((e) => e.isDirectory() && !e.name.startsWith('.') && !SKIPPED_FOLDERS.has(e.name));
    let classes = 0;
    for (const sub of subfolders) if ((await entries(path.join(dir, sub.name))).some((e) => e.isFile())) classes++;
    if (classes >= 2 && classes === subfolders.length) found.push(dir);
    if (depth < MAX_FOLDER_DEPTH) for (const sub of subfolders) await visit(path.join(dir, sub.name), depth + 1);
  };
  if (root) await visit(root, 0);
  return found.sort();
}

async function entries(dir: string): Promise<fs.Dirent[]> {
  try {
    return await fs.promises.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
