/**
 * Issue 14's cases as a user meets them: the built `rnn-lab` in a child
 * process. Each test names its case; each failed before the fix (see the
 * issue for what the command did then: hang, crash, garbage, or a raw error).
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { CLI, assertCleanFailure } from './support/cli';
import type { RunInfo } from '../../src/core/runFormat';
import { scoreText, type ScoreResult } from '../../src/engine/inference/score';
import { releaseAll } from '../../src/engine/inference/sessionCache';

const dir = tempDir('rnnlab-reliability-');
const corpus = writeTinyCorpus(dir);
const rnnLab = (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) => runWithEnv(args, env, timeoutMs);
const TINY = [
  '--layers',
  '1',
  '--hidden',
  '8',
  '--seq',
  '8',
  '--batch',
  '2',
  '--steps',
  '6',
  '--checkpoint-every',
  '3',
  '--eval-every',
  '3',
  '--sample-every',
  '3',
];
let trained = '';

function runWithEnv(args: string[], env: Record<string, string>, timeoutMs: number) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, RNNLAB_DEBUG: '', NO_COLOR: '1', ...env },
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Trains a fresh tiny run under `name`; returns its folder. */
function train(name: string, extra: string[] = [], env: Record<string, string> = {}): string {
  const r = rnnLab(['train', corpus, ...TINY, '--backend', 'fused', '--threads', '1', ...extra, '--out', path.join(dir, name)], env);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').pop()!;
}

function info(runDir: string): RunInfo {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunInfo;
}

function copyRun(runDir: string, name: string): string {
  const copy = path.join(dir, 'copies', name);
  fs.cpSync(runDir, copy, { recursive: true });
  return copy;
}

/** Every name under a folder that marks a temporary file. */
function temporaries(folder: string): string[] {
  return fs.readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => path.basename(f).includes('.tmp-'));
}

/** The number of the `occurrence`th step of a command's trace that matches (see core/fileSteps.ts). */
function stepNumber(args: string[], matches: RegExp, occurrence = 1): number {
  const trace = path.join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  const r = rnnLab(args, { RNNLAB_FAULT_TRACE: trace });
  assert.equal(r.code, 0, r.stderr);
  const line = fs
    .readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => matches.test(l))[occurrence - 1];
  assert.ok(line, `a step matching ${matches}`);
  return Number(line.split('\t')[0]);
}

before(() => {
  trained = train('trained');
});

// ---- case 1: a resume that fails after the kernel threads started exits ----

for (const code of ['EACCES', 'ENOSPC']) {
  test(`case 1: a resume that hits ${code} after the kernel threads started (rewriting metrics.jsonl) exits with one error line naming the file`, () => {
    const args = (runDir: string) => ['train', '--resume', runDir, '--steps', '9', '--backend', 'fused', '--threads', '2'];
    const at = stepNumber(args(copyRun(trained, `case1-trace-${code}`)), /\twrite\tmetrics\.jsonl\.tmp-/);
    const runDir = copyRun(trained, `case1-${code}`);
    const r = rnnLab(args(runDir), { RNNLAB_FAULT_INJECTION: `${code}@${at}` }, 30_000);
    assert.notEqual(r.code, null, 'the process exits (its worker threads are released)');
    assertCleanFailure(r, 1, new RegExp(`cannot write .*metrics\\.jsonl\\.tmp-\\d+: .*\\(${code}\\)`));
    assert.deepEqual(temporaries(runDir), [], 'nothing half-written is left');
    assert.equal(fs.existsSync(path.join(runDir, 'run.lock')), false, 'the lock is released');
    assert.equal(info(runDir).status, 'completed', 'the run is as it was');
  });
}

// ---- case 2: special files as text input ----

