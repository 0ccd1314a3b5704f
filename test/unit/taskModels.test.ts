/**
 * Taggers and classifiers: for every cell, bidirectional (and unidirectional),
 * per-step tags and per-sequence classes (final states, mean pooling), tfjs's
 * logits on a padded batch equal onnxruntime's on each row alone (the padding
 * masks change nothing), to 1e-4; Debian's onnx checker accepts every file;
 * PyTorch rebuilt from the initializers reproduces them. Then the batches and
 * a training step that leaks no tensor.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { SeededRandom } from '../../src/core/random';
import { CELL_TYPES, type CellType, type ModelSpec } from '../../src/core/spec';
import { ClassifyBatcher, TagBatcher, classifyEvaluationWindows, epochPool, tagEvaluationWindows } from '../../src/core/tasks/taskBatching';
import { predictFiles } from '../../src/engine/inference/predict';
import { releaseAll, acquireSession } from '../../src/engine/inference/sessionCache';
import { writeOnnxModel } from '../../src/engine/onnx/onnxExport';
import { LOGITS_OUTPUT, TOKENS_INPUT, c0Name, h0Name } from '../../src/engine/onnx/onnxNames';
import { createOptimizer } from '../../src/engine/training/optimizers';
import { trainStep } from '../../src/engine/training/tfjsStep';
import { evaluateTask } from '../../src/engine/tasks/taskEvaluation';
import { disposeState } from '../../src/engine/recurrentState';
import { EngineServer } from '../../src/engine/server';
import type { EngineEvent, EngineResponse } from '../../src/protocol/engine';
import { tempDir } from './support/tempDir';
import { TINY_VOCAB, maxAbsDiff, randomModel, runPython } from './support/onnxModels';

const dir = tempDir('rnnlab-task-models-');
const caseDir = path.join(dir, 'cases');
fs.mkdirSync(caseDir);
const TOL = 1e-4;
const LABELS = ['alpha', 'beta', 'gamma'];
type Head = 'tag' | 'last' | 'mean';

before(async () => {
  await initBackend('wasm');
});
after(() => releaseAll());

function taskSpec(cell: CellType, head: Head, bidirectional: boolean, layers: number, embedding: number): ModelSpec {
  const task = head === 'tag' ? { task: 'tag' as const } : { task: 'classify' as const, pooling: head };
  return { cell, layers, hidden: 4, embedding, dropout: 0, vocabSize: TINY_VOCAB.size, bidirectional, classes: LABELS.length, ...task };
}

/** onnxruntime's logits for one unpadded row from zero states. */
async function onnxLogits(file: string, spec: ModelSpec, ids: number[]): Promise<Float32Array> {
  const ort = await import('onnxruntime-node');
  const lease = await acquireSession(file);
  try {
    const D = spec.bidirectional ? 2 : 1;
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      [TOKENS_INPUT]: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    };
    for (let l = 0; l < spec.layers; l++) {
      feeds[h0Name(l)] = new ort.Tensor('float32', new Float32Array(D * spec.hidden), [D, 1, spec.hidden]);
      if (spec.cell === 'lstm') feeds[c0Name(l)] = new ort.Tensor('float32', new Float32Array(D * spec.hidden), [D, 1, spec.hidden]);
    }
    return (await lease.session.run(feeds, [LOGITS_OUTPUT]))[LOGITS_OUTPUT].data as Float32Array;
  } finally {
    lease.release();
  }
}

const cases: { cell: CellType; head: Head; bidirectional: boolean; layers: number; embedding: number }[] = [];
for (const cell of CELL_TYPES)
  for (const head of ['tag', 'last', 'mean'] as const) {
    cases.push({ cell, head, bidirectional: true, layers: 2, embedding: head === 'mean' ? 3 : 0 });
    cases.push({ cell, head, bidirectional: false, layers: 1, embedding: head === 'last' ? 3 : 0 });
  }

