/**
 * `rnn-lab activations` and `rnn-lab neurons` as a user runs them: the built
 * bin/rnn-lab.js in a child process, on a run trained here for a few steps.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { CLI, assertCleanFailure } from './support/cli';

const dir = tempDir('rnnlab-cli-activations-');
const corpus = writeTinyCorpus(dir);
let runDir = '';

function rnnLab(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, RNNLAB_DEBUG: '', NO_COLOR: '', FORCE_COLOR: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

before(() => {
  const r = rnnLab([
    'train',
    corpus,
    '--layers',
    '2',
    '--hidden',
    '8',
    '--seq',
    '16',
    '--batch',
    '4',
    '--steps',
    '4',
    '--checkpoint-every',
    '4',
    '--sample-every',
    '4',
    '--eval-every',
    '4',
    '--out',
    path.join(dir, 'runs'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  runDir = r.stdout.trim().split('\n').pop()!;
});

test('activations and neurons have --help and appear in the top-level help', () => {
  for (const [command, flag] of [
    ['activations', '--neuron'],
    ['neurons', '--top'],
  ]) {
    const help = rnnLab([command, '--help']);
    assert.equal(help.code, 0);
    assert.ok(help.stdout.includes(flag), `${command} --help mentions ${flag}`);
  }
  const top = rnnLab(['--help']).stdout;
  for (const command of ['activations', 'neurons']) assert.match(top, new RegExp(`^  ${command} +\\S`, 'm'));
});

test('activations: one "character<TAB>value" line per character when piped, escapes for \\n and \\t; the chosen neuron is said on stderr', () => {
  const text = 'say("hi");\n\tx = 1;\n';
  const f = file('small.js', text);
  const r = rnnLab(['activations', runDir, f]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').slice(0, -1);
  assert.equal(lines.length, [...text].length);
  for (const line of lines) assert.match(line, /^(\\n|\\t|[^\t])\t-?\d+\.\d{4}$/);
  assert.equal(lines[10].split('\t')[0], '\\n');
  assert.equal(lines[11].split('\t')[0], '\\t');
  assert.match(r.stderr, /^layer 1 h unit \d+ \(the one that varies most; choose with --neuron\)$/m);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colours when piped');
});

test('activations --json gives the value at every code point; --layer, --neuron and --kind choose it', () => {
  const text = 'x = "☃ b";\n😀';
  const f = file('unknown.js', text);
  const r = rnnLab(['activations', runDir, f, '--json', '--layer', '0', '--neuron', '3', '--kind', 'c']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.layer, 0);
  assert.equal(out.neuron, 3);
  assert.equal(out.kind, 'c');
  assert.equal(out.characters, 12);
  assert.equal(out.values.length, 12);
  assert.ok(out.values.every(Number.isFinite));
  assert.deepEqual(out.unknown, [5, 11], 'the snowman and the emoji are outside the vocabulary, not errors');
  const plain = rnnLab(['activations', runDir, f, '--layer', '0', '--neuron', '3', '--kind', 'c']).stdout.split('\n').slice(0, -1);
  assert.deepEqual(
    plain.map((l) => Number(l.split('\t')[1])),
    out.values.map((v: number) => Number(v.toFixed(4))),
  );
  for (const kind of ['h', 'i', 'f', 'o']) assert.equal(rnnLab(['activations', runDir, f, '--kind', kind, '--json']).code, 0);
});

test('activations on a terminal colours the background of each character (FORCE_COLOR), with a legend on stderr', () => {
  const f = file('colour.js', 'ab\ncd');
  const r = rnnLab(['activations', runDir, f, '--neuron', '0'], { FORCE_COLOR: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.stdout.match(/\x1b\[48;2;\d+;\d+;\d+m/g) ?? []).length, 4, 'one background per character, none for the newline');
  assert.equal(r.stdout.replace(/\x1b\[[\d;]*m/g, ''), 'ab\ncd\n');
  assert.match(r.stderr, /-1\.00 .*0\.00 .*1\.00/);
});

test('activations: an empty file prints nothing and exits 0', () => {
  const f = file('empty.js', '');
  const r = rnnLab(['activations', runDir, f]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(JSON.parse(rnnLab(['activations', runDir, f, '--json']).stdout).values, []);
});

test('neurons prints the feature ranking and the gate saturation; --json has every score', () => {
  const files = fs
    .readdirSync(corpus)
    .slice(0, 2)
    .map((f) => path.join(corpus, f));
  const r = rnnLab(['neurons', runDir, ...files, '--top', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /LSTM 2×8, char resolution; [\d,]+ characters in 2 files/);
  assert.match(r.stdout, /^inString +[ch][01]\[\d+\] AUC \d\.\d{3} {3}[ch][01]\[\d+\] AUC \d\.\d{3}$/m);
  assert.match(r.stdout, /^inComment +— \(never true in this text\)$/m);
  assert.match(r.stdout, /^lineLength +[ch][01]\[\d+\] r [+−]\d\.\d{3}/m);
  assert.match(r.stdout, /^ {2}layer 0 {2}i +\d+% \| +\d+% \(\d+ \| \d+\) {3}f .* {3}o /m);
  assert.match(r.stdout, /^ {2}layer 1 /m);
  const json = JSON.parse(rnnLab(['neurons', runDir, ...files, '--json']).stdout);
  assert.deepEqual(
    json.features.map((f: { feature: string }) => f.feature),
    [
      'inString',
      'inComment',
      'token:identifier',
      'token:keyword',
      'token:number',
      'token:punctuation',
      'token:whitespace',
      'depth',
      'indent',
      'column',
      'lineLength',
    ],
  );
  const strings = json.features[0];
  assert.equal(strings.top.length, 3);
  assert.ok(strings.top[0].score >= strings.top[1].score && strings.top[0].auc >= 0 && strings.top[0].auc <= 1);
  assert.equal(json.files[0].parser, 'javascript');
  assert.equal(json.gateSaturation.length, 6);
  assert.equal(json.gateSaturation[0].left.length, 8);
  const capped = rnnLab(['neurons', runDir, ...files, '--max-chars', '100']);
  assert.equal(capped.code, 0);
  assert.match(capped.stderr, /used the first 100 of [\d,]+ characters \(--max-chars\)/);
  assert.match(capped.stdout, /100 characters in 1 file/);
});

test('bad models, files and options exit with one clear line', () => {
  const text = file('ok.js', 'x = 1;\n');
  const garbage = file('garbage.onnx', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 40503) & 255)));
  assertCleanFailure(rnnLab(['activations', garbage, text]), 1, /garbage\.onnx is not a readable ONNX model/);
  assertCleanFailure(rnnLab(['neurons', garbage, text]), 1, /garbage\.onnx is not a readable ONNX model/);
  const binary = file('binary.dat', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
  assertCleanFailure(rnnLab(['activations', runDir, binary]), 1, /binary\.dat is a binary file, not text/);
  assertCleanFailure(rnnLab(['neurons', runDir, text, binary]), 1, /binary\.dat is a binary file, not text/);
  assertCleanFailure(rnnLab(['activations', runDir, path.join(dir, 'missing.js')]), 1, /file not found: .*missing\.js/);
  assertCleanFailure(rnnLab(['neurons', runDir, file('empty2.js', '')]), 1, /empty2\.js is empty: there is no text to rank neurons on/);
  assertCleanFailure(rnnLab(['activations', runDir, text, '--layer', '2']), 2, /--layer 2: the model has 2 layers \(0 to 1\)/);
  assertCleanFailure(rnnLab(['activations', runDir, text, '--neuron', '8']), 2, /--neuron 8: layers have 8 units \(0 to 7\)/);
  assertCleanFailure(rnnLab(['activations', runDir, text, '--neuron', 'x']), 2, /--neuron expects a whole number/);
  assertCleanFailure(rnnLab(['activations', runDir, text, '--kind', 'z']), 2, /--kind z: an LSTM has h, c, i, f, o/);
  assertCleanFailure(
    rnnLab(['activations', runDir, text, '--direction', 'backward']),
    2,
    /--direction backward: the model reads the text in one direction only/,
  );
  assertCleanFailure(rnnLab(['activations', runDir, text, '--direction', 'up']), 2, /--direction up: give forward or backward/);
  assertCleanFailure(rnnLab(['activations', runDir]), 2, /then one text file/);
  assertCleanFailure(rnnLab(['neurons', runDir]), 2, /at least one text file/);
  assertCleanFailure(rnnLab(['neurons', runDir, text, '--top', '0']), 2, /--top must be at least 1/);
});
