/**
 * The run folder on disk: atomic writes, tolerant jsonl reading, unique run
 * folders, history truncation on resume, and clear errors for bad paths.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunFolder, RunStoreError, ensureWritableDirectory, readJsonLines, writeFileAtomic } from '../../src/core/runStore';
import type { MetricsRecord, SampleRecord } from '../../src/core/runFormat';
import { tempDir } from './support/tempDir';

const root = tempDir();

/** A new run folder with an empty run.json (what the trainer writes is not the point here). */
function createRun(parent: string, id: string): RunFolder {
  const run = RunFolder.create(parent, id, 'a test', (r) => fs.writeFileSync(r.file('run.json'), '{}'));
  run.unlock();
  return run;
}

function freshDir(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

test('writeFileAtomic replaces the content and leaves no temporary file beside it', () => {
  const dir = freshDir('atomic');
  const file = path.join(dir, 'data.json');
  writeFileAtomic(file, 'first version, rather long\n');
  writeFileAtomic(file, 'second\n');
  assert.equal(fs.readFileSync(file, 'utf8'), 'second\n', 'the new content replaces the old entirely');
  writeFileAtomic(file, Uint8Array.from([1, 2, 3]));
  assert.deepEqual([...fs.readFileSync(file)], [1, 2, 3], 'bytes are written as given');
  assert.deepEqual(fs.readdirSync(dir), ['data.json'], 'no temp file is left behind');
});

test('readJsonLines ignores a torn last line (a killed writer) and returns the whole lines before it', () => {
  const file = path.join(freshDir('torn'), 'metrics.jsonl');
  fs.writeFileSync(file, '{"step":1}\n{"step":2}\n{"step":3,"lo');
  assert.deepEqual(readJsonLines(file), [{ step: 1 }, { step: 2 }]);
});

test('readJsonLines throws a RunStoreError naming the file and line on a bad line in the middle', () => {
  const file = path.join(freshDir('bad-middle'), 'metrics.jsonl');
  fs.writeFileSync(file, '{"step":1}\nnot json\n{"step":3}\n');
  assert.throws(
    () => readJsonLines(file),
    (err: Error) => err instanceof RunStoreError && err.message.includes(file) && /line 2\b/.test(err.message),
  );
});

test('readJsonLines of a missing file is empty, and blank lines are skipped', () => {
  const dir = freshDir('missing');
  assert.deepEqual(readJsonLines(path.join(dir, 'nothing.jsonl')), []);
  const file = path.join(dir, 'blank.jsonl');
  fs.writeFileSync(file, '{"a":1}\n\n{"a":2}\n\n');
  assert.deepEqual(readJsonLines(file), [{ a: 1 }, { a: 2 }]);
});

const stepRecord = (step: number): MetricsRecord => ({
  kind: 'step',
  step,
  epoch: 0,
  loss: 3 / step,
  gradNorm: 1,
  clippedGradNorm: 1,
  lr: 1e-3,
  charsPerSec: 100,
  time: step,
});
const sampleRecord = (step: number): SampleRecord => ({ step, temperature: 1, prime: '', text: `sample ${step}`, time: step });

test('RunFolder.create picks a new folder name when the id already exists', () => {
  const parent = freshDir('create');
  const a = createRun(parent, 'run-x');
  const b = createRun(parent, 'run-x');
  const c = createRun(parent, 'run-x');
  assert.deepEqual([a.id, b.id, c.id], ['run-x', 'run-x-2', 'run-x-3']);
  for (const r of [a, b, c]) assert.ok(fs.statSync(path.join(r.dir, 'checkpoints')).isDirectory(), `${r.id} has a checkpoints folder`);
});

test('truncateHistoryAfter(N) keeps only the records of steps ≤ N in metrics.jsonl and samples.jsonl', () => {
  const run = createRun(freshDir('truncate'), 'run');
  for (const step of [1, 2, 3, 4, 5]) run.appendMetrics(stepRecord(step));
  run.appendMetrics({ kind: 'eval', step: 3, valLoss: 0.5, time: 3 });
  run.appendMetrics({ kind: 'eval', step: 5, valLoss: 0.4, time: 5 });
  for (const step of [2, 4]) run.appendSample(sampleRecord(step));
  run.truncateHistoryAfter(3);
  assert.deepEqual(
    run.readMetrics().map((m) => [m.kind, m.step]),
    [
      ['step', 1],
      ['step', 2],
      ['step', 3],
      ['eval', 3],
    ],
  );
  assert.deepEqual(run.readMetrics()[1], stepRecord(2), 'kept records are unchanged');
  assert.deepEqual(run.readSamples(), [sampleRecord(2)]);
  assert.ok(fs.readFileSync(run.file('metrics.jsonl'), 'utf8').endsWith('}\n'), 'the file still ends with a whole line');
});

test('truncateHistoryAfter does not create history files a run never wrote', () => {
  const run = createRun(freshDir('truncate-empty'), 'run');
  run.appendMetrics(stepRecord(1));
  run.truncateHistoryAfter(0);
  assert.deepEqual(run.readMetrics(), []);
  assert.equal(fs.existsSync(run.file('samples.jsonl')), false);
});

test('RunFolder.open on a folder without run.json throws "not an RNN Lab run folder"', () => {
  const dir = freshDir('not-a-run');
  assert.throws(
    () => RunFolder.open(dir),
    (err: Error) => err instanceof RunStoreError && err.message.includes(dir) && /not an RNN Lab run folder.*run\.json/.test(err.message),
  );
});

test('readInfo rejects a run.json that is not JSON, naming the file', () => {
  const dir = freshDir('bad-info');
  fs.writeFileSync(path.join(dir, 'run.json'), '{ nope');
  const run = RunFolder.open(dir);
  assert.throws(
    () => run.readInfo(),
    (err: Error) => err instanceof RunStoreError && err.message.includes(path.join(dir, 'run.json')) && /not valid JSON/.test(err.message),
  );
});

test('ensureWritableDirectory on a path under a regular file throws RunStoreError with ENOTDIR', () => {
  const file = path.join(freshDir('enotdir'), 'plain.txt');
  fs.writeFileSync(file, 'I am a file');
  const target = path.join(file, 'runs');
  assert.throws(
    () => ensureWritableDirectory(target),
    (err: Error) => err instanceof RunStoreError && err.message.includes(target) && /ENOTDIR/.test(err.message),
  );
});

test('ensureWritableDirectory creates a missing folder and leaves no probe file in it', () => {
  const target = path.join(root, 'deep', 'er', 'runs');
  ensureWritableDirectory(target);
  assert.deepEqual(fs.readdirSync(target), []);
});

test('readJsonLines reports the file line number of a bad line even when blank lines come before it', () => {
  const file = path.join(freshDir('bad-after-blank'), 'metrics.jsonl');
  fs.writeFileSync(file, '{"step":1}\n\n\n{oops\n{"step":2}\n');
  assert.throws(
    () => readJsonLines(file),
    (err: Error) => err instanceof RunStoreError && /line 4\b/.test(err.message),
    'the bad text is on line 4 of the file',
  );
});
