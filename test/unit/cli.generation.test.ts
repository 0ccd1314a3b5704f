/**
 * `rnn-lab sample --count` and `--quantize`, and `rnn-lab export --quantize
 * int8`, as a user runs them (the built bin/rnn-lab.js in a child process),
 * with their bad input: one clear line, exit code 2 (usage) or 1, nothing written.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../../src/core/runFormat';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { assertCleanFailure, runCli } from './support/cli';

const dir = tempDir('rnnlab-cli-generation-');
const rnnLab = (args: string[]) => runCli(args, dir);
const corpus = writeTinyCorpus(dir);
let runDir = '';

before(() => {
  const small = ['--layers', '2', '--hidden', '32', '--seq', '16', '--batch', '4', '--steps', '6', '--checkpoint-every', '6', '--eval-every', '6'];
  const r = rnnLab(['train', corpus, ...small, '--sample-every', '6', '--out', path.join(dir, 'runs')]);
  assert.equal(r.code, 0, r.stderr);
  runDir = r.stdout.trim().split('\n').pop()!;
});

test('sample --count 3 prints three continuations under headers, each the text `sample --seed` gives alone', () => {
  const args = ['--prime', 'say ', '--length', '40', '--temperature', '1', '--seed', '5'];
  const r = rnnLab(['sample', runDir, ...args, '--count', '3']);
  assert.equal(r.code, 0, r.stderr);
  const blocks = r.stdout.split(/^── \d\/3 · seed \d+ ──\n/m);
  assert.equal(blocks.shift(), '', 'a header first');
  assert.equal(blocks.length, 3);
  assert.deepEqual(
    [...r.stdout.matchAll(/^── (\d)\/3 · seed (\d+) ──$/gm)].map((m) => [m[1], m[2]]),
    [
      ['1', '5'],
      ['2', '6'],
      ['3', '7'],
    ],
  );
  for (const [i, block] of blocks.entries()) {
    const alone = rnnLab(['sample', runDir, ...args, '--seed', String(5 + i)]);
    assert.equal(block.replace(/\n\n$/, '\n'), alone.stdout, `continuation ${i + 1}`);
  }
});

test('export --quantize int8 writes model.int8.onnx beside model.onnx, a third of its size, and sample runs it; sample --quantize too', () => {
  const r = rnnLab(['export', runDir, '--quantize', 'int8']);
  assert.equal(r.code, 0, r.stderr);
  const file = path.join(runDir, RUN_FILES.onnxInt8);
  assert.equal(r.stdout.trim(), file);
  assert.match(r.stderr, /exported step 6 with int8 weights \(\d+ KB\)/);
  assert.ok(fs.statSync(file).size < 0.45 * fs.statSync(path.join(runDir, RUN_FILES.onnx)).size);
  const out = path.join(dir, 'quantized.onnx');
  assert.equal(rnnLab(['export', runDir, '--quantize', 'int8', '--out', out]).code, 0);
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(file)), '--out writes the same model');
  for (const args of [
    [file, '--count', '2'],
    [runDir, '--quantize', 'int8'],
  ]) {
    const sampled = rnnLab(['sample', ...args, '--length', '20', '--prime', 'a']);
    assert.equal(sampled.code, 0, sampled.stderr);
    assert.ok(sampled.stdout.includes('a'), args.join(' '));
  }
  const probe = rnnLab(['activations', file, path.join(corpus, fs.readdirSync(corpus)[0])]);
  assertCleanFailure(probe, 1, /is an int8 model .* Neuron activations need the float model/);
});

test('bad counts and quantizations exit with one clear line and write nothing', () => {
  assertCleanFailure(rnnLab(['sample', runDir, '--count', '0']), 2, /--count must be a whole number from 1 to 32; got 0/);
  assertCleanFailure(rnnLab(['sample', runDir, '--count', '33']), 2, /--count must be a whole number from 1 to 32; got 33/);
  assertCleanFailure(rnnLab(['sample', runDir, '--count', '100000000']), 2, /--count must be a whole number from 1 to 32/);
  assertCleanFailure(rnnLab(['sample', runDir, '--count', 'many']), 2, /--count expects a whole number; got "many"/);
  assertCleanFailure(rnnLab(['sample', runDir, '--count', '2', '--engine', 'tfjs']), 2, /--count .* use it with --engine onnx/);
  assertCleanFailure(rnnLab(['sample', runDir, '--quantize', 'int4']), 2, /--quantize must be one of int8; got "int4"/);
  assertCleanFailure(rnnLab(['sample', runDir, '--quantize', 'int8', '--engine', 'tfjs']), 2, /--quantize .* use it with --engine onnx/);
  assertCleanFailure(rnnLab(['export', runDir, '--quantize', 'fp16']), 2, /--quantize must be one of int8; got "fp16"/);
  assertCleanFailure(rnnLab(['export', runDir, '--quantize']), 2, /--quantize needs a value/);

  // A run that has not reached its first checkpoint has nothing to quantize.
  const bare = path.join(dir, 'runs', 'bare');
  fs.mkdirSync(bare);
  fs.copyFileSync(path.join(runDir, RUN_FILES.vocab), path.join(bare, RUN_FILES.vocab));
  const info = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.info), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(bare, RUN_FILES.info), JSON.stringify({ ...info, checkpoint: undefined, status: 'running' }));
  assertCleanFailure(rnnLab(['export', bare, '--quantize', 'int8']), 1, /run bare has no checkpoint yet/);
  assert.deepEqual(fs.readdirSync(bare).sort(), [RUN_FILES.info, RUN_FILES.vocab], 'nothing written');
});
