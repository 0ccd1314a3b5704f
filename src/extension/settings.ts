import * as path from 'path';
import * as vscode from 'vscode';
import { isInsideReal } from '../core/paths';
import { presetById, PRESETS, type Preset } from '../core/presets';
import { BACKENDS, DEFAULT_TRAINING, MAX_FILE_BYTES, type BackendPreference } from '../core/spec';
import { chooseRunsLocation, type RunsLocation } from './runsLocation';

export const SECTION = 'rnnLab';
const DEFAULT_RUNS_DIRECTORY = path.join('.rnnlab', 'runs');

/** The runs folder for the current workspace and trust (see chooseRunsLocation). */
export function runsLocation(): RunsLocation {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>('runsDirectory');
  return chooseRunsLocation({
    folder: folders[0]?.uri.fsPath,
    workspaceFolders: folders.map((f) => f.uri.fsPath),
    trusted: vscode.workspace.isTrusted,
    workspaceValue: inspected?.workspaceFolderValue ?? inspected?.workspaceValue,
    globalValue: inspected?.globalValue,
    defaultValue: DEFAULT_RUNS_DIRECTORY,
  });
}

/**
 * Restricted Mode: the folders the engine may read and write (the workspace,
 * and the runs folder when the user's own settings put it elsewhere); it checks
 * them on real paths again. Undefined in a trusted workspace.
 */
export function engineConfinement(runsDir: string): string[] | undefined {
  if (vscode.workspace.isTrusted) return undefined;
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return isInsideReal(runsDir, folders) ? folders : [...folders, runsDir];
}

export function defaultPreset(): Preset {
  const id = vscode.workspace.getConfiguration(SECTION).get<string>('defaultPreset');
  return (id && presetById(id)) || PRESETS[0];
}

export function maxFileBytes(): number {
  const value = vscode.workspace.getConfiguration(SECTION).get<number>('maxFileBytes');
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) return DEFAULT_TRAINING.maxFileBytes;
  return Math.min(value, MAX_FILE_BYTES); // package.json declares the same maximum; a settings.json can still hold more
}

export function backendPreference(): BackendPreference {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('backend');
  return BACKENDS.includes(value as BackendPreference) ? (value as BackendPreference) : 'auto';
}
