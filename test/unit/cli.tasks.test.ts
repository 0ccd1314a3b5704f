/**
 * Taggers and classifiers from the command line (issue 13's contract): train
 * with a small budget, check run.json and metrics.jsonl, and predict --json
 * with exactly the contract's shape; bad input exits with one clear line.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import type { RunInfo, TaskEvalRecord } from '../../src/core/runFormat';
import { tempDir } from './support/tempDir';
import { assertCleanFailure, runCli } from './support/cli';
import { ActivationDocument } from '../../src/engine/activations/activationDocument';

const dir = tempDir('rnnlab-cli-tasks-');
const rnnLab = (args: string[]) => runCli(args, dir);
const out = path.join(dir, 'runs');
const TINY = [
  '--layers',
  '1',
  '--hidden',
  '8',
  '--embedding',
  '4',
  '--seq',
  '16',
  '--batch',
  '4',
  '--eval-every',
  '3',
  '--checkpoint-every',
  '3',
  '--out',
  out,
];
const CONTRACT_TAGS = ['keyword', 'identifier', 'string', 'comment', 'number', 'punctuation', 'whitespace'];

const TS = `// a comment with words\nexport function add(a: number, b = 42): string {\n  const text = "sum";\n  return text + (a + b);\n}\n`;
const PY = `# a comment\ndef area(r):\n    """a docstring"""\n    return 3.14 * r * r\n\nclass Shape:\n    pass\n`;

function writeSources(root: string): void {
  fs.mkdirSync(root, { recursive: true });
  for (let i = 0; i < 4; i++) {
    fs.writeFileSync(path.join(root, `m${i}.ts`), TS.repeat(3 + i));
    fs.writeFileSync(path.join(root, `p${i}.py`), PY.repeat(3 + i));
  }
}

function readTaskEvals(run: string): TaskEvalRecord[] {
  return fs
    .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string })
    .filter((r): r is TaskEvalRecord => r.kind === 'taskEval');
}

test('train --task tag --bidirectional on source code, then predict --json gives a tag per character', () => {
  const src = path.join(dir, 'src');
  writeSources(src);
  const r = rnnLab(['train', src, '--task', 'tag', '--bidirectional', '--steps', '6', ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /task tag \(bidirectional\): source code/);
  // Taggers train on the fused kernels (issue 13 item 7), as language models do.
  assert.match(r.stderr, /backend fused kernels \(/);
  assert.match(r.stderr, /training characters per label: /);
  assert.match(r.stderr, /held-out accuracy [\d.]+%, macro-F1/);
  assert.match(r.stderr, /confusion matrix/);
  const run = r.stdout.trim();
  const info = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')) as RunInfo;
  assert.equal(info.model.task, 'tag');
  assert.equal(info.backend.training, 'fused');
  assert.equal(info.backend.notice, undefined);
  assert.equal(info.model.bidirectional, true);
  assert.equal(info.task?.kind, 'tag');
  for (const tag of CONTRACT_TAGS) assert.ok(info.task.labels.includes(tag), `${tag} in ${info.task.labels.join(', ')}`);
  assert.equal(info.model.classes, info.task.labels.length);
  const evals = readTaskEvals(run);
  assert.deepEqual(
    evals.map((e) => e.step),
    [3, 6],
  );
  const last = evals.at(-1)!;
  assert.equal(last.confusion.length, info.task.labels.length);
  const total = last.confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(total, info.corpus.validationTokens, 'every held-out character counted once');
  assert.ok(last.accuracy >= 0 && last.accuracy <= 1 && last.macroF1 >= 0 && last.macroF1 <= 1);

  const file = path.join(src, 'm0.ts');
  const p = rnnLab(['predict', run, file, '--json']);
  assert.equal(p.code, 0, p.stderr);
  const result = JSON.parse(p.stdout) as { task: string; files: { file: string; tags: string[]; tokens: string[] }[] };
  assert.deepEqual(Object.keys(result), ['task', 'files']);
  assert.equal(result.task, 'tag');
  assert.deepEqual(Object.keys(result.files[0]).sort(), ['file', 'tags', 'tokens']);
  assert.equal(result.files[0].file, file);
  const text = fs.readFileSync(file, 'utf8');
  assert.equal(result.files[0].tags.length, [...text].length);
  assert.deepEqual(result.files[0].tokens, [...text]);
  assert.ok(result.files[0].tags.every((t) => info.task!.labels.includes(t)));
  const human = rnnLab(['predict', path.join(run, 'model.onnx'), file]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /m0\.ts: \d+ tokens/);
});

test('activations --direction backward reads the backward unit of a bidirectional tagger (the second half of each row); neurons gives the gate saturation of each direction', async () => {
  const src = path.join(dir, 'src-bi');
  writeSources(src);
  const r = rnnLab(['train', src, '--task', 'tag', '--bidirectional', '--steps', '3', ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  const run = r.stdout.trim();
  const file = path.join(src, 'p1.py');
  const doc = await ActivationDocument.open(run, fs.readFileSync(file, 'utf8'));
  const range = await doc.range(0, doc.length);
  await doc.close();
  const H = 8;
  for (const direction of ['forward', 'backward']) {
    const a = rnnLab(['activations', run, file, '--direction', direction, '--neuron', '5', '--json']);
    assert.equal(a.code, 0, a.stderr);
    const json = JSON.parse(a.stdout) as { direction: string; neuron: number; values: number[]; tokens: [number, number][] };
    assert.equal(json.direction, direction);
    const column = (direction === 'backward' ? H : 0) + 5;
    json.tokens.forEach(([start], t) => assert.ok(Math.abs(json.values[start] - range.layers[0].h[t * 2 * H + column]) < 1e-6, `${direction} token ${t}`));
  }
  const chosen = rnnLab(['activations', run, file, '--direction', 'backward']);
  assert.match(chosen.stderr, /layer 0 backward h unit \d+ \(the one that varies most/);
  const neurons = rnnLab(['neurons', run, file]);
  assert.equal(neurons.code, 0, neurons.stderr);
  assert.match(neurons.stdout, /LSTM 1×8 bidirectional, char resolution/);
  assert.match(neurons.stdout, /^ {2}layer 0 → {2}i +\d+% \| +\d+% \(\d+ \| \d+\)/m, 'the forward gates');
  assert.match(neurons.stdout, /^ {2}layer 0 ← {2}i +\d+% \| +\d+%/m, 'the backward gates on their own line');
  const json = JSON.parse(rnnLab(['neurons', run, file, '--json']).stdout) as { gateSaturation: { direction?: string; units: number }[] };
  assert.deepEqual(
    json.gateSaturation.map((g) => `${g.direction ?? 'forward'} ${g.units}`),
    ['forward 8', 'forward 8', 'forward 8', 'backward 8', 'backward 8', 'backward 8'],
  );
});

test('train --task classify on a folder per class, then predict --json gives each file a label and probabilities', () => {
  const data = path.join(dir, 'classes');
  for (const [label, text] of [
    ['ts', TS],
    ['py', PY],
  ]) {
    fs.mkdirSync(path.join(data, label), { recursive: true });
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(data, label, `f${i}.txt`), text.slice(i * 3));
  }
  const r = rnnLab(['train', data, '--task', 'classify', '--bidirectional', '--pooling', 'last', '--steps', '6', ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /task classify \(bidirectional\): a folder per class; 2 labels/);
  assert.match(r.stderr, /backend fused kernels \(/);
  const run = r.stdout.trim();
  const info = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')) as RunInfo;
  assert.equal(info.backend.training, 'fused');
  assert.equal(info.backend.notice, undefined);
  assert.deepEqual([...info.task!.labels].sort(), ['py', 'ts']);
  assert.equal(info.model.pooling, 'last');
  assert.equal(info.task!.trainExamples + info.task!.validationExamples, 12);
  const files = [path.join(data, 'ts', 'f0.txt'), path.join(data, 'py', 'f1.txt')];
  const p = rnnLab(['predict', run, ...files, '--json']);
  assert.equal(p.code, 0, p.stderr);
  const result = JSON.parse(p.stdout) as { task: string; files: { file: string; label: string; probabilities: Record<string, number> }[] };
  assert.equal(result.task, 'classify');
  assert.deepEqual(
    result.files.map((f) => f.file),
    files,
  );
  for (const f of result.files) {
    assert.deepEqual(Object.keys(f).sort(), ['file', 'label', 'probabilities']);
    assert.deepEqual(Object.keys(f.probabilities).sort(), ['py', 'ts']);
    assert.ok(Math.abs(f.probabilities.py + f.probabilities.ts - 1) < 1e-6);
    assert.equal(f.label, f.probabilities.py > f.probabilities.ts ? 'py' : 'ts');
  }
});

test('JSONL and --labels extension snippets train classifiers; class counts and the imbalance warning are reported', () => {
  const jsonl = path.join(dir, 'reviews');
  fs.mkdirSync(jsonl);
  for (let f = 0; f < 3; f++) {
    const lines = Array.from({ length: 22 }, (_, i) => JSON.stringify({ text: i < 20 ? `good film ${i}` : `bad film ${i}`, label: i < 20 ? 'pos' : 'neg' }));
    fs.writeFileSync(path.join(jsonl, `part${f}.jsonl`), lines.join('\n') + '\n');
  }
  const r = rnnLab(['train', jsonl, '--task', 'classify', '--steps', '3', ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /JSONL texts; 2 labels/);
  assert.match(r.stderr, /training examples per label: pos \d+ · neg \d+/);
  assert.match(r.stderr, /warning: the classes are heavily imbalanced/);

  const src = path.join(dir, 'src');
  const s = rnnLab(['train', src, '--task', 'classify', '--labels', 'extension', '--snippet-lines', '4', '--steps', '3', ...TINY]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stderr, /snippets labelled by their language; 2 labels/);
  const info = JSON.parse(fs.readFileSync(path.join(s.stdout.trim(), 'run.json'), 'utf8')) as RunInfo;
  assert.deepEqual([...info.task!.labels].sort(), ['python', 'typescript']);
  assert.deepEqual(info.training.data, { labels: 'extension', snippetLines: 4 });
});

test('bad input: malformed data names file, line and column; wrong combinations and models are refused clearly', () => {
  const bad = path.join(dir, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'a.jsonl'), '{"text": "fine", "label": "x"}\n{"text": "broken", "label": }\n');
  fs.writeFileSync(path.join(bad, 'b.jsonl'), '{"text": "fine", "label": "y"}\n');
  const before = fs.existsSync(out) ? fs.readdirSync(out).length : 0;
  assertCleanFailure(rnnLab(['train', bad, '--task', 'classify', ...TINY]), 1, /a\.jsonl:2:\d+: a JSON object/);
  const conll = path.join(dir, 'bad.conllu');
  fs.writeFileSync(conll, '# sent 1\n1\tThe\tthe\tDET\t_\t_\t2\tdet\t_\t_\n2\tdog\tdog\n');
  assertCleanFailure(rnnLab(['train', conll, '--task', 'tag', ...TINY]), 1, /bad\.conllu:3:1: 10 TAB-separated columns \(CoNLL-U\), found 3/);
  assert.equal(fs.existsSync(out) ? fs.readdirSync(out).length : 0, before, 'no run folder for bad data');

  const src = path.join(dir, 'src');
  assertCleanFailure(rnnLab(['train', src, '--bidirectional', ...TINY]), 2, /--bidirectional .*a language model would see what it predicts/);
  assertCleanFailure(rnnLab(['train', src, '--labels', 'extension', ...TINY]), 2, /--labels goes with --task tag or classify/);
  assertCleanFailure(rnnLab(['train', src, '--task', 'tag', '--labels', 'extension', ...TINY]), 2, /--labels extension .* goes with --task classify/);
  assertCleanFailure(
    rnnLab(['train', path.join(bad, 'b.jsonl'), '--task', 'tag', '--format', 'jsonl', ...TINY]),
    1,
    /--format jsonl does not go with --task tag/,
  );

  // A language model cannot predict; a tagger's vocabulary that does not fit its weights is named.
  const lm = rnnLab(['train', src, '--steps', '3', ...TINY]);
  assert.equal(lm.code, 0, lm.stderr);
  assertCleanFailure(rnnLab(['predict', lm.stdout.trim(), path.join(src, 'm0.ts')]), 1, /is a language model: predict needs a tagger or classifier/);
  const tagRun = rnnLab(['train', src, '--task', 'tag', '--steps', '3', ...TINY]);
  assert.equal(tagRun.code, 0, tagRun.stderr);
  assertCleanFailure(rnnLab(['sample', tagRun.stdout.trim()]), 1, /is a tagger, not a language model: it cannot generate text \(use rnn-lab predict\)/);
  const model = onnx.ModelProto.decode(fs.readFileSync(path.join(tagRun.stdout.trim(), 'model.onnx')));
  for (const p of model.metadataProps) {
    if (p.key === 'rnnlab.vocab') {
      const vocab = JSON.parse(p.value!) as { tokens: string[] };
      vocab.tokens.pop();
      p.value = JSON.stringify(vocab);
    }
    if (p.key === 'rnnlab.spec') {
      const spec = JSON.parse(p.value!) as { vocabSize: number };
      spec.vocabSize--;
      p.value = JSON.stringify(spec);
    }
  }
  const edited = path.join(dir, 'edited.onnx');
  fs.writeFileSync(edited, onnx.ModelProto.encode(model).finish());
  assertCleanFailure(rnnLab(['predict', edited, path.join(src, 'm0.ts')]), 1, /vocabulary has \d+ tokens but its input layer reads \d+/);
  assertCleanFailure(rnnLab(['predict', tagRun.stdout.trim()]), 2, /at least one file/);
  // An empty file among good ones is refused before anything is printed: no half JSON object on stdout.
  const empty = path.join(dir, 'empty.ts');
  fs.writeFileSync(empty, '');
  const refused = rnnLab(['predict', tagRun.stdout.trim(), path.join(src, 'm0.ts'), empty, path.join(src, 'm1.ts'), '--json']);
  assertCleanFailure(refused, 1, /empty\.ts is empty: there is nothing to predict/);
  assert.equal(refused.stdout, '');
});

test('CoNLL-U: word-level tagging with a word vocabulary; predict reads the FORM column; a resumed tagger keeps evaluating', () => {
  const ud = path.join(dir, 'ud');
  fs.mkdirSync(ud);
  const sentence = (words: [string, string][]) => words.map(([w, t], i) => `${i + 1}\t${w}\t${w.toLowerCase()}\t${t}\t_\t_\t0\t_\t_\t_`).join('\n');
  const sentences = [
    sentence([
      ['The', 'DET'],
      ['dog', 'NOUN'],
      ['runs', 'VERB'],
      ['.', 'PUNCT'],
    ]),
    sentence([
      ['A', 'DET'],
      ['cat', 'NOUN'],
      ['sleeps', 'VERB'],
      ['.', 'PUNCT'],
    ]),
  ];
  for (let f = 0; f < 3; f++) fs.writeFileSync(path.join(ud, `part${f}.conllu`), `# newdoc\n${Array(12).fill(sentences.join('\n\n')).join('\n\n')}\n`);
  const r = rnnLab(['train', ud, '--task', 'tag', '--steps', '3', '--seq', '8', ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /CoNLL-U files, a part-of-speech tag per word; 4 labels/);
  assert.match(r.stderr, /training words per label: /);
  const run = r.stdout.trim();
  const vocab = JSON.parse(fs.readFileSync(path.join(run, 'vocab.json'), 'utf8')) as { kind: string; tokens: string[] };
  assert.equal(vocab.kind, 'word');
  assert.ok(vocab.tokens.includes('dog'));
  const p = rnnLab(['predict', run, path.join(ud, 'part0.conllu'), '--json']);
  assert.equal(p.code, 0, p.stderr);
  const result = JSON.parse(p.stdout) as { task: string; files: { tags: string[]; tokens: string[] }[] };
  assert.equal(result.files[0].tokens.length, 12 * 8);
  assert.deepEqual(result.files[0].tokens.slice(0, 4), ['The', 'dog', 'runs', '.']);
  assert.equal(result.files[0].tags.length, result.files[0].tokens.length);

  const resumed = rnnLab(['train', '--resume', run, '--steps', '6']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(
    readTaskEvals(run).map((e) => e.step),
    [3, 6],
  );
});
