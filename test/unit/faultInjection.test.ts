/**
 * The fault-injection suite (issue 14): every file-system step a training takes
 * (core/fileSteps.ts lists them: each mkdir, write, append, rename, remove of
 * the run folder, its checkpoints, run.json and model.onnx) is made to fail in
 * turn. SIGKILL at each step of `rnn-lab train`, and ENOSPC and EACCES at each
 * step of an in-process training; after each fault:
 *
 * - run.json is whole and names a checkpoint that exists and loads;
 * - resuming the run ends with exactly the losses, validation losses and
 *   samples of the uninterrupted run;
 * - no temporary file survives the next successful save;
 * - an error names the file it could not write, and the run is not left `running`.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from './support/cli';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { resumeTraining, startTraining, type TrainRequest } from '../../src/engine/training/trainingRun';
import type { TrainOutcome } from '../../src/engine/training/trainingLoop';
import { RunFolder } from '../../src/core/runStore';
import { liveLockOwner } from '../../src/core/runLock';
import { DEFAULT_MODEL, DEFAULT_TRAINING } from '../../src/core/spec';
import { initBackend } from '../../src/engine/backend';
import { readRnnLabModelFile } from '../../src/engine/onnx/onnxMetadata';
import type { RunInfo } from '../../src/core/runFormat';

const dir = tempDir('rnnlab-faults-');
const corpus = writeTinyCorpus(dir, 6);
const STEPS = 6;
const model = { ...DEFAULT_MODEL, cell: 'lstm' as const, layers: 1, hidden: 8 };
const training = { ...DEFAULT_TRAINING, seqLength: 8, batchSize: 2, steps: STEPS, checkpointEvery: 3, evalEvery: 3, sampleEvery: 3 };
const CLI_ARGS = [
  corpus,
  ...['--cell', 'lstm', '--layers', '1', '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', String(STEPS)],
  ...['--checkpoint-every', '3', '--eval-every', '3', '--sample-every', '3', '--backend', 'fused', '--threads', '1'],
];

function request(outDir: string): TrainRequest {
  return { inputs: [corpus], model, training, outDir, backend: 'fused', threads: 1 };
}

/** What must come out the same however the run was interrupted. */
interface History {
  losses: [number, number][];
  evals: [number, number][];
  samples: [number, string][];
}

function history(runDir: string): History {
  const run = RunFolder.open(runDir);
  const metrics = run.readMetrics();
  return {
    losses: metrics.flatMap((m) => (m.kind === 'step' ? [[m.step, m.loss] as [number, number]] : [])),
    evals: metrics.flatMap((m) => (m.kind === 'eval' ? [[m.step, m.valLoss] as [number, number]] : [])),
    samples: run.readSamples().map((s) => [s.step, s.text]),
  };
}

let reference: History;
/** The steps of an uninterrupted `rnn-lab train`, as the seam traced them: "N<TAB>kind<TAB>file". */
let steps: string[];

before(async () => {
  await initBackend('fused');
  const trace = path.join(dir, 'trace.txt');
  const out = path.join(dir, 'reference');
  const r = await runCli(['train', ...CLI_ARGS, '--out', out], { RNNLAB_FAULT_TRACE: trace });
  assert.equal(r.code, 0, r.stderr);
  reference = history(visibleRuns(out)[0]);
  steps = fs.readFileSync(trace, 'utf8').trim().split('\n');
  assert.equal(reference.losses.length, STEPS);
});

test('the seam sees every kind of file-system step of a run, in order', () => {
  const kinds = new Set(steps.map((s) => s.split('\t')[1]));
  assert.deepEqual([...kinds].sort(), ['append', 'mkdir', 'remove', 'rename', 'write']);
  steps.forEach((s, i) => assert.equal(Number(s.split('\t')[0]), i + 1, 'numbered from 1 without gaps'));
  for (const file of ['run.json', 'weights.bin', 'checkpoint.json', 'model.onnx', 'metrics.jsonl', 'samples.jsonl', 'run.lock'])
    assert.ok(
      steps.some((s) => s.includes(file)),
      `a step on ${file}`,
    );
});

test('SIGKILL at every file-system step of `rnn-lab train`: the run resumes to exactly the uninterrupted losses', async () => {
  const outcomes = await inPool(
    steps.map((_, i) => i + 1),
    2,
    (k) => killAt(k),
  );
  const count = (what: string) => outcomes.filter((o) => o === what).length;
  console.log(
    `      ${outcomes.length} kills: ${count('resumed')} resumed to exactly the uninterrupted run, ` +
      `${count('complete')} had already finished, ${count('no run')} had not yet made a run folder (a new run there was clean)`,
  );
  assert.equal(outcomes.length, steps.length);
  assert.ok(count('resumed') >= steps.length / 2, 'most kills leave a run to resume');
});

for (const code of ['ENOSPC', 'EACCES'] as const) {
  test(`${code} at every file-system step of a training: a clear error naming the file, then the run resumes exactly`, async () => {
    const outcomes: string[] = [];
    for (let k = 1; k <= steps.length; k++) outcomes.push(await failAt(code, k));
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    console.log(
      `      ${outcomes.length} ${code} faults: ${count('resumed')} failed the run and it resumed exactly, ` +
        `${count('refused')} stopped before a run folder existed, ${count('complete')} did not stop the run`,
    );
    assert.ok(count('resumed') >= steps.length / 2);
  });
}

