/**
 * `rnn-lab export`, `sample` (onnxruntime by default) and `score` as a user
 * runs them: the built bin/rnn-lab.js in a child process. Failures exit 1
 * (runtime) or 2 (usage) with one line on stderr and no stack trace.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { assertCleanFailure, runCli } from './support/cli';

const rnnLab = (args: string[], cwd = dir) => runCli(args, cwd);

const dir = tempDir('rnnlab-cli-onnx-');
const corpus = writeTinyCorpus(dir);
let runDir = '';

before(() => {
  const r = rnnLab([
    'train',
    corpus,
    '--layers',
    '1',
    '--hidden',
    '16',
    '--seq',
    '16',
    '--batch',
    '4',
    '--steps',
    '8',
    '--checkpoint-every',
    '4',
    '--sample-every',
    '8',
    '--eval-every',
    '8',
    '--out',
    path.join(dir, 'runs'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  runDir = r.stdout.trim().split('\n').pop()!;
});

test('export, sample and score have --help and appear in the top-level help', () => {
  for (const [command, flag] of [
    ['export', '--out'],
    ['sample', '--engine'],
    ['score', '--json'],
  ]) {
    const help = rnnLab([command, '--help']);
    assert.equal(help.code, 0);
    assert.ok(help.stdout.includes(flag), `${command} --help mentions ${flag}`);
  }
  const top = rnnLab(['--help']).stdout;
  for (const command of ['export', 'sample', 'score']) assert.match(top, new RegExp(`^  ${command}`, 'm'));
});

test('export writes model.onnx (or --out) and prints its path; the bare file samples like the run and like tfjs', () => {
  const out = path.join(dir, 'elsewhere.onnx');
  const r = rnnLab(['export', runDir, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), out);
  assert.match(r.stderr, /exported step 8/);
  const args = ['--length', '40', '--prime', 'say', '--temperature', '0'];
  const fromRun = rnnLab(['sample', runDir, ...args]);
  assert.equal(fromRun.code, 0, fromRun.stderr);
  assert.ok(fromRun.stdout.startsWith('say') && [...fromRun.stdout].length === 3 + 40 + 1);
  assert.equal(rnnLab(['sample', out, ...args]).stdout, fromRun.stdout, 'the .onnx file alone gives the same text');
  assert.equal(rnnLab(['sample', runDir, ...args, '--engine', 'tfjs']).stdout, fromRun.stdout, 'onnxruntime and tfjs agree at temperature 0');
});

test('score prints bits per character per file and overall; --json gives the numbers', () => {
  const files = fs
    .readdirSync(corpus)
    .slice(0, 2)
    .map((f) => path.join(corpus, f));
  const r = rnnLab(['score', runDir, ...files]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  for (const [i, f] of files.entries())
    assert.match(lines[i], new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+\\.\\d{3} bits/char \\([\\d,]+ chars\\)$`));
  assert.match(lines[2], /^overall: \d+\.\d{3} bits\/char \([\d,]+ chars\) in 2 files$/);
  const json = rnnLab(['score', runDir, ...files, '--json'])
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(json.length, 3);
  assert.ok(json[0].bitsPerChar > 0 && json[2].overall === true);
  const overall = (json[0].bits + json[1].bits) / (json[0].chars + json[1].chars);
  assert.ok(Math.abs(json[2].bitsPerChar - overall) < 1e-12);
});

test('bad model files, options and inputs exit with one clear line', () => {
  const random = path.join(dir, 'random.onnx');
  fs.writeFileSync(random, Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 40503) & 255)));
  assertCleanFailure(rnnLab(['sample', random]), 1, /random\.onnx is not a readable ONNX model: it is truncated or corrupted/);
  const truncated = path.join(dir, 'truncated.onnx');
  fs.writeFileSync(truncated, fs.readFileSync(path.join(runDir, 'model.onnx')).subarray(0, 500));
  assertCleanFailure(rnnLab(['score', truncated, path.join(corpus, 'file0.js')]), 1, /truncated or corrupted/);
  assertCleanFailure(rnnLab(['sample', runDir, '--length', '10000000']), 2, /--length must be an integer from 0 to 1000000; got 10000000/);
  assertCleanFailure(rnnLab(['sample', runDir, '--temperature=-0.5']), 2, /--temperature must be from 0 to 100/);
  assertCleanFailure(rnnLab(['sample', runDir, '--temperature', '1e6']), 2, /--temperature must be from 0 to 100/);
  assertCleanFailure(rnnLab(['sample', runDir, '--engine', 'torch']), 2, /--engine must be one of onnx, tfjs/);
  assertCleanFailure(rnnLab(['sample', runDir, '--backend', 'wasm']), 2, /--backend .* --engine tfjs/);
  assertCleanFailure(rnnLab(['sample', random, '--engine', 'tfjs']), 2, /give a run folder, not a file/);
  assertCleanFailure(rnnLab(['score', runDir]), 2, /at least one text file/);
  assertCleanFailure(rnnLab(['score', runDir, path.join(dir, 'missing.txt')]), 1, /file not found: .*missing\.txt/);
  assertCleanFailure(rnnLab(['export', runDir, '--out', path.join(dir, 'no', 'such', 'folder.onnx')]), 2, /--out: folder .* does not exist/);
  assertCleanFailure(rnnLab(['export']), 2, /exactly one run folder/);
  const empty = rnnLab(['sample', runDir, '--length', '0']);
  assert.equal(empty.code, 0);
  assert.equal(empty.stdout, '\n');
});

test('a run without model.onnx says how to make one, and export makes it', () => {
  fs.rmSync(path.join(runDir, 'model.onnx'));
  assertCleanFailure(rnnLab(['sample', runDir]), 1, /has no model\.onnx yet .*rnn-lab export/);
  assert.equal(rnnLab(['export', runDir]).code, 0);
  assert.equal(rnnLab(['sample', runDir, '--length', '5']).code, 0);
});
