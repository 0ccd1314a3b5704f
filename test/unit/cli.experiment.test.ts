/**
 * `rnn-lab experiment` as a user runs it (issue #12's contract): the built
 * CLI in a child process on a tiny corpus. Bad input exits 1 or 2 with one
 * line and leaves no folder; a stopped experiment resumes, a deleted member
 * is trained again, and --json prints one object on stdout.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { CLI, assertCleanFailure, runCli } from './support/cli';
import { planExperiment, hiddenForParameters } from '../../src/core/experiments/experimentPlan';
import { parameterCount } from '../../src/core/spec';
import { flowRatios } from '../../src/core/experiments/experimentSummary';

const dir = tempDir();
const corpus = writeTinyCorpus(dir, 40);
const TINY = ['--hidden', '16', '--seq', '16', '--batch', '4', '--eval-every', '5', '--checkpoint-every', '5'];
const rnnLab = (args: string[]) => runCli(args, dir);
const entries = (out: string) => (fs.existsSync(out) ? fs.readdirSync(out) : []);
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

test('experiment --help names both kinds and every option of the contract; usage errors exit 2 and create nothing', () => {
  const help = rnnLab(['experiment', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /clipping\|vanishing/);
  for (const flag of ['--steps', '--hidden', '--layers', '--seq', '--seed', '--out', '--json', '--cell', '--lr', '--clip', '--resume', '--same-params'])
    assert.ok(help.stdout.includes(flag), flag);
  const out = path.join(dir, 'usage');
  assertCleanFailure(rnnLab(['experiment', corpus, '--out', out]), 2, /give the experiment first: clipping or vanishing/);
  assertCleanFailure(rnnLab(['experiment', 'clipping', '--out', out]), 2, /at least one file/);
  assertCleanFailure(rnnLab(['experiment', 'vanishing', corpus, '--cell', 'gru', '--out', out]), 2, /--cell is for the clipping experiment/);
  assertCleanFailure(rnnLab(['experiment', 'clipping', corpus, '--same-params', '--out', out]), 2, /--same-params is for the vanishing experiment/);
  assertCleanFailure(rnnLab(['experiment', 'clipping', corpus, '--hidden', '0', '--out', out]), 2, /hidden must be an integer from 1 to 2048; got 0/);
  assertCleanFailure(rnnLab(['experiment', 'clipping', corpus, '--clip', '0', '--out', out]), 2, /clip must be a positive number; got 0/);
  assert.deepEqual(entries(out), [], 'no experiment folder');
});

test('too little data: exit 1 with what is missing, before any folder exists', () => {
  const out = path.join(dir, 'too-little');
  // Enough text to train windows of 100 tokens on one stream, but the held-out text is shorter than one window.
  const small = writeTinyCorpus(path.join(dir, 'small'), 3);
  const r = rnnLab(['experiment', 'vanishing', small, '--hidden', '8', '--seq', '100', '--batch', '1', '--out', out]);
  assertCleanFailure(r, 1, /too little data for an experiment: the validation text has \d+ tokens.*at least 101: add files or lower --seq/);
  assertCleanFailure(rnnLab(['experiment', 'clipping', path.join(dir, 'nowhere'), '--out', out]), 1, /path not found/);
  assert.deepEqual(entries(out), []);
});

test('clipping on a tiny corpus: three members with one seed and data order, --json as the contract says', () => {
  const out = path.join(dir, 'clipping');
  const r = rnnLab(['experiment', 'clipping', corpus, ...TINY, '--steps', '12', '--lr', '2', '--clip', '0.5', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /member 1\/3: norm clipping τ = 0.5/, 'progress goes to stderr');
  const summary = JSON.parse(r.stdout); // stdout holds the JSON object and nothing else
  assert.equal(summary.kind, 'clipping');
  assert.equal(path.dirname(summary.dir), out);
  assert.deepEqual(
    summary.runs.map((m: { clipMode: string }) => m.clipMode),
    ['norm', 'value', 'none'],
  );
  for (const m of summary.runs) {
    for (const key of ['runDir', 'cell', 'clipMode', 'finalValBitsPerChar', 'maxGradNorm', 'maxClippedGradNorm', 'stoppedNonFinite', 'gradFlow'])
      assert.ok(key in m, key);
    assert.equal(m.cell, 'rnn');
    assert.equal(path.dirname(m.runDir), summary.dir, 'members live inside the experiment folder');
    assert.ok(m.finalValBitsPerChar > 0);
    assert.deepEqual(Object.keys(m.gradFlow), ['0']);
    for (const k of ['k10', 'k50', 'kLast']) assert.ok(k in m.gradFlow['0'], k);
    assert.equal(m.gradFlow['0'].k50, null, 'T = 16 has no distance 50');
  }
  const [norm, , none] = summary.runs;
  assert.ok(norm.maxClippedGradNorm <= 0.5 * (1 + 1e-6), `clipped ${norm.maxClippedGradNorm} ≤ τ`);
  assert.equal(none.maxClippedGradNorm, none.maxGradNorm, 'no clipping: the applied norm is the raw one');
  // One model, data, seed and data order: the first step (before any update) is the same for all three.
  const firstSteps = summary.runs.map((m: { runDir: string }) => fs.readFileSync(path.join(m.runDir, 'metrics.jsonl'), 'utf8').split('\n')[0]);
  const first = firstSteps.map((line: string) => JSON.parse(line));
  assert.ok(first.every((s: { loss: number; gradNorm: number }) => s.loss === first[0].loss && s.gradNorm === first[0].gradNorm));
  const experiment = readJson(path.join(summary.dir, 'experiment.json'));
  assert.equal(experiment.format, 'rnnlab-experiment');
  assert.equal(experiment.status, 'completed');
  assert.equal(experiment.shared.model.cell, 'rnn');
  assert.equal(experiment.variants.length, 3);

  // A finished experiment resumed has nothing to train: it prints its summary again (a table without --json).
  const again = rnnLab(['experiment', '--resume', summary.dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /clipping experiment completed/);
  assert.match(again.stdout, /norm clipping τ = 0.5 +completed +12/);
  assert.match(again.stdout, /never above τ/);
});

test('a vanishing experiment stopped in its second member resumes it, and trains again a member whose folder was deleted', async () => {
  const out = path.join(dir, 'vanishing');
  const child = spawn(process.execPath, [CLI, 'experiment', 'vanishing', corpus, ...TINY, '--layers', '2', '--steps', '40', '--out', out], { cwd: dir });
  let stderr = '';
  let interrupted = false;
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/member 2\/3/.test(stderr) && /step \d+\/40/.test(stderr.split('member 2/3')[1]) && !interrupted) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /rnn-lab experiment --resume /);
  const [name] = entries(out);
  const expDir = path.join(out, name);
  const stopped = readJson(path.join(expDir, 'experiment.json'));
  assert.equal(stopped.status, 'cancelled');
  assert.match(stopped.message, /stopped during LSTM 2×16/);
  const [rnn, lstm, gru] = stopped.variants;
  assert.equal(readJson(path.join(expDir, rnn.runId, 'run.json')).status, 'completed');
  const lstmInfo = readJson(path.join(expDir, lstm.runId, 'run.json'));
  assert.equal(lstmInfo.status, 'cancelled');
  assert.ok(lstmInfo.progress.step > 0 && lstmInfo.progress.step < 40);
  assert.equal(gru.runId, undefined, 'the third member has not started');

  fs.rmSync(path.join(expDir, rnn.runId), { recursive: true });
  const resumed = rnnLab(['experiment', '--resume', expDir, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /member 1\/3: RNN 2×16 — training/, 'the deleted member trains again');
  assert.match(resumed.stderr, /member 2\/3: LSTM 2×16 — resuming/);
  const summary = JSON.parse(resumed.stdout);
  assert.deepEqual(
    summary.runs.map((m: { status: string; steps: number }) => [m.status, m.steps]),
    [
      ['completed', 40],
      ['completed', 40],
      ['completed', 40],
    ],
  );
  const after = readJson(path.join(expDir, 'experiment.json'));
  assert.notEqual(after.variants[0].runId, rnn.runId, 'a new run folder for the deleted member');
  assert.deepEqual(readJson(path.join(expDir, lstm.runId, 'run.json')).resumedAt, [lstmInfo.progress.step], 'resumed from the checkpoint the stop wrote');
  for (const m of summary.runs) assert.deepEqual(Object.keys(m.gradFlow), ['0', '1'], 'ratios per layer');
});

test('planning: the vanishing experiment with the same parameter count sizes RNN and GRU to the LSTM', () => {
  const plan = planExperiment('vanishing', { hidden: 128, layers: 2, sizing: 'parameters' }, 96);
  const counts = plan.variants.map((v) => parameterCount({ ...v.model, vocabSize: 96 }));
  const lstm = counts[1];
  for (const c of counts) assert.ok(Math.abs(c - lstm) / lstm < 0.02, `${c} vs the LSTM's ${lstm}`);
  assert.deepEqual(
    plan.variants.map((v) => v.model.cell),
    ['rnn', 'lstm', 'gru'],
  );
  assert.ok(plan.variants[0].model.hidden > 128 && plan.variants[2].model.hidden > 128);
  assert.equal(hiddenForParameters({ ...plan.shared.model, cell: 'lstm' }, 96, lstm), 128);
  const same = planExperiment('vanishing', {}, 96);
  assert.ok(same.variants.every((v) => v.model.hidden === 128 && v.training === same.shared.training));
});

test('flow ratios divide by the norm at the window end and are null where the window is too short', () => {
  const profile = Array.from({ length: 64 }, (_, k) => 2 * 0.5 ** k);
  const r = flowRatios(profile);
  assert.equal(r.k10, 0.5 ** 10);
  assert.equal(r.k50, 0.5 ** 50);
  assert.equal(r.kLast, 0.5 ** 63);
  assert.deepEqual(flowRatios([1, 0.5]), { k10: null, k50: null, kLast: 0.5 });
  assert.deepEqual(flowRatios([0, 1, 1]), { k10: null, k50: null, kLast: null });
});
