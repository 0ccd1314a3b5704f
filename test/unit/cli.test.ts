/**
 * The `rnn-lab` command as a user runs it: the built bin/rnn-lab.js in a child
 * process. Bad input must exit 1 (runtime) or 2 (usage) with one clear line on
 * stderr, no stack trace, and no half-written run folder.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { CLI, assertCleanFailure, runCli } from './support/cli';

const rnnLab = (args: string[], cwd = dir) => runCli(args, cwd);

const dir = tempDir();
const corpus = writeTinyCorpus(dir);
const TINY = ['--layers', '1', '--hidden', '16', '--seq', '16', '--batch', '4', '--eval-every', '5', '--sample-every', '5', '--checkpoint-every', '5'];

function runFolders(out: string): string[] {
  return fs.existsSync(out) ? fs.readdirSync(out).filter((n) => !n.startsWith('.')) : [];
}

test('train --help and the top-level help describe the commands and exit 0', () => {
  const help = rnnLab(['train', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--cell', '--layers', '--hidden', '--clip-mode', '--resume', '--backend']) assert.ok(help.stdout.includes(flag), flag);
  assert.equal(rnnLab(['sample', '--help']).code, 0);
  const top = rnnLab(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /train/);
  assert.match(top.stdout, /sample/);
});

test('usage errors exit 2 and name what was wrong', () => {
  const out = path.join(dir, 'usage-runs');
  assertCleanFailure(rnnLab(['train', corpus, '--hidden', '0', '--out', out]), 2, /hidden.*got 0/);
  assertCleanFailure(rnnLab(['train', corpus, '--layers', '9', '--out', out]), 2, /layers.*1 to 4.*got 9/);
  assertCleanFailure(rnnLab(['train', corpus, '--frobnicate', '--out', out]), 2, /unknown option --frobnicate/);
  assertCleanFailure(rnnLab(['train', corpus, '--cell', 'transformer', '--out', out]), 2, /--cell must be one of rnn, lstm, gru/);
  assertCleanFailure(rnnLab(['train', corpus, '--lr', 'fast', '--out', out]), 2, /--lr expects a number/);
  assertCleanFailure(rnnLab(['train', '--out', out]), 2, /at least one file/);
  assertCleanFailure(rnnLab(['dance']), 2, /unknown command "dance"/);
  assert.deepEqual(runFolders(out), [], 'no run folder was created');
});

test('bad corpora exit 1 with a message and create no run folder', () => {
  const out = path.join(dir, 'corpus-runs');
  assertCleanFailure(rnnLab(['train', path.join(dir, 'does-not-exist'), '--out', out]), 1, /path not found: .*does-not-exist/);
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  assertCleanFailure(rnnLab(['train', empty, '--out', out]), 1, /no files found/);
  const binary = path.join(dir, 'binary');
  fs.mkdirSync(binary);
  fs.writeFileSync(path.join(binary, 'a.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
  fs.writeFileSync(path.join(binary, 'b.dat'), Buffer.from([0xff, 0xfe, 0x00, 0x41]));
  fs.writeFileSync(path.join(binary, 'c.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // Latin-1, not UTF-8
  assertCleanFailure(rnnLab(['train', binary, '--out', out]), 1, /no trainable text in 3 files: 2 binary, 1 not valid UTF-8/);
  const tiny = path.join(dir, 'tiny');
  fs.mkdirSync(tiny);
  fs.writeFileSync(path.join(tiny, 'a.txt'), 'hi\n');
  assertCleanFailure(rnnLab(['train', tiny, '--out', out]), 1, /needs at least .*lower the batch size or sequence length/);
  assert.deepEqual(runFolders(out), []);
});

test('an output folder that cannot be written exits 1 before any work', () => {
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, 'not a folder');
  assertCleanFailure(rnnLab(['train', corpus, '--out', path.join(file, 'runs')]), 1, /cannot write to .*a-file.*ENOTDIR/);
});

test('train writes a run folder, prints its path last, and sample reads it', () => {
  const out = path.join(dir, 'good-runs');
  const r = rnnLab(['train', corpus, ...TINY, '--steps', '10', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const runDir = path.resolve(dir, r.stdout.trim().split('\n').pop()!);
  assert.equal(path.dirname(runDir), out);
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  assert.equal(info.status, 'completed');
  assert.match(r.stderr, /step 10\/10 {2}loss [\d.]+ bits\/char/, 'plain progress lines when stderr is not a terminal');
  // A character model's losses are bits per character everywhere, never "per token".
  assert.match(r.stderr, /validation at step 10: [\d.]+ bits per char\n/);
  assert.match(r.stderr, /completed at step 10\/10, loss [\d.]+ bits\/char/);
  assert.doesNotMatch(r.stderr, /bits[ /]\w* ?token/);

  const s = rnnLab(['sample', runDir, '--length', '30', '--prime', 'say', '--temperature', '0.5', '--top-k', '5', '--seed', '3']);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(s.stdout.startsWith('say'));
  assert.equal([...s.stdout.trimEnd()].length >= 3, true);
  assert.equal(
    s.stdout,
    rnnLab(['sample', runDir, '--length', '30', '--prime', 'say', '--temperature', '0.5', '--top-k', '5', '--seed', '3']).stdout,
    'same seed, same text',
  );
  assertCleanFailure(rnnLab(['sample', runDir, '--temperature', '-1']), 2, /temperature/);
  assertCleanFailure(rnnLab(['sample', path.join(dir, 'nowhere')]), 1, /nowhere not found: give an RNN Lab run folder or .onnx file/);

  const more = rnnLab(['train', '--resume', runDir, '--steps', '15']);
  assert.equal(more.code, 0, more.stderr);
  const tokens = rnnLab(['train', corpus, ...TINY, '--steps', '5', '--resolution', 'token', '--out', out]);
  assert.equal(tokens.code, 0, tokens.stderr);
  assert.match(tokens.stderr, /validation at step 5: [\d.]+ bits per token\n/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).progress.step, 15);
});

test('--resume with a corrupted checkpoint exits 1 and leaves the run untouched', () => {
  const out = path.join(dir, 'corrupt-runs');
  const r = rnnLab(['train', corpus, ...TINY, '--steps', '5', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const runDir = path.resolve(dir, r.stdout.trim().split('\n').pop()!);
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  const weights = path.join(runDir, info.checkpoint, 'weights.bin');
  fs.writeFileSync(weights, fs.readFileSync(weights).subarray(0, 100)); // truncated
  const snapshot = () =>
    fs
      .readdirSync(runDir, { recursive: true })
      .sort()
      .map((f) => [f, fs.statSync(path.join(runDir, String(f))).isFile() ? fs.readFileSync(path.join(runDir, String(f))).toString('base64') : 'dir']);
  const before = snapshot();
  assertCleanFailure(rnnLab(['train', '--resume', runDir, '--steps', '10']), 1, /checkpoint .* is corrupted/);
  assert.deepEqual(snapshot(), before);
});

test('Ctrl-C stops after the current step with a checkpoint, exit 130, and the run resumes', async () => {
  const out = path.join(dir, 'interrupt-runs');
  const child = spawn(process.execPath, [CLI, 'train', corpus, ...TINY, '--steps', '100000', '--out', out], { cwd: dir });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  let interrupted = false;
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      // One Ctrl-C only: a second one quits at once (and training is fast enough to print many lines in 500 ms).
      if (/run folder:/.test(stderr) && !interrupted) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    });
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 130, stderr);
  const runDir = path.resolve(dir, stdout.trim().split('\n').pop()!);
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  assert.equal(info.status, 'cancelled');
  assert.ok(info.progress.step > 0);
  assert.ok(fs.existsSync(path.join(runDir, info.checkpoint, 'weights.bin')));
  const resumed = rnnLab(['train', '--resume', runDir, '--steps', String(info.progress.step + 3)]);
  assert.equal(resumed.code, 0, resumed.stderr);
});