/** Kills `rnn-lab train` at step k; checks what it left; resumes; returns what happened. */
async function killAt(k: number): Promise<string> {
  const out = path.join(dir, `kill-${k}`);
  const r = await runCli(['train', ...CLI_ARGS, '--out', out], { RNNLAB_FAULT_INJECTION: `kill@${k}` });
  const where = `kill at step ${steps[k - 1]}`;
  assert.equal(r.signal, 'SIGKILL', `${where}: the process was killed (exit ${r.code}, stderr ${r.stderr})`);
  const runs = visibleRuns(out);
  assert.ok(runs.length <= 1, `${where}: at most one run folder`);
  // The kills run two at a time; the trainings in this process one at a time, as the engine runs them.
  return oneAtATime(async () => {
    if (runs.length > 0) return finishAndCompare(runs[0], where);
    await startFreshRunIn(out, where);
    return 'no run';
  });
}

let queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const result = queue.then(work);
  queue = result.catch(() => undefined);
  return result;
}

/** Makes step k of an in-process training fail with `code`; checks the error and what it left; resumes. */
async function failAt(code: 'ENOSPC' | 'EACCES', k: number): Promise<string> {
  const out = path.join(dir, `${code}-${k}`);
  const where = `${code} at step ${steps[k - 1]}`;
  let error: Error | undefined;
  let outcome: TrainOutcome | undefined;
  process.env.RNNLAB_FAULT_INJECTION = `${code}@${k}`;
  try {
    outcome = await (await startTraining(request(out))).outcome;
  } catch (err) {
    error = err as Error;
  } finally {
    delete process.env.RNNLAB_FAULT_INJECTION;
  }
  const runs = visibleRuns(out);
  if (error) {
    assert.match(error.message, new RegExp(`(${code}|no space left|permission denied)`), `${where}: the error says why: ${error.message}`);
    assert.ok(error.message.includes(out), `${where}: the error names the file: ${error.message}`);
    assert.deepEqual(runs, [], `${where}: a training refused before it started leaves no run folder`);
    assert.deepEqual(fs.existsSync(out) ? fs.readdirSync(out) : [], [], `${where}: nor anything else`);
    return 'refused';
  }
  assert.equal(runs.length, 1, where);
  assert.ok(outcome, where);
  if (outcome.status === 'completed') {
    assert.deepEqual(history(runs[0]), reference, `${where}: the run completed with the uninterrupted losses`);
    return 'complete';
  }
  assert.equal(outcome.status, 'failed', where);
  const message = outcome.message ?? '';
  assert.match(message, new RegExp(`${code}`), `${where}: ${message}`);
  assert.ok(message.includes(runs[0]), `${where}: the message names the file: ${message}`);
  assert.equal(readInfo(runs[0]).status, 'failed', `${where}: run.json says failed, not running`);
  assert.deepEqual(temporaries(runs[0]), [], `${where}: a failed write removes what it wrote in part`);
  assert.equal(fs.existsSync(path.join(runs[0], 'run.lock')), false, `${where}: the failed training released its lock`);
  return finishAndCompare(runs[0], where);
}

/** Checks run.json and its checkpoint, resumes unless the run had finished, and compares with the uninterrupted run. */
async function finishAndCompare(runDir: string, where: string): Promise<string> {
  const info = readInfo(runDir);
  if (info.checkpoint) assert.doesNotThrow(() => loadCheckpoint(path.join(runDir, info.checkpoint!)), `${where}: run.json names a checkpoint that loads`);
  // Finished: every step is checkpointed (resuming then only records the end: run.json's status, model.onnx).
  const finished = info.checkpoint === path.join('checkpoints', `step-${String(STEPS).padStart(7, '0')}`);
  if (info.status !== 'completed') {
    const resumed = await resumeTraining({ runDir, backend: 'fused', threads: 1 });
    assert.equal((await resumed.outcome).status, 'completed', where);
    assert.equal(fs.existsSync(path.join(runDir, 'run.lock')), false, `${where}: the resumed run released its lock`);
  }
  assert.equal(liveLockOwner(runDir), undefined, `${where}: a lock left by the killed process is stale`);
  assert.equal(readInfo(runDir).status, 'completed', where);
  assert.equal(readOnnxStep(runDir), STEPS, `${where}: model.onnx holds the last step`);
  assert.deepEqual(history(runDir), reference, `${where}: the same losses, validation losses and samples as without the fault`);
  assert.deepEqual(temporaries(runDir), [], `${where}: no temporary file survives the next successful save`);
  return finished ? 'complete' : 'resumed';
}

/** A kill before the run folder appeared leaves at most hidden debris in the runs folder: the next run there removes it. */
async function startFreshRunIn(out: string, where: string): Promise<void> {
  const started = await startTraining(request(out));
  assert.equal((await started.outcome).status, 'completed', where);
  assert.deepEqual(history(started.run.dir), reference, where);
  assert.deepEqual(
    fs.readdirSync(out).filter((n) => n !== started.run.id),
    [],
    `${where}: nothing but the new run is left in the runs folder`,
  );
  assert.deepEqual(temporaries(started.run.dir), [], where);
}

function readOnnxStep(runDir: string): number {
  return readRnnLabModelFile(path.join(runDir, 'model.onnx')).step!;
}

function readInfo(runDir: string): RunInfo {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunInfo;
}

function visibleRuns(out: string): string[] {
  return fs.existsSync(out)
    ? fs
        .readdirSync(out)
        .filter((n) => !n.startsWith('.'))
        .map((n) => path.join(out, n))
    : [];
}

/** Temporary files and folders anywhere in a run folder (and a lock moved aside while taken over). */
function temporaries(runDir: string): string[] {
  return fs
    .readdirSync(runDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => path.basename(f).includes('.tmp-') || path.basename(f).startsWith('run.lock.'));
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, RNNLAB_DEBUG: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** Runs `work` on every item, at most `width` at a time, keeping the order of the results. */
async function inPool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}
