import * as fs from 'fs';
import * as path from 'path';
import { listRuns, type RunSummary } from '../runIndex';
import { RunStoreError, writeJsonAtomic } from '../runStore';
import { EXPERIMENT_FILE, type ExperimentInfo } from './experimentFormat';

/** What the Runs view shows of one experiment folder: its description and its member runs, in the experiment's order. */
export interface ExperimentListing {
  dir: string;
  id: string;
  info?: ExperimentInfo;
  /** Set when experiment.json could not be read: the folder is listed, not hidden. */
  problem?: string;
  members: RunSummary[];
}

export function readExperimentInfo(dir: string): ExperimentInfo {
  const file = path.join(dir, EXPERIMENT_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunStoreError(code === 'ENOENT' ? `${dir} is not an RNN Lab experiment folder (no ${EXPERIMENT_FILE})` : `cannot read ${file} (${code})`);
  }
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    throw new RunStoreError(`${file} is not valid JSON`);
  }
  const candidate = info as ExperimentInfo | null;
  if (candidate?.format !== 'rnnlab-experiment' || !Array.isArray(candidate.variants))
    throw new RunStoreError(`${file} is not an RNN Lab experiment description`);
  return candidate;
}

export function isExperimentFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, EXPERIMENT_FILE));
}

/** Every experiment folder directly under `runsDir`, newest first, with its members. */
export function listExperiments(runsDir: string): ExperimentListing[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(runsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch {
    return [];
  }
  const listings: ExperimentListing[] = [];
  for (const id of names) {
    const dir = path.join(runsDir, id);
    if (!isExperimentFolder(dir)) continue;
    try {
      const info = readExperimentInfo(dir);
      listings.push({ dir, id, info, members: membersInOrder(dir, info) });
    } catch (err) {
      listings.push({ dir, id, problem: (err as Error).message, members: listRuns(dir) });
    }
  }
  return listings.sort((a, b) => (b.info?.createdAt ?? '').localeCompare(a.info?.createdAt ?? '') || b.id.localeCompare(a.id));
}

/** The member runs in the order of the experiment's variants; run folders no variant names (a member started again) come last. */
function membersInOrder(dir: string, info: ExperimentInfo): RunSummary[] {
  const runs = listRuns(dir);
  const rank = (run: RunSummary) => {
    const i = info.variants.findIndex((v) => v.runId === run.id);
    return i < 0 ? info.variants.length : i;
  };
  return runs.sort((a, b) => rank(a) - rank(b));
}

/** Marks an experiment whose engine died as failed (resumable); one that already finished is left alone. */
export function markExperimentInterrupted(dir: string, reason: string): boolean {
  const info = readExperimentInfo(dir);
  if (info.status !== 'running') return false;
  writeJsonAtomic(path.join(dir, EXPERIMENT_FILE), {
    ...info,
    status: 'failed',
    message: `${reason}; resume the experiment to continue`,
    updatedAt: new Date().toISOString(),
  });
  return true;
}

/** The run's variant label when it is a member of an experiment (its folder's parent holds experiment.json). */
export function experimentVariant(runDir: string): string | undefined {
  const parent = path.dirname(runDir);
  if (!isExperimentFolder(parent)) return undefined;
  try {
    return readExperimentInfo(parent).variants.find((v) => v.runId === path.basename(runDir))?.label;
  } catch {
    return undefined;
  }
}
