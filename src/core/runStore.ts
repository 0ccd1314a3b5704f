import * as fs from 'fs';
import * as path from 'path';
import { RUN_FILES, type MetricsRecord, type RunInfo, type SampleRecord } from './runFormat';
import type { VocabularyJson } from './vocabulary';

export class RunStoreError extends Error {}

/** Writes a file so readers never see half of it: write a temp file beside it, then rename. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Checks early that runs can be written under `dir`, so a bad --out fails before any work. */
export function ensureWritableDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.rnnlab-write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunStoreError(`cannot write to ${dir}${code ? ` (${code})` : ''}`);
  }
}

/** A fresh, unique run id: time, cell and size, e.g. `20261126-053012-lstm-2x128`. */
export function newRunId(cell: string, layers: number, hidden: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${cell}-${layers}x${hidden}`;
}

/**
 * One run folder (docs/architecture.md, "Run folders"). JSON files are replaced
 * atomically; jsonl files are appended one whole line per write, so a killed
 * process loses at most the line being written.
 */
export class RunFolder {
  private constructor(readonly dir: string) {}

  static create(parent: string, id: string): RunFolder {
    ensureWritableDirectory(parent);
    // mkdir without `recursive` fails when the folder exists, so two runs started
    // in the same second (even by two processes) never share a folder.
    for (let n = 1; ; n++) {
      const dir = path.join(parent, n === 1 ? id : `${id}-${n}`);
      try {
        fs.mkdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      fs.mkdirSync(path.join(dir, RUN_FILES.checkpoints));
      return new RunFolder(dir);
    }
  }

  static open(dir: string): RunFolder {
    if (!fs.existsSync(path.join(dir, RUN_FILES.info))) throw new RunStoreError(`${dir} is not an RNN Lab run folder (no ${RUN_FILES.info})`);
    return new RunFolder(dir);
  }

  get id(): string {
    return path.basename(this.dir);
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
    fs.appendFileSync(this.file(RUN_FILES.metrics), JSON.stringify(record) + '\n');
  }

  appendSample(record: SampleRecord): void {
    fs.appendFileSync(this.file(RUN_FILES.samples), JSON.stringify(record) + '\n');
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

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RunStoreError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
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
  const lines = fs
    .readFileSync(file, 'utf8')
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
