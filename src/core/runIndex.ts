import * as fs from 'fs';
import * as path from 'path';
import { RUN_FILES, type RunInfo } from './runFormat';
import { RunLockedError, liveLockOwner } from './runLock';
import { RunFolder } from './runStore';

/** What the Runs view shows of one run folder. */
export interface RunSummary {
  dir: string;
  id: string;
  info?: RunInfo;
  /** Set when run.json could not be read: the folder is listed, not hidden. */
  problem?: string;
}

/** Every run folder directly under `runsDir`, newest first. A missing folder is an empty list. */
export function listRuns(runsDir: string): RunSummary[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(runsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const id of names) {
    const dir = path.join(runsDir, id);
    if (!fs.existsSync(path.join(dir, RUN_FILES.info))) continue;
    try {
      runs.push({ dir, id, info: withLiveStatus(dir, RunFolder.open(dir).readInfo()) });
    } catch (err) {
      runs.push({ dir, id, problem: (err as Error).message });
    }
  }
  const created = (r: RunSummary) => r.info?.createdAt ?? '';
  return runs.sort((a, b) => created(b).localeCompare(created(a)) || b.id.localeCompare(a.id));
}

/**
 * A run.json that says `running` while no live process holds the run's lock
 * belongs to a process that was killed (or hit a full disk) before it could
 * record why it stopped: it is shown as failed, resumable.
 */
function withLiveStatus(dir: string, info: RunInfo): RunInfo {
  if (info.status !== 'running' || liveLockOwner(dir)) return info;
  return {
    ...info,
    status: 'failed',
    message: `interrupted: no process is training it; resume it from its last checkpoint (step ${checkpointStep(info) ?? 0})`,
  };
}

/**
 * Marks a run whose engine died as failed (it stays resumable from its
 * checkpoint). A run that already finished, or that another live process
 * took over meanwhile, is left alone.
 */
export function markRunInterrupted(runDir: string, reason: string): boolean {
  const folder = RunFolder.open(runDir);
  try {
    folder.lock('RNN Lab, marking an interrupted run');
  } catch (err) {
    if (err instanceof RunLockedError) return false;
    throw err;
  }
  try {
    const info = folder.readInfo();
    if (info.status !== 'running') return false;
    folder.writeInfo({ ...info, status: 'failed', message: `${reason}; resume it from its last checkpoint (step ${checkpointStep(info) ?? 0})` });
    return true;
  } finally {
    folder.unlock();
  }
}

function checkpointStep(info: RunInfo): number | undefined {
  const m = /step-(\d+)$/.exec(info.checkpoint ?? '');
  return m ? Number(m[1]) : undefined;
}
