/**
 * Issue 14's cases that need no child process: the checkpoint order around a
 * stop (case 4), the run lock (case 5), the dashboard's restored runs (case 8),
 * Restricted Mode on real paths (case 9), a stale `running` status (case 10),
 * stopping before the first step (case 12) and checkpoint manifests (case 13).
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { initBackend } from '../../src/engine/backend';
import { CheckpointError, loadCheckpoint } from '../../src/engine/checkpoint';
import { TrainingCancelledError, TrainingSetupError, resumeTraining, startTraining, type TrainRequest } from '../../src/engine/training/trainingRun';
import { gatherCorpus } from '../../src/core/corpus';
import { listRuns } from '../../src/core/runIndex';
import { RunLock, RunLockedError, liveLockOwner } from '../../src/core/runLock';
import { DEFAULT_MODEL, DEFAULT_TRAINING, SpecError, validateTrainingSpec } from '../../src/core/spec';
import { isInsideReal } from '../../src/core/paths';
import { runDirsOfState } from '../../src/extension/dashboard/dashboardRuns';
import { chooseRunsLocation, type RunsSetting } from '../../src/extension/runsLocation';
import { EngineServer } from '../../src/engine/server';
import type { EngineEvent, EngineResponse } from '../../src/protocol/engine';

const dir = tempDir('rnnlab-reliability-unit-');
const corpus = writeTinyCorpus(dir, 6);

function request(outDir: string, training: Partial<TrainRequest['training']> = {}): TrainRequest {
  return {
    inputs: [corpus],
    model: { ...DEFAULT_MODEL, layers: 1, hidden: 8 },
    training: { ...DEFAULT_TRAINING, seqLength: 8, batchSize: 2, steps: 6, evalEvery: 3, sampleEvery: 3, checkpointEvery: 3, ...training },
    outDir,
    backend: 'fused',
    threads: 1,
  };
}

before(async () => {
  await initBackend('fused');
});

// ---- case 4 ----

test('case 4: a stop right after a checkpoint step saves nothing twice: the folder run.json names is never removed or replaced', async () => {
  const trace = path.join(dir, 'case4-trace.txt');
  const controller = new AbortController();
  process.env.RNNLAB_FAULT_TRACE = trace;
  let outcome;
  try {
    const started = await startTraining(request(path.join(dir, 'case4')), { onCheckpoint: (_, step) => step === 3 && controller.abort() }, controller.signal);
    outcome = await started.outcome;
  } finally {
    delete process.env.RNNLAB_FAULT_TRACE;
  }
  assert.equal(outcome.status, 'cancelled');
  assert.equal(outcome.info.checkpoint, path.join('checkpoints', 'step-0000003'));
  const steps = fs.readFileSync(trace, 'utf8').trim().split('\n');
  const touching = steps.filter((s) => s.split('\t').slice(2).includes('step-0000003'));
  assert.deepEqual(
    touching.map((s) => s.split('\t').slice(1).join(' ')),
    ['rename .tmp-step-0000003-' + process.pid + ' step-0000003'],
    'made once, by one rename; never removed',
  );
});

test('a run stopped and resumed has exactly the losses of an uninterrupted one, on tfjs ops too (Adam β powers restored as products)', async () => {
  const losses = (runDir: string) =>
    fs
      .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; loss?: number; valLoss?: number })
      .map((m) => (m.kind === 'step' ? m.loss : m.valLoss));
  for (const backend of ['wasm', 'fused'] as const) {
    const straight = await startTraining({ ...request(path.join(dir, `exact-${backend}`)), backend });
    assert.equal((await straight.outcome).status, 'completed');
    const controller = new AbortController();
    const stopped = await startTraining(
      { ...request(path.join(dir, `exact-${backend}`)), backend },
      { onStep: (r) => r.step === 2 && controller.abort() },
      controller.signal,
    );
    assert.equal((await stopped.outcome).status, 'cancelled');
    const resumed = await resumeTraining({ runDir: stopped.run.dir, backend, threads: 1 });
    assert.equal((await resumed.outcome).status, 'completed');
    assert.deepEqual(losses(stopped.run.dir), losses(straight.run.dir), backend);
  }
});

// ---- case 5 ----

test('case 5: one writer per run folder: a second lock is refused naming the owner; a released lock can be taken again', () => {
  const runDir = fs.mkdtempSync(path.join(dir, 'lock-'));
  const lock = RunLock.acquire(runDir, 'rnn-lab train');
  assert.throws(
    () => RunLock.acquire(runDir, 'rnn-lab train --resume'),
    (err: Error) =>
      err instanceof RunLockedError &&
      new RegExp(`is in use by process ${process.pid} \\(rnn-lab train, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\)`).test(err.message) &&
      err.message.includes(path.join(runDir, 'run.lock')),
  );
  assert.equal(liveLockOwner(runDir)?.pid, process.pid);
  lock.release();
  assert.equal(fs.existsSync(path.join(runDir, 'run.lock')), false);
  RunLock.acquire(runDir, 'again').release();
});

test('case 5: a lock of a process that has ended, a torn lock and a lock left by this pid before a restart are stale and taken over', () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  const owner = (pid: number, token: string) =>
    JSON.stringify({ pid, hostname: os.hostname(), purpose: 'rnn-lab train', since: '2026-01-01T00:00:00Z', token });
  for (const [what, content] of [
    ['a dead process', owner(dead, 'a')],
    ['torn', '{"pid":12'],
    ['this pid, another token', owner(process.pid, 'from-before-a-restart')],
  ]) {
    const runDir = fs.mkdtempSync(path.join(dir, 'stale-'));
    fs.writeFileSync(path.join(runDir, 'run.lock'), content);
    assert.equal(liveLockOwner(runDir), undefined, what);
    const lock = RunLock.acquire(runDir, 'taker');
    assert.match(fs.readFileSync(path.join(runDir, 'run.lock'), 'utf8'), /"purpose":"taker"/, what);
    lock.release();
    assert.deepEqual(fs.readdirSync(runDir), [], `${what}: nothing left`);
  }
});

test('case 5: the engine refuses to resume a run another process trains, with code busy and the owner in the message', async () => {
  const started = await startTraining(request(path.join(dir, 'case5-engine')));
  await started.outcome;
  const runDir = started.run.dir;
  const lock = RunLock.acquire(runDir, 'rnn-lab train --resume');
  try {
    const sent: (EngineResponse | EngineEvent)[] = [];
    await new EngineServer((m) => sent.push(m)).handle({ kind: 'request', id: 1, method: 'resume', params: { runDir, steps: 9, backend: 'fused' } });
    const r = sent[0] as Extract<EngineResponse, { ok: false }>;
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'busy');
    assert.match(r.error.message, new RegExp(`in use by process ${process.pid} \\(rnn-lab train --resume`));
  } finally {
    lock.release();
  }
});

// ---- case 8 ----

test('case 8: a restored dashboard shows the runs its state names by id, looked up in the runs folder; paths in the state are ignored', () => {
  const runs = [
    { dir: '/w/.rnnlab/runs/a', id: 'a' },
    { dir: '/w/.rnnlab/runs/b', id: 'b' },
  ];
  assert.deepEqual(runDirsOfState({ runIds: ['b', 'a', 'gone'] }, runs), ['/w/.rnnlab/runs/b', '/w/.rnnlab/runs/a']);
  for (const runIds of [['/etc'], ['../a'], ['a/../../etc'], ['..'], ['C:\\\\x']]) {
    assert.deepEqual(runDirsOfState({ runIds }, runs), [], JSON.stringify(runIds));
  }
  assert.deepEqual(runDirsOfState({ runIds: 'a' }, runs), []);
});

// ---- case 9 ----

/** A workspace with a committed symlink out of it, and a folder outside. */
function workspaceWithLink(name: string): { workspace: string; outside: string } {
  const root = fs.mkdtempSync(path.join(dir, `${name}-`));
  const workspace = path.join(root, 'workspace');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(workspace);
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(workspace, 'link'));
  return { workspace, outside };
}

