import * as path from 'path';
import { isInsideReal } from '../core/paths';

/** Where runs live, and why, for the log. */
export interface RunsLocation {
  /** Undefined when no folder may be used (Restricted Mode, every candidate leads outside the workspace). */
  dir?: string;
  /** Set when a value was ignored in Restricted Mode. */
  ignored?: string;
}

/** The setting's values as VS Code reports them (inspect), and the workspace. */
export interface RunsSetting {
  /** The first workspace folder, which relative paths are resolved against. */
  folder: string | undefined;
  /** Every workspace folder: "inside the workspace" means inside one of them. */
  workspaceFolders: string[];
  trusted: boolean;
  /** `rnnLab.runsDirectory` from the workspace or folder settings (an untrusted repository controls it). */
  workspaceValue?: string;
  /** From the user's settings. */
  globalValue?: string;
  defaultValue: string;
}

/**
 * The runs folder: `rnnLab.runsDirectory`, relative paths against the first
 * workspace folder. In Restricted Mode a folder the repository controls (a
 * workspace value, or any relative path) must lie inside the workspace on
 * disk, symlinks resolved: a committed `.rnnlab -> /elsewhere` must not make
 * RNN Lab write elsewhere. Only an absolute folder from the user's own
 * settings is used as given.
 */
export function chooseRunsLocation(s: RunsSetting): RunsLocation {
  const resolve = (value: string) => (path.isAbsolute(value) ? value : s.folder ? path.join(s.folder, value) : undefined);
  const fromWorkspace = s.workspaceValue !== undefined && s.workspaceValue !== '';
  const effective = (fromWorkspace ? s.workspaceValue : s.globalValue) || s.defaultValue;
  const dir = resolve(effective);
  if (s.trusted || !dir) return dir ? { dir } : {};
  // Used as given: an absolute folder from the user's settings. Otherwise the folder must be inside on disk.
  const permitted = (value: string, target: string, workspaceSourced: boolean) =>
    (!workspaceSourced && value === s.globalValue && path.isAbsolute(value)) || isInsideReal(target, s.workspaceFolders);
  if (permitted(effective, dir, fromWorkspace)) return { dir };
  const how = fromWorkspace ? ' (a workspace setting)' : ' through a symbolic link';
  const why = `the runs folder ${dir} leads outside the workspace${how} and is ignored in Restricted Mode`;
  const fallbackValue = fromWorkspace ? s.globalValue || s.defaultValue : undefined;
  const fallback = fallbackValue === undefined ? undefined : resolve(fallbackValue);
  if (fallback && fallbackValue && permitted(fallbackValue, fallback, false)) return { dir: fallback, ignored: why };
  const fallbackToo = fallback ? `, and so does ${fallback}, through a symbolic link` : '';
  return { ignored: `${why}${fallbackToo}; trust the workspace, or set rnnLab.runsDirectory in your user settings` };
}
