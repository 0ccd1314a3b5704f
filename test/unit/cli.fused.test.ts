/**
 * `rnn-lab train` and the fused kernels, as a user runs the built command:
 * --threads is checked like every other option, the header says which code
 * trains, and a model the kernels cannot train gets one `note:` line.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { assertCleanFailure, runCli } from './support/cli';

const dir = tempDir();
const corpus = writeTinyCorpus(dir);
const rnnLab = (args: string[]) => runCli(args, dir);
const TINY = [
  '--layers',
  '1',
  '--hidden',
  '16',
  '--seq',
  '12',
  '--batch',
  '4',
  '--steps',
  '3',
  '--eval-every',
  '3',
  '--sample-every',
  '3',
  '--checkpoint-every',
  '3',
];

function runFolders(out: string): string[] {
  return fs.existsSync(out) ? fs.readdirSync(out).filter((n) => !n.startsWith('.')) : [];
}

function readRun(stdout: string): {
  runDir: string;
  info: { status: string; backend: { name: string; training?: string; threads?: number; notice?: string } };
} {
  const runDir = path.resolve(dir, stdout.trim().split('\n').pop()!);
  return { runDir, info: JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) };
}

test('--threads outside 1…8 or not a whole number is a usage error (exit 2) and creates no run folder', () => {
  const out = path.join(dir, 'thread-usage-runs');
  assertCleanFailure(rnnLab(['train', corpus, ...TINY, '--backend', 'fused', '--threads', '0', '--out', out]), 2, /--threads must be from 1 to 8/);
  assertCleanFailure(rnnLab(['train', corpus, ...TINY, '--threads', '9', '--out', out]), 2, /--threads must be from 1 to 8/);
  assertCleanFailure(rnnLab(['train', corpus, ...TINY, '--threads', 'two', '--out', out]), 2, /--threads expects a whole number; got "two"/);
  assert.deepEqual(runFolders(out), []);
});

test('--backend fused --threads 1 trains on the fused kernels and the header says so', () => {
  const out = path.join(dir, 'fused-runs');
  const r = rnnLab(['train', corpus, ...TINY, '--backend', 'fused', '--threads', '1', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const header = r.stderr.split('\n').find((l) => l.startsWith('training '));
  assert.ok(header, `a header line in: ${r.stderr}`);
  // "fused kernels (SIMD), 1 thread (TensorFlow.js wasm …)"; the build detail in parentheses may vary.
  assert.match(header, /backend fused kernels \((relaxed )?SIMD\), 1 thread \(TensorFlow.js wasm/);
  assert.doesNotMatch(r.stderr, /^note:/m, 'nothing to explain');
  const { info } = readRun(r.stdout);
  assert.equal(info.status, 'completed');
  assert.equal(info.backend.training, 'fused');
  assert.equal(info.backend.threads, 1);
});

test('a model with dropout and --backend fused trains on the fused kernels, with no `note:` line', () => {
  const out = path.join(dir, 'dropout-runs');
  const r = rnnLab(['train', corpus, ...TINY, '--layers', '2', '--dropout', '0.2', '--backend', 'fused', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /^note:/m, 'nothing to explain');
  const header = r.stderr.split('\n').find((l) => l.startsWith('training '))!;
  assert.match(header, /fused kernels/);
  const { info } = readRun(r.stdout);
  assert.equal(info.status, 'completed');
  assert.equal(info.backend.training, 'fused');
  assert.equal(info.backend.notice, undefined);
});

test('a resume that fails after the kernel threads started (a garbled metrics.jsonl line) exits with one error line instead of hanging', () => {
  const out = path.join(dir, 'garbled-history-runs');
  const first = rnnLab(['train', corpus, ...TINY, '--backend', 'fused', '--threads', '2', '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  const { runDir } = readRun(first.stdout);
  const metrics = path.join(runDir, 'metrics.jsonl');
  fs.writeFileSync(metrics, '{garbled\n' + fs.readFileSync(metrics, 'utf8'));
  const r = runCli(['train', '--resume', runDir, '--steps', '6', '--backend', 'fused', '--threads', '2'], dir, 30_000);
  assert.notEqual(r.code, null, 'the process exits (its worker threads are released)');
  assertCleanFailure(r, 1, /metrics\.jsonl line 1 is not valid JSON/);
});