test('case 9: Restricted Mode decides "inside the workspace" on real paths: a symlinked runs folder is refused, with the reason', () => {
  const { workspace, outside } = workspaceWithLink('case9');
  const setting = (s: Partial<RunsSetting>): RunsSetting => ({
    folder: workspace,
    workspaceFolders: [workspace],
    trusted: false,
    defaultValue: path.join('.rnnlab', 'runs'),
    ...s,
  });
  assert.deepEqual(chooseRunsLocation(setting({})), { dir: path.join(workspace, '.rnnlab', 'runs') }, 'the default, inside');
  const linked = chooseRunsLocation(setting({ workspaceValue: 'link/runs' }));
  assert.equal(linked.dir, path.join(workspace, '.rnnlab', 'runs'), 'a workspace value through a symlink falls back to the default');
  assert.match(linked.ignored!, /link\/runs leads outside the workspace \(a workspace setting\) and is ignored in Restricted Mode/);
  fs.symlinkSync(outside, path.join(workspace, '.rnnlab'));
  const committed = chooseRunsLocation(setting({}));
  assert.equal(committed.dir, undefined, 'a committed .rnnlab symlink leaves no runs folder');
  assert.match(committed.ignored!, /leads outside the workspace through a symbolic link.*set rnnLab.runsDirectory in your user settings/);
  assert.deepEqual(chooseRunsLocation(setting({ globalValue: outside })), { dir: outside }, "the user's own absolute folder is used as given");
  assert.deepEqual(chooseRunsLocation(setting({ trusted: true })), { dir: path.join(workspace, '.rnnlab', 'runs') }, 'trusted: as configured');
  assert.equal(isInsideReal(path.join(workspace, 'link', 'x'), [workspace]), false);
  assert.equal(isInsideReal(path.join(workspace, 'new', 'deeper'), [workspace]), true, 'folders still to be made are inside');
});