let seed = 100;
for (const c of cases) {
  const name = `${c.cell}-${c.head}-${c.bidirectional ? 'bi' : 'uni'}-${c.layers}-${c.embedding ? 'embedding' : 'onehot'}`;
  const caseSeed = ++seed;
  test(`${name}: tfjs on a padded batch gives onnxruntime's logits of each row alone`, async () => {
    const spec = taskSpec(c.cell, c.head, c.bidirectional, c.layers, c.embedding);
    const model = randomModel(spec, caseSeed);
    const file = path.join(caseDir, `${name}.onnx`);
    writeOnnxModel(file, { spec, weights: await model.readWeights(), vocab: TINY_VOCAB, step: 1, runId: 'test', task: { labels: LABELS, window: 16 } });
    const rng = new SeededRandom(caseSeed);
    const lengths = c.head === 'tag' ? [6, 6, 6] : [6, 2, 4];
    const T = Math.max(...lengths);
    const rows = lengths.map((n) => Array.from({ length: n }, () => rng.nextInt(spec.vocabSize)));
    const padded = rows.flatMap((r) => [...r, ...new Array<number>(T - r.length).fill(0)]);
    const tfjsLogits = tf.tidy(() =>
      model
        .forward(tf.tensor2d(padded, [rows.length, T], 'int32'), undefined, c.head === 'tag' ? {} : { lengths: Int32Array.from(lengths) })
        .logits.dataSync()
        .slice(),
    );
    const perRow = c.head === 'tag' ? T * LABELS.length : LABELS.length;
    const onnx: number[][] = [];
    for (let b = 0; b < rows.length; b++) {
      const got = await onnxLogits(file, spec, rows[b]);
      const diff = maxAbsDiff(got, tfjsLogits.slice(b * perRow, (b + 1) * perRow));
      assert.ok(diff <= TOL, `row ${b}: logits differ by ${diff}`);
      onnx.push(Array.from(got));
    }
    fs.writeFileSync(path.join(caseDir, `${name}.json`), JSON.stringify({ model: path.basename(file), head: c.head, rows, logits: onnx }));
    model.dispose();
  });
}

test("Debian python3-onnx's checker accepts every tagger and classifier", () => {
  const files = fs
    .readdirSync(caseDir)
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => path.join(caseDir, f));
  assert.equal(files.length, cases.length);
  const r = runPython('test/fixtures/onnx/check_models.py', files);
  assert.ok(r.verdict, `no verdict from the checker: ${r.stderr}`);
  assert.deepEqual(r.verdict.failures, [], JSON.stringify(r.verdict.failures));
  assert.equal(r.verdict.checked, cases.length);
});

test("PyTorch (bidirectional nn.LSTM, nn.RNN, the GRU's equations) rebuilt from the initializers reproduces onnxruntime's logits to 1e-4", () => {
  const r = runPython('test/fixtures/torch/task_heads.py', [caseDir, String(TOL)]);
  assert.ok(r.verdict, `no verdict from the PyTorch check: ${r.stderr}`);
  assert.deepEqual(r.verdict.failures, [], JSON.stringify(r.verdict.failures));
  assert.equal(r.verdict.cases, cases.length);
  console.log(`torch ${r.verdict.torch}: ${r.verdict.cases} task models, max |torch − onnxruntime| ${Number(r.verdict.maxDiff).toExponential(2)}`);
});

