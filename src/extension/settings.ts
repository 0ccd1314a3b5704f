import * as path from 'path';
import * as vscode from 'vscode';
import { isInside } from '../core/paths';
import { presetById, PRESETS, type Preset } from '../core/presets';
import { BACKENDS, DEFAULT_TRAINING, type BackendPreference } from '../core/spec';

export const SECTION = 'rnnLab';
const DEFAULT_RUNS_DIRECTORY = path.join('.rnnlab', 'runs');

/** Where runs live, and why, for the log. */
export interface RunsLocation {
  dir: string;
  /** Set when a workspace value was ignored in Restricted Mode. */
  ignored?: string;
}

/**
 * The runs folder: `rnnLab.runsDirectory`, relative paths against the first
 * workspace folder. In Restricted Mode a workspace-level value that points
 * outside the workspace is ignored: an untrusted repository must not make us
 * read or write elsewhere on disk.
 */
export function runsLocation(): RunsLocation | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect<string>('runsDirectory');
  const resolve = (value: string | undefined) =>
    value && path.isAbsolute(value) ? value : folder ? path.join(folder, value || DEFAULT_RUNS_DIRECTORY) : undefined;
  const workspaceValue = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  const effective = config.get<string>('runsDirectory') || DEFAULT_RUNS_DIRECTORY;
  if (!vscode.workspace.isTrusted && workspaceValue !== undefined && effective === workspaceValue) {
    const target = resolve(workspaceValue);
    if (!target || !folder || !isInside(target, folder)) {
      const fallback = resolve(inspected?.globalValue ?? DEFAULT_RUNS_DIRECTORY);
      return fallback
        ? {
            dir: fallback,
            ignored: `the workspace setting rnnLab.runsDirectory (${workspaceValue}) points outside the workspace and is ignored in Restricted Mode`,
          }
        : undefined;
    }
  }
  const dir = resolve(effective);
  return dir ? { dir } : undefined;
}

export function defaultPreset(): Preset {
  const id = vscode.workspace.getConfiguration(SECTION).get<string>('defaultPreset');
  return (id && presetById(id)) || PRESETS[0];
}

export function maxFileBytes(): number {
  const value = vscode.workspace.getConfiguration(SECTION).get<number>('maxFileBytes');
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : DEFAULT_TRAINING.maxFileBytes;
}

export function backendPreference(): BackendPreference {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('backend');
  return BACKENDS.includes(value as BackendPreference) ? (value as BackendPreference) : 'auto';
}
