import * as fs from 'fs';
import * as path from 'path';
import { FileStepError, TEMPORARY_MARK, appendText, makeDir, remove, rename, writeFile, writeFileAtomic } from './fileSteps';
import { RUN_FILES, type MetricsRecord, type RunInfo, type SampleRecord } from './runFormat';
import { readRegularFile, type FileReadError } from './regularFile';
import { RunLock, processAlive } from './runLock';
import type { VocabularyJson } from './vocabulary';

export class RunStoreError extends Error {}

export { writeFileAtomic };

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Checks early that runs can be written under `dir`, so a bad --out fails before any work. */
export function ensureWritableDirectory(dir: string): void {
  const probe = path.join(dir, `${PROBE_PREFIX}${process.pid}`);
  try {
    makeDir(dir, { recursive: true });
    writeFile(probe, 'probe');
    remove(probe);
  } catch (err) {
    try {
      remove(probe); // a probe written in part
    } catch {
      // the first error is the one to report
    }
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunStoreError(`cannot write to ${dir}${code ? ` (${code})` : ''}`);
  }
}

const PROBE_PREFIX = '.rnnlab-write-test-';

/** A fresh, unique run id: time, cell and size, e.g. `20261126-053012-lstm-2x128`. */
export function newRunId(cell: string, layers: number, hidden: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${cell}-${layers}x${hidden}`;
}

/** Hidden folders where a new run folder is built before it appears under its name. */
const STAGING_PREFIX = '.tmp-run-';

/**
 * One run folder (docs/architecture.md, "Run folders"). JSON files are replaced
 * atomically; jsonl files are appended one whole line per write, so a killed
 * process loses at most the line being written. A writer holds the folder's
 * lock (core/runLock.ts); every change goes through core/fileSteps.ts.
 */
export class RunFolder {
  private heldLock: RunLock | undefined;

  private constructor(
    readonly dir: string,
    /** The folder's name; differs from the directory's only while a new run is being built. */
    readonly id = path.basename(dir),
  ) {}

  /**
   * Creates a run folder, locked by this process for `purpose`, with the files
   * `fill` writes (vocab.json, run.json). It is built under a hidden name and
   * renamed into place, so a run folder never appears without its run.json;
   * two runs started in the same second (even by two processes) get two names.
   */
  static create(parent: string, id: string, purpose: string, fill: (run: RunFolder) => void): RunFolder {
    makeDir(parent, { recursive: true });
    removeAbandonedStaging(parent);
    for (let n = 1; ; n++) {
      const name = n === 1 ? id : `${id}-${n}`;
      if (fs.existsSync(path.join(parent, name))) continue;
      const run = RunFolder.build(parent, name, purpose, fill);
      if (run) return run;
    }
  }

  /** Builds `name` in its staging folder and renames it into place; undefined when another process took the name meanwhile. */
  private static build(parent: string, name: string, purpose: string, fill: (run: RunFolder) => void): RunFolder | undefined {
    const staging = new RunFolder(path.join(parent, `${STAGING_PREFIX}${name}-${process.pid}`), name);
    const run = new RunFolder(path.join(parent, name));
    let taken = false;
    try {
      remove(staging.dir);
      makeDir(staging.dir);
      makeDir(staging.file(RUN_FILES.checkpoints));
      staging.heldLock = RunLock.acquire(staging.dir, purpose);
      fill(staging);
      try {
        rename(staging.dir, run.dir);
      } catch (err) {
        taken = err instanceof FileStepError && (err.code === 'EEXIST' || err.code === 'ENOTEMPTY');
        throw err;
      }
    } catch (err) {
      try {
        remove(staging.dir);
      } catch {
        // the first error is the one to report
      }
      if (taken) return undefined;
      throw err;
    }
    run.heldLock = staging.heldLock;
    run.heldLock.movedTo(run.dir);
    return run;
  }

  static open(dir: string): RunFolder {
    if (!fs.existsSync(path.join(dir, RUN_FILES.info))) throw new RunStoreError(`${dir} is not an RNN Lab run folder (no ${RUN_FILES.info})`);
    return new RunFolder(dir);
  }

  /**
   * Takes the folder's lock (a RunLockedError names the process holding it) and
   * removes what killed writers left behind: temporary files and folders.
   */
  lock(purpose: string): void {
    if (this.heldLock) return;
    this.heldLock = RunLock.acquire(this.dir, purpose);
    try {
      this.removeTemporaries();
    } catch (err) {
      this.unlock();
      throw err;
    }
  }

  unlock(): void {
    this.heldLock?.release();
    this.heldLock = undefined;
  }

  /** Temporary files (`*.tmp-<pid>`) in the folder and in checkpoints/; only the lock holder may remove them. */
  removeTemporaries(): void {
    for (const dir of [this.dir, this.file(RUN_FILES.checkpoints)]) {
      for (const name of listNames(dir)) if (name.includes(TEMPORARY_MARK) || name.startsWith(`${RUN_FILES.lock}.stale-`)) remove(path.join(dir, name));
    }
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  readInfo(): RunInfo {
    const info = readJson(this.file(RUN_FILES.info)) as RunInfo;
    if (info?.format !== 'rnnlab-run') throw new RunStoreError(`${this.file(RUN_FILES.info)} is not an RNN Lab run description`);
    return info;
  }

  writeInfo(info: RunInfo): void {
    writeJsonAtomic(this.file(RUN_FILES.info), { ...info, updatedAt: new Date().toISOString() });
  }

  readVocabulary(): VocabularyJson {
    return readJson(this.file(RUN_FILES.vocab)) as VocabularyJson;
  }

  writeVocabulary(vocab: VocabularyJson): void {
    writeJsonAtomic(this.file(RUN_FILES.vocab), vocab);
  }

  appendMetrics(record: MetricsRecord): void {
    appendLine(this.file(RUN_FILES.metrics), JSON.stringify(record));
  }

  appendSample(record: SampleRecord): void {
    appendLine(this.file(RUN_FILES.samples), JSON.stringify(record));
  }

  /** Drops metrics, samples and gradient flow recorded after `step` (a resumed run trains those steps again). */
  truncateHistoryAfter(step: number): void {
    for (const name of [RUN_FILES.metrics, RUN_FILES.samples, RUN_FILES.gradFlow]) {
      const file = this.file(name);
      const kept = (readJsonLines(file) as { step: number }[]).filter((r) => r.step <= step);
      if (fs.existsSync(file)) writeFileAtomic(file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    }
  }

  readMetrics(): MetricsRecord[] {
    return readJsonLines(this.file(RUN_FILES.metrics)) as MetricsRecord[];
  }

  readSamples(): SampleRecord[] {
    return readJsonLines(this.file(RUN_FILES.samples)) as SampleRecord[];
  }
}

/** Appends one whole line (a resumed run rewrites the file first, so a line torn by a kill never precedes it). */
function appendLine(file: string, line: string): void {
  appendText(file, `${line}\n`);
}

/** Staging folders of new runs and write probes whose process has ended (killed while creating a run). */
function removeAbandonedStaging(parent: string): void {
  for (const name of listNames(parent)) {
    if (!name.startsWith(STAGING_PREFIX) && !name.startsWith(PROBE_PREFIX)) continue;
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) remove(path.join(parent, name));
  }
}

function listNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readRegularFile(file).toString('utf8');
  } catch (err) {
    const e = err as FileReadError;
    throw new RunStoreError(e.code === 'ESPECIAL' || e.code === 'EISDIR' ? e.message : `cannot read ${file} (${e.code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new RunStoreError(`${file} is not valid JSON`);
  }
}

/** Parses a jsonl file, ignoring a torn last line (the one a killed writer may leave). */
export function readJsonLines(file: string): unknown[] {
  if (!fs.existsSync(file)) return [];
  // Keep each line's number in the file (blank lines are skipped, not renumbered) for the error message.
  let text: string;
  try {
    text = readRegularFile(file).toString('utf8');
  } catch (err) {
    throw new RunStoreError((err as Error).message);
  }
  const lines = text
    .split('\n')
    .map((text, i) => ({ text, number: i + 1 }))
    .filter((l) => l.text.trim() !== '');
  const out: unknown[] = [];
  lines.forEach((line, i) => {
    try {
      out.push(JSON.parse(line.text));
    } catch (err) {
      if (i !== lines.length - 1) throw new RunStoreError(`${file} line ${line.number} is not valid JSON`);
    }
  });
  return out;
}
