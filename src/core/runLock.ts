/**
 * One writer per run folder (docs/architecture.md, "Run folders"): a writer
 * holds `run.lock`, a small JSON file naming its process. A second writer is
 * refused with a message naming the owner; a lock whose process has ended
 * (killed, crashed) is stale and taken over.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileStepError, remove, rename, writeFile } from './fileSteps';
import { RUN_FILES } from './runFormat';

export interface RunLockOwner {
  pid: number;
  hostname: string;
  /** What holds it, for people: "rnn-lab train --resume", "the RNN Lab engine". */
  purpose: string;
  since: string;
  /** Unique to this lock: tells a lock this process holds from one an earlier process with the same pid left (containers reuse pids). */
  token: string;
}

export class RunLockedError extends Error {}

/** Tokens of the locks this process holds. */
const HELD = new Set<string>();

/** An empty lock file may be one being written right now (a torn one is stale): it counts as held for this long. */
const FRESH_LOCK_MS = 10_000;

/** A held lock; `release()` removes the file if it is still this holder's. */
export class RunLock {
  private released = false;

  private constructor(
    private file: string,
    private readonly content: string,
    private readonly token: string,
  ) {
    HELD.add(token);
  }

  /** Takes the lock of `dir` for `purpose`, or throws RunLockedError naming the process that holds it. */
  static acquire(dir: string, purpose: string): RunLock {
    const file = path.join(dir, RUN_FILES.lock);
    const owner: RunLockOwner = { pid: process.pid, hostname: os.hostname(), purpose, since: new Date().toISOString(), token: randomUUID() };
    const content = JSON.stringify(owner) + '\n';
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        writeFile(file, content, { exclusive: true });
        return new RunLock(file, content, owner.token);
      } catch (err) {
        if (!(err instanceof FileStepError && err.code === 'EEXIST')) throw err;
      }
      takeOverIfStale(dir, file);
    }
    throw new RunLockedError(`cannot take the lock of ${dir}: other processes keep taking it`);
  }

  /** The lock moved with its folder (a run folder is built under a temporary name, then renamed). */
  movedTo(dir: string): void {
    this.file = path.join(dir, RUN_FILES.lock);
  }

  /** Never throws: a lock file that cannot be removed is stale once released (and when this process ends). */
  release(): void {
    if (this.released) return;
    this.released = true;
    HELD.delete(this.token);
    try {
      if (readText(this.file) === this.content) remove(this.file);
    } catch {
      // left behind, stale
    }
  }
}

/** The process holding `dir`'s lock, if one is alive (a stale lock names nobody). */
export function liveLockOwner(dir: string): RunLockOwner | undefined {
  const file = path.join(dir, RUN_FILES.lock);
  const owner = parseOwner(readText(file));
  return owner && isAlive(owner) ? owner : undefined;
}

/** "process 4242 (rnn-lab train, since 2026-11-26 05:30:12)", for messages. */
export function describeOwner(owner: RunLockOwner): string {
  const host = owner.hostname === os.hostname() ? '' : ` on ${owner.hostname}`;
  return `process ${owner.pid}${host} (${owner.purpose}, since ${owner.since.replace('T', ' ').slice(0, 19)})`;
}

/**
 * Refuses when the lock is held by a live process; otherwise moves the stale
 * lock aside so the next attempt can create a fresh one. If what was moved is
 * not the stale lock that was judged (another process replaced it meanwhile),
 * it is put back and its owner named.
 */
function takeOverIfStale(dir: string, file: string): void {
  const text = readText(file);
  if (text === undefined) return; // released meanwhile: try again
  const owner = parseOwner(text);
  if (owner && isAlive(owner)) throw lockedError(dir, file, owner);
  if (text === '' && Date.now() - mtimeMs(file) < FRESH_LOCK_MS) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // its owner is writing it: look again soon
    return;
  }
  const aside = `${file}.stale-${process.pid}`;
  try {
    rename(file, aside);
  } catch (err) {
    if (err instanceof FileStepError && err.code === 'ENOENT') return;
    throw err;
  }
  const moved = readText(aside);
  if (moved === text) {
    remove(aside);
    return;
  }
  if (!fs.existsSync(file)) rename(aside, file);
  else remove(aside);
  const mover = parseOwner(moved);
  throw mover ? lockedError(dir, file, mover) : new RunLockedError(`${dir} is being locked by another process right now; try again in a moment`);
}

function lockedError(dir: string, file: string, owner: RunLockOwner): RunLockedError {
  return new RunLockedError(
    `run ${path.basename(dir)} is in use by ${describeOwner(owner)}: one process at a time may write a run folder. ` +
      `Wait for it or stop it; if that process is not RNN Lab, delete ${file}.`,
  );
}

function isAlive(owner: RunLockOwner): boolean {
  if (owner.hostname !== os.hostname()) return true; // cannot tell: assume it is
  if (owner.pid === process.pid) return HELD.has(owner.token);
  return processAlive(owner.pid);
}

/** True while process `pid` runs here. A zombie (killed, not yet reaped by its parent) has ended. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: the state letter follows the command name in parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(pid, 0) is the answer
  }
}

function parseOwner(text: string | undefined): RunLockOwner | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<RunLockOwner>;
    if (Number.isSafeInteger(v.pid) && (v.pid as number) > 0 && typeof v.hostname === 'string' && typeof v.purpose === 'string') {
      return { pid: v.pid!, hostname: v.hostname, purpose: v.purpose, since: String(v.since ?? ''), token: String(v.token ?? '') };
    }
  } catch {
    // a torn or foreign file names nobody
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function mtimeMs(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