test('case 2: a named pipe or a device as the text of score, activations or neurons is refused at once (no hang, no unbounded read)', () => {
  const fifo = path.join(dir, 'pipe');
  spawnSync('mkfifo', [fifo]);
  assert.ok(fs.statSync(fifo).isFIFO());
  for (const command of ['score', 'activations', 'neurons']) {
    for (const [input, what] of [
      [fifo, 'a named pipe'],
      ['/dev/zero', 'a device'],
    ]) {
      const r = rnnLab([command, trained, input], {}, 20_000);
      assert.notEqual(r.code, null, `${command} ${input} returns`);
      assertCleanFailure(r, 1, new RegExp(`${input.replace(/\//g, '\\/')} is ${what}, not a regular file`));
    }
  }
});

test('case 2: activations refuses a file over its 5,000,000-character limit without reading it', () => {
  const big = path.join(dir, 'big.txt');
  fs.writeFileSync(big, Buffer.alloc(20_000_001, 'a'));
  assertCleanFailure(rnnLab(['activations', trained, big]), 1, /big\.txt is too long: activations reads at most 5,000,000 characters and it is 20 MB/);
});

test('case 2: score reads a file in pieces (cut inside characters) and scores it as the whole text', async () => {
  // 1.3 MB with two-byte characters: the first 1 MiB piece ends inside a character.
  const piece = fs.readFileSync(path.join(corpus, 'file0.js'), 'utf8').replace(/a/g, 'é');
  let text = piece.repeat(Math.ceil(1_300_000 / Buffer.byteLength(piece)));
  const bytes = Buffer.from(text);
  const insideCharacter = (at: number) => (bytes[at] & 0xc0) === 0x80;
  let shift = 0;
  while (!insideCharacter((1 << 20) - shift)) shift++;
  text = 'x'.repeat(shift) + text; // now byte 1 MiB continues a character
  const insideCharacterOf = (t: string) => (Buffer.from(t)[1 << 20] & 0xc0) === 0x80;
  assert.ok(insideCharacterOf(text));
  const big = path.join(dir, 'score-big.txt');
  fs.writeFileSync(big, text);
  const r = rnnLab(['score', trained, big, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const streamed = JSON.parse(r.stdout.trim().split('\n')[0]) as ScoreResult;
  const whole = await scoreText(trained, text);
  await releaseAll();
  assert.equal(streamed.chars, whole.chars);
  assert.equal(streamed.unknownTokens, whole.unknownTokens);
  assert.ok(Math.abs(streamed.bits - whole.bits) <= 1e-9 * whole.bits, `${streamed.bits} bits in pieces, ${whole.bits} at once`);
});

// ---- case 5: one writer per run folder ----

test('case 5: a second `train --resume` of a run being trained is refused, naming the process that trains it; the run stays consistent', async () => {
  const runDir = copyRun(trained, 'case5');
  const first = spawn(process.execPath, [CLI, 'train', '--resume', runDir, '--steps', '100000', '--backend', 'fused', '--threads', '1'], {
    cwd: dir,
    env: { ...process.env, RNNLAB_DEBUG: '' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
  await until(() => fs.existsSync(path.join(runDir, 'run.lock')) && info(runDir).status === 'running');
  const second = rnnLab(['train', '--resume', runDir, '--steps', '100000']);
  assertCleanFailure(second, 1, new RegExp(`run case5 is in use by process ${first.pid} \\(rnn-lab train --resume, since .*\\): one process at a time`));
  first.kill('SIGINT');
  assert.equal(await exited, 130);
  const steps = fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; step: number })
    .filter((m) => m.kind === 'step')
    .map((m) => m.step);
  assert.deepEqual(
    steps,
    steps.map((_, i) => i + 1),
    'one record per step, in order',
  );
  assert.deepEqual(info(runDir).resumedAt, [6], 'one resume recorded');
});

test('case 5: the lock of a killed training is stale: the next resume takes it over and finishes', () => {
  const runDir = copyRun(trained, 'case5-stale');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  fs.writeFileSync(path.join(runDir, 'run.lock'), JSON.stringify({ pid: dead, hostname: os.hostname(), purpose: 'rnn-lab train', since: '', token: 'x' }));
  const r = rnnLab(['train', '--resume', runDir, '--steps', '7', '--backend', 'fused', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.existsSync(path.join(runDir, 'run.lock')), false);
});

// ---- case 6: export --out only replaces regular files ----

test('case 6: export --out refuses a symbolic link, a named pipe and a device, and leaves them as they were', () => {
  const target = path.join(dir, 'precious.txt');
  fs.writeFileSync(target, 'keep me');
  const link = path.join(dir, 'link.onnx');
  fs.symlinkSync(target, link);
  const fifo = path.join(dir, 'out-pipe');
  spawnSync('mkfifo', [fifo]);
  const outs: [string, string][] = [
    [link, 'a symbolic link'],
    [fifo, 'a named pipe'],
  ];
  const device = path.join(dir, 'null-device');
  if (spawnSync('mknod', [device, 'c', '1', '3']).status === 0) outs.push([device, 'a device']);
  for (const [out, what] of outs) {
    assertCleanFailure(rnnLab(['export', trained, '--out', out]), 1, new RegExp(`cannot replace .*: it is ${what}, not a regular file`));
  }
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep me');
  assert.ok(fs.lstatSync(link).isSymbolicLink() && fs.statSync(fifo).isFIFO());
  if (outs.length === 3) assert.ok(fs.statSync(device).isCharacterDevice());
  assert.deepEqual(
    fs.readdirSync(dir).filter((n) => n.includes('.tmp-')),
    [],
  );
});

// ---- case 7: ONNX metadata must agree with the graph ----

test('case 7: a model whose vocabulary does not match its logits is refused by score and sample, not scored as NaN', () => {
  const file = path.join(dir, 'edited.onnx');
  const model = onnx.ModelProto.decode(fs.readFileSync(path.join(trained, 'model.onnx')));
  const prop = (key: string) => model.metadataProps.find((p) => p.key === key)!;
  const vocab = JSON.parse(prop('rnnlab.vocab').value!) as { tokens: string[] };
  vocab.tokens.push('Ω');
  prop('rnnlab.vocab').value = JSON.stringify(vocab);
  const spec = JSON.parse(prop('rnnlab.spec').value!) as { vocabSize: number };
  spec.vocabSize = vocab.tokens.length;
  prop('rnnlab.spec').value = JSON.stringify(spec);
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
  const text = path.join(corpus, 'file0.js');
  const message = new RegExp(`edited\\.onnx is inconsistent: its vocabulary has ${spec.vocabSize} tokens but its output layer computes ${spec.vocabSize - 1}`);
  assertCleanFailure(rnnLab(['score', file, text]), 1, message);
  assertCleanFailure(rnnLab(['sample', file, '--length', '20']), 1, message);
});

// ---- case 10: a full disk names the file, marks the run failed and leaves no litter ----

test('case 10: ENOSPC while writing a checkpoint names the file, records the run as failed and leaves no temporary file; resuming finishes it', () => {
  const out = path.join(dir, 'case10');
  const args = ['train', corpus, ...TINY, '--backend', 'fused', '--threads', '1', '--out', out];
  const at = stepNumber([...args.slice(0, -1), path.join(dir, 'case10-trace')], /\twrite\tweights\.bin/, 2); // the step-3 checkpoint's, not step 0's
  const r = rnnLab(args, { RNNLAB_FAULT_INJECTION: `ENOSPC@${at}` });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /rnn-lab: error: cannot write .*\.tmp-step-\d+-\d+\/weights\.bin: no space left on the device \(ENOSPC\)/);
  const runDir = r.stdout.trim().split('\n').pop()!;
  assert.equal(info(runDir).status, 'failed');
  assert.match(info(runDir).message!, /ENOSPC/);
  assert.deepEqual(temporaries(runDir), []);
  assert.equal(rnnLab(['train', '--resume', runDir, '--backend', 'fused', '--threads', '1']).code, 0);
  assert.equal(info(runDir).status, 'completed');
});

// ---- case 11: plans that cannot fit are refused before anything is made ----

test('case 11: a training plan that cannot fit in memory is refused with its estimate, and no run folder is made', () => {
  const out = path.join(dir, 'case11');
  const r = rnnLab(['train', corpus, '--layers', '4', '--hidden', '2048', '--batch', '4096', '--seq', '10000', '--out', out]);
  assertCleanFailure(
    r,
    1,
    /training 4×LSTM-2048 on batch 4096 × seq 10000 needs about [\d.]+ (GB|TB) of memory, more than .*: lower --batch, --seq or --hidden/,
  );
  assert.deepEqual(fs.existsSync(out) ? fs.readdirSync(out) : [], []);
});

test('case 11: a 20 MB training file trains in bounded memory (about 10 bytes a character, not 30)', () => {
  const big = path.join(dir, 'train-big.txt');
  const piece = fs.readFileSync(path.join(corpus, 'file1.js'), 'utf8');
  fs.writeFileSync(big, piece.repeat(Math.ceil(20_000_000 / piece.length)));
  const r = spawnSync(
    process.execPath,
    [
      ...['--require', path.join(__dirname, 'support', 'maxRss.js'), CLI, 'train', big, '--max-file-bytes', '30000000'],
      ...['--layers', '1', '--hidden', '8', '--steps', '1', '--backend', 'fused', '--threads', '1', '--out', path.join(dir, 'case11-big')],
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const maxRss = Number(/maxRss (\d+)/.exec(r.stderr)?.[1]);
  assert.ok(maxRss > 0 && maxRss < 400_000, `max RSS ${maxRss} kB for 20 MB of text`);
});

// ---- case 12: interruption ----

test('case 12: Ctrl-C during `activations` exits at once (130), without the training message', async () => {
  const text = path.join(dir, 'long.txt');
  fs.writeFileSync(text, fs.readFileSync(path.join(corpus, 'file2.js'), 'utf8').repeat(2000));
  const child = spawn(process.execPath, [CLI, 'activations', trained, text, '--json'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sent = Date.now();
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.ok(Date.now() - sent < 2000, 'at once');
  assert.doesNotMatch(stderr, /stopping after this step/);
});

test('case 12: resuming after the training files changed is refused, saying what changed; --allow-changed-corpus resumes on the new text and records it', () => {
  const files = path.join(dir, 'case12-corpus');
  fs.cpSync(corpus, files, { recursive: true });
  const r0 = rnnLab(['train', files, ...TINY, '--backend', 'fused', '--threads', '1', '--out', path.join(dir, 'case12')]);
  assert.equal(r0.code, 0, r0.stderr);
  const runDir = r0.stdout.trim().split('\n').pop()!;
  const before = info(runDir).corpus;
  fs.appendFileSync(path.join(files, 'file0.js'), 'Ünïcödé text the run never saw\n'.repeat(5));
  const resume = ['train', '--resume', runDir, '--steps', '9', '--backend', 'fused', '--threads', '1'];
  assertCleanFailure(
    rnnLab(resume),
    1,
    new RegExp(
      `the training files of run .* changed since it started \\(then 4 files, ${before.trainTokens.toLocaleString('en-US')} training tokens, ` +
        `now 4 files, [\\d,]+ training tokens; [\\d,]+ of its characters are not in the run's vocabulary\\); resume with --allow-changed-corpus`,
    ),
  );
  assert.equal(info(runDir).status, 'completed', 'the run is untouched');
  const r = rnnLab([...resume, '--allow-changed-corpus']);
  assert.equal(r.code, 0, r.stderr);
  const after = info(runDir).corpus;
  assert.ok(after.trainTokens > before.trainTokens || after.validationTokens > before.validationTokens, 'run.json records the new corpus');
  assert.match(r.stderr, new RegExp(`${(after.trainTokens ?? 0).toLocaleString('en-US')} training tokens`), 'the header describes the text it trains on');
});

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
