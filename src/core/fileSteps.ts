/**
 * Every change RNN Lab makes to a run folder or an exported model is one of
 * these steps: make a folder, write a file, append a line, rename, remove
 * (docs/architecture.md, "Run folders"). Keeping them in one place gives each
 * failure a message that names the file, and gives the fault-injection tests
 * one seam: RNNLAB_FAULT_INJECTION=`<kill|ENOSPC|EACCES>@<N>` makes the Nth
 * step of the process kill it (SIGKILL, after half of a write) or fail with
 * that error (ENOSPC after half of a write, EACCES before anything), and
 * RNNLAB_FAULT_TRACE=<file> lists the steps. Counting restarts when the
 * variable changes. Reads are not steps: they change nothing.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A file-system step failed; the message names the file and the error code. */
export class FileStepError extends Error {
  constructor(
    readonly code: string,
    readonly file: string,
    action: string,
    reason: string,
  ) {
    super(`cannot ${action} ${file}: ${reason}`);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device (ENOSPC)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EROFS: 'the file system is read-only (EROFS)',
  EDQUOT: 'disk quota exceeded (EDQUOT)',
  ENOENT: 'no such file or folder (ENOENT)',
  EEXIST: 'it already exists (EEXIST)',
  ENOTDIR: 'a part of the path is not a folder (ENOTDIR)',
  EISDIR: 'it is a folder (EISDIR)',
  ENOTEMPTY: 'the target folder is not empty (ENOTEMPTY)',
  EIO: 'input/output error (EIO)',
};

type StepKind = 'mkdir' | 'write' | 'append' | 'rename' | 'remove';

const ACTIONS: Record<StepKind, string> = { mkdir: 'create the folder', write: 'write', append: 'append to', rename: 'rename', remove: 'remove' };

/** Makes a folder (with its parents when `recursive`). */
export function makeDir(dir: string, options: { recursive?: boolean } = {}): void {
  run('mkdir', dir, () => {
    fs.mkdirSync(dir, { recursive: options.recursive ?? false });
  });
}

/** Writes a whole file and flushes it to the disk; `exclusive` fails with EEXIST when it exists. */
export function writeFile(file: string, data: string | Uint8Array, options: { exclusive?: boolean } = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  run('write', file, (fault) => {
    const fd = fs.openSync(file, options.exclusive ? 'wx' : 'w');
    try {
      fs.writeSync(fd, bytes, 0, fault ? bytes.length >> 1 : bytes.length);
      fault?.();
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** Appends text (one or more whole lines) to a file, creating it. */
export function appendText(file: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  run('append', file, (fault) => {
    const fd = fs.openSync(file, 'a');
    try {
      fs.writeSync(fd, bytes, 0, fault ? bytes.length >> 1 : bytes.length);
      fault?.();
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** Renames a file or folder (atomically, on one file system). */
export function rename(from: string, to: string): void {
  run('rename', from, () => fs.renameSync(from, to), to);
}

/** Removes a file or a folder with its content; a missing one is not an error (and not a step: nothing changes). */
export function remove(target: string): void {
  if (!exists(target)) return;
  run('remove', target, () => fs.rmSync(target, { recursive: true, force: true }));
}

function exists(target: string): boolean {
  try {
    fs.lstatSync(target);
    return true;
  } catch {
    return false;
  }
}

/**
 * Replaces a file so readers never see half of it: a temporary file beside it,
 * then a rename. Only a regular file is replaced: a symlink, device, FIFO or
 * folder in its place is refused (as root, `/dev/null` would otherwise become
 * a model file). A failed write removes its temporary file.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  refuseSpecialTarget(file);
  const tmp = `${file}${TEMPORARY_MARK}${process.pid}`;
  try {
    writeFile(tmp, data);
    rename(tmp, file);
  } catch (err) {
    try {
      remove(tmp);
    } catch {
      // the first error is the one to report
    }
    throw err;
  }
}

/** Files named `<name>.tmp-<pid>` are temporary: a writer killed mid-way leaves them, the next writer of the folder removes them. */
export const TEMPORARY_MARK = '.tmp-';

/** Throws a FileStepError when `file` exists and is not a regular file. */
export function refuseSpecialTarget(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return; // missing (or unreadable: the write will say why)
  }
  if (stat.isFile()) return;
  const what = stat.isSymbolicLink()
    ? 'a symbolic link'
    : stat.isDirectory()
      ? 'a folder'
      : stat.isFIFO()
        ? 'a named pipe'
        : stat.isSocket()
          ? 'a socket'
          : 'a device';
  throw new FileStepError('EEXIST', file, 'replace', `it is ${what}, not a regular file; give the path of a new or regular file`);
}

/** Describes a caught file-system error with its file (for errors raised outside the steps). */
export function describeFileError(err: unknown, file: string, action = 'write'): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (err instanceof FileStepError || typeof code !== 'string') return err;
  return new FileStepError(code, file, action, REASONS[code] ?? `${(err as Error).message.split(',')[0]} (${code})`);
}

// ---------------------------------------------------------------------------
// The steps and their fault injection

interface FaultPlan {
  action: 'kill' | 'ENOSPC' | 'EACCES';
  at: number;
}

let counted: { spec: string | undefined; steps: number } = { spec: undefined, steps: 0 };

function run(kind: StepKind, file: string, perform: (fault?: () => void) => void, to?: string): void {
  const fault = nextStepFault(kind, file, to);
  if (fault?.action === 'EACCES') throw new FileStepError('EACCES', file, ACTIONS[kind], REASONS.EACCES);
  const fail = fault ? () => injectFault(fault, kind, file) : undefined;
  try {
    // Writes fail half-way, as a full disk or a kill would leave them; other steps fail before they start.
    if (fail && kind !== 'write' && kind !== 'append') fail();
    perform(fail);
  } catch (err) {
    throw describeFileError(err, file, ACTIONS[kind]);
  }
}

function injectFault(fault: FaultPlan, kind: StepKind, file: string): never {
  if (fault.action === 'kill') {
    process.kill(process.pid, 'SIGKILL');
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // the signal is on its way
  }
  throw new FileStepError(fault.action, file, ACTIONS[kind], REASONS[fault.action]);
}

/** Counts the step; returns the fault to inject at it, if the environment asks for one here. */
function nextStepFault(kind: StepKind, file: string, to: string | undefined): FaultPlan | undefined {
  const spec = process.env.RNNLAB_FAULT_INJECTION;
  const trace = process.env.RNNLAB_FAULT_TRACE;
  if (spec === undefined && trace === undefined) {
    counted = { spec: undefined, steps: 0 };
    return undefined;
  }
  if (spec !== counted.spec) counted = { spec, steps: 0 };
  const step = ++counted.steps;
  if (trace) fs.appendFileSync(trace, `${step}\t${kind}\t${path.basename(file)}${to ? `\t${path.basename(to)}` : ''}\n`);
  const m = /^(kill|ENOSPC|EACCES)@(\d+)$/.exec(spec ?? '');
  return m && Number(m[2]) === step ? { action: m[1] as FaultPlan['action'], at: step } : undefined;
}