test('case 9: a training confined to the workspace writes no run through a symlink and reads no file whose real path is outside', async () => {
  const { workspace, outside } = workspaceWithLink('case9-engine');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'a secret outside the workspace\n'.repeat(50));
  fs.cpSync(corpus, path.join(workspace, 'src'), { recursive: true });
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'src', 'innocent.txt'));
  const confined = { ...request(path.join(workspace, 'link', 'runs')), inputs: [workspace], confineTo: [workspace] };
  await assert.rejects(startTraining(confined), (err: Error) => err instanceof TrainingSetupError && /leads outside the workspace/.test(err.message));
  assert.deepEqual(fs.readdirSync(outside), ['secret.txt'], 'nothing written outside');
  const gathered = await gatherCorpus([workspace], { confineTo: [workspace] });
  assert.ok(!gathered.documents.some((d) => d.text.includes('secret')), 'the symlinked file is not read');
  assert.deepEqual(
    gathered.skipped.filter((s) => s.path.endsWith('innocent.txt')).map((s) => s.detail),
    ['outside the workspace (Restricted Mode)'],
  );
});

test('case 9: rnnLab.maxFileBytes and --max-file-bytes have an upper bound (100 MB), declared in the manifest too', () => {
  assert.throws(() => validateTrainingSpec({ ...DEFAULT_TRAINING, maxFileBytes: 100_000_001 }), SpecError);
  validateTrainingSpec({ ...DEFAULT_TRAINING, maxFileBytes: 100_000_000 });
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { maximum?: number }> } };
  };
  assert.equal(manifest.contributes.configuration.properties['rnnLab.maxFileBytes'].maximum, 100_000_000);
});

// ---- case 10 ----

test('case 10: a run.json still `running` with no live process holding its lock is listed as failed and resumable', () => {
  const runs = fs.mkdtempSync(path.join(dir, 'case10-'));
  const write = (id: string) => {
    fs.mkdirSync(path.join(runs, id));
    const info = { format: 'rnnlab-run', version: 1, id, status: 'running', createdAt: id, checkpoint: 'checkpoints/step-0000200', progress: { step: 250 } };
    fs.writeFileSync(path.join(runs, id, 'run.json'), JSON.stringify(info));
  };
  write('killed');
  write('live');
  const lock = RunLock.acquire(path.join(runs, 'live'), 'a test');
  try {
    const listed = new Map(listRuns(runs).map((r) => [r.id, r.info!]));
    assert.equal(listed.get('live')!.status, 'running');
    assert.equal(listed.get('killed')!.status, 'failed');
    assert.match(listed.get('killed')!.message!, /interrupted: no process is training it; resume it from its last checkpoint \(step 200\)/);
  } finally {
    lock.release();
  }
});

// ---- case 12 ----