test('predict: a classifier names its label with probabilities summing to 1; a tagger gives one tag per character', async () => {
  const classifier = path.join(caseDir, 'lstm-last-bi-2-onehot.onnx');
  const c = await predictFiles(classifier, [{ file: 'x.txt', text: 'abc de' }]);
  assert.equal(c.task, 'classify');
  if (c.task !== 'classify') return;
  const p = c.files[0].probabilities;
  assert.deepEqual(Object.keys(p), LABELS);
  assert.ok(Math.abs(Object.values(p).reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.equal(c.files[0].label, Object.entries(p).sort((a, b) => b[1] - a[1])[0][0]);
  const tagger = path.join(caseDir, 'gru-tag-bi-2-onehot.onnx');
  const text = 'abc de\n'.repeat(5); // 35 characters: two windows of 16 and a rest of 3
  const t = await predictFiles(tagger, [{ file: 'y.txt', text }]);
  assert.equal(t.task, 'tag');
  if (t.task !== 'tag') return;
  assert.equal(t.files[0].tags.length, 35);
  assert.deepEqual(t.files[0].tokens, [...text]);
  assert.ok(t.files[0].tags.every((tag) => LABELS.includes(tag)));
});

test('tag batches: each token targets its own tag, windows from zero states, every slot once per epoch', () => {
  const ids = Int32Array.from({ length: 100 }, (_, i) => i);
  const tags = Int32Array.from(ids, (i) => i % 3);
  const b = new TagBatcher(ids, tags, 2, 5, 1);
  const seen = new Set<number>();
  for (let w = 0; w < b.windowsPerEpoch; w++) {
    const win = b.next();
    assert.equal(win.resetState, true);
    for (let i = 0; i < win.inputs.length; i++) assert.equal(win.targets[i], win.inputs[i] % 3);
    for (let r = 0; r < win.batch; r++) seen.add(win.inputs[r * 5]);
  }
  assert.equal(seen.size, b.windowsPerEpoch * 2);
  const evalWindows = tagEvaluationWindows(ids.subarray(0, 23), tags.subarray(0, 23), 2, 5);
  assert.deepEqual(
    evalWindows.map((w) => [w.batch, w.time]),
    [
      [2, 5],
      [2, 5],
      [1, 3],
    ],
  );
});

test('classification batches: rows cut to the window, padded to the longest, with their lengths and labels; every example once per epoch', () => {
  const examples = [5, 1, 9, 3, 0].map((n, i) => ({ ids: Int32Array.from({ length: n }, () => i + 1), label: i % 2 }));
  const b = new ClassifyBatcher(examples, 2, 4, 7);
  assert.equal(b.windowsPerEpoch, 2);
  const w = b.next();
  assert.equal(w.batch, 2);
  assert.ok(w.time <= 4);
  for (let r = 0; r < 2; r++) {
    const id = w.inputs[r * w.time];
    assert.equal(w.lengths![r], Math.max(1, Math.min(4, examples[id - 1]?.ids.length ?? 1)));
    assert.equal(w.targets[r], (id - 1) % 2);
  }
  const all = classifyEvaluationWindows(examples, 2, 4);
  assert.deepEqual(
    all.map((x) => x.batch),
    [2, 2, 1],
  );
  assert.deepEqual(Array.from(all[2].lengths!), [1]); // an empty text reads as one padding token
});

test('classification epochs: every example once, a class under a quarter of the largest repeated in turn up to that quarter', () => {
  // 40 of label 0, 3 of label 1 (floor: 10 reads), 12 of label 2 (above the floor: once each).
  const labels = [...Array<number>(40).fill(0), ...Array<number>(3).fill(1), ...Array<number>(12).fill(2)];
  const examples = labels.map((label, i) => ({ ids: Int32Array.of(i + 1), label }));
  const pool = epochPool(examples);
  const reads = (i: number) => pool.filter((p) => p === i).length;
  assert.deepEqual(
    [0, 1, 2].map((l) => pool.filter((p) => labels[p] === l).length),
    [40, 10, 12],
  );
  assert.deepEqual([40, 41, 42].map(reads), [4, 3, 3]);
  assert.ok(examples.every((_, i) => reads(i) >= 1));
  const b = new ClassifyBatcher(examples, 8, 4, 3);
  assert.equal(b.windowsPerEpoch, Math.floor(62 / 8));
  const seen = Array.from({ length: b.windowsPerEpoch }, () => Array.from(b.next().targets)).flat();
  assert.equal(seen.length, 56);
  assert.ok(seen.filter((t) => t === 1).length >= 6, 'the rare class is read about 10 times in 62');
});

test('training steps and evaluations of a tagger and a classifier leak no tensors and lower the loss', () => {
  for (const head of ['tag', 'mean'] as const) {
    const spec = taskSpec('lstm', head, true, 1, 0);
    const model = randomModel(spec, 3, 0.3);
    const optimizer = createOptimizer('adam', 0.02);
    const rng = new SeededRandom(5);
    const window =
      head === 'tag'
        ? (() => {
            const inputs = Int32Array.from({ length: 4 * 6 }, () => rng.nextInt(spec.vocabSize));
            return { inputs, targets: Int32Array.from(inputs, (i) => i % 3), batch: 4, time: 6 };
          })()
        : {
            inputs: Int32Array.from({ length: 4 * 6 }, () => rng.nextInt(spec.vocabSize)),
            targets: Int32Array.of(0, 1, 2, 1),
            batch: 4,
            time: 6,
            lengths: Int32Array.of(6, 3, 5, 1),
          };
    const settings = { clipMode: 'norm' as const, clipValue: 5, dropoutSeed: 1 };
    const first = trainStep(model, optimizer, window, undefined, settings);
    disposeState(first.finalState);
    const before = tf.memory().numTensors;
    let last = first.loss;
    for (let i = 0; i < 20; i++) {
      const outcome = trainStep(model, optimizer, window, undefined, settings);
      disposeState(outcome.finalState);
      last = outcome.loss;
    }
    evaluateTask(model, [{ ...window, resetState: true, epoch: 0, index: 0 }], LABELS.length);
    assert.equal(tf.memory().numTensors, before, `${head}: tensors after 20 steps and an evaluation`);
    assert.ok(last < 0.8 * first.loss, `${head}: loss ${first.loss} → ${last}`);
    optimizer.dispose();
    model.dispose();
  }
});

test("the engine's predict request answers the CLI's shape; a bad request is refused before any work", async () => {
  const sent: (EngineResponse | EngineEvent)[] = [];
  const server = new EngineServer((m) => sent.push(m));
  const onnxFile = path.join(caseDir, 'rnn-mean-bi-2-embedding.onnx');
  await server.handle({ kind: 'request', id: 1, method: 'predict', params: { model: { onnxFile }, inputs: [{ file: 'selection', text: 'ab de' }] } });
  await server.handle({ kind: 'request', id: 2, method: 'predict', params: { model: { onnxFile }, inputs: [{ file: 'x', text: 3 }] } });
  const [ok, bad] = sent as EngineResponse[];
  assert.ok(ok.ok, JSON.stringify(ok));
  const result = ok.result as { task: string; files: { file: string; label: string }[] };
  assert.equal(result.task, 'classify');
  assert.equal(result.files[0].file, 'selection');
  assert.ok(LABELS.includes(result.files[0].label));
  assert.equal(bad.ok, false);
  assert.match(bad.error.message, /params.inputs\[0\].text must be a string/);
});