test('case 12: a training stopped while it gathers its files creates no run and says so', async () => {
  const out = path.join(dir, 'case12');
  const controller = new AbortController();
  const starting = startTraining(request(out), {}, controller.signal);
  controller.abort(); // Ctrl-C while the corpus is read
  await assert.rejects(
    starting,
    (err: Error) => err instanceof TrainingCancelledError && /stopped before the first step: nothing was written/.test(err.message),
  );
  assert.deepEqual(fs.readdirSync(out), [], 'no run folder, no staging folder');
});

test('case 12: the engine answers a resume whose files changed with code corpusChanged (the extension then asks), and resumes when allowed', async () => {
  const files = fs.mkdtempSync(path.join(dir, 'case12-engine-'));
  fs.cpSync(corpus, files, { recursive: true });
  const started = await startTraining({ ...request(path.join(dir, 'case12-engine-runs')), inputs: [files] });
  await started.outcome;
  fs.appendFileSync(path.join(files, 'file1.js'), 'more text\n'.repeat(20));
  const sent: (EngineResponse | EngineEvent)[] = [];
  const server = new EngineServer((m) => sent.push(m));
  const params = { runDir: started.run.dir, steps: 8, backend: 'fused' };
  await server.handle({ kind: 'request', id: 1, method: 'resume', params });
  const refused = sent.find((m) => m.kind === 'response' && m.id === 1) as Extract<EngineResponse, { ok: false }>;
  assert.equal(refused.error.code, 'corpusChanged');
  assert.match(refused.error.message, /changed since it started \(then 4 files, [\d,]+ training tokens, now 4 files/);
  const finished = new Promise<EngineEvent>((resolve) => {
    const check = setInterval(() => {
      const end = sent.find((m) => m.kind === 'event' && m.event === 'finished');
      if (end) resolve((clearInterval(check), end));
    }, 20);
  });
  await server.handle({ kind: 'request', id: 2, method: 'resume', params: { ...params, allowChangedCorpus: true } });
  assert.equal((sent.find((m) => m.kind === 'response' && m.id === 2) as { ok: boolean }).ok, true);
  const end = (await finished) as Extract<EngineEvent, { event: 'finished' }>;
  assert.equal(end.status, 'completed');
  assert.equal(end.info.progress.step, 8);
});

// ---- case 13 ----

test('case 13: a checkpoint manifest with fields of the wrong type is refused as damaged, naming the field', async () => {
  const started = await startTraining(request(path.join(dir, 'case13')));
  await started.outcome;
  const checkpoint = path.join(started.run.dir, 'checkpoints', 'step-0000006');
  const manifest = JSON.parse(fs.readFileSync(path.join(checkpoint, 'checkpoint.json'), 'utf8')) as Record<string, unknown> & {
    tensors: Record<string, unknown>[];
  };
  const damaged: [string, (m: typeof manifest) => void, RegExp][] = [
    ['a string shape', (m) => (m.tensors[0].shape = '8,8'), /tensor 0: shape must be a list of at most 4 whole numbers/],
    ['a null model', (m) => (m.model = null), /model must be a model description/],
    ['a bad model', (m) => (m.model = { cell: 'lstm' }), /model: layers must be an integer/],
    ['no tensors', (m) => delete (m as Record<string, unknown>).tensors, /tensors must be a list/],
    ['a negative offset', (m) => (m.tensors[1].offset = -4), /tensor 1: offset must be a whole number/],
    ['a string step', (m) => (m.step = '6'), /step must be a whole number/],
    ['a 3-d state', (m) => (m.tensors.find((t) => t.group === 'state')!.shape = [1, 2, 8]), /a carried state has 2 dimensions/],
  ];
  for (const [what, damage, message] of damaged) {
    const copy = fs.mkdtempSync(path.join(dir, 'manifest-'));
    fs.cpSync(checkpoint, copy, { recursive: true });
    const m = structuredClone(manifest);
    damage(m);
    fs.writeFileSync(path.join(copy, 'checkpoint.json'), JSON.stringify(m));
    assert.throws(
      () => loadCheckpoint(copy),
      (err: Error) => err instanceof CheckpointError && /has a damaged manifest/.test(err.message) && message.test(err.message),
      what,
    );
  }
});
