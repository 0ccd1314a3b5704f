/**
 * The int8 variant of an exported model (docs/architecture.md, "The ONNX
 * contract"): the quantization itself against hand-computed cases, the int8
 * graph of every cell against the float model it comes from (onnxruntime on
 * both), Debian's python3-onnx checker, the in-memory quantization of a float
 * file, and what refuses an int8 model (the activation probe) or refuses to
 * become one (a bidirectional model).
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SeededRandom } from '../../src/core/random';
import type { CellType } from '../../src/core/spec';
import { initBackend } from '../../src/engine/backend';
import { ActivationModel } from '../../src/engine/activations/activationModel';
import { releaseAll } from '../../src/engine/inference/sessionCache';
import { writeOnnxModel } from '../../src/engine/onnx/onnxExport';
import { readModelBytes, readRnnLabModelFile } from '../../src/engine/onnx/onnxMetadata';
import { OnnxModelError } from '../../src/engine/onnx/onnxModelError';
import { c0Name, h0Name } from '../../src/engine/onnx/onnxNames';
import { dequantizeColumns, quantizeColumns, transpose } from '../../src/engine/onnx/quantization';
import { quantizeModelBytes } from '../../src/engine/onnx/quantizeModel';
import { TINY_VOCAB, randomModel, runPython, tinySpec } from './support/onnxModels';
import { tempDir } from './support/tempDir';

const dir = tempDir('rnnlab-int8-');

before(async () => {
  await initBackend('wasm');
});
after(async () => {
  await releaseAll();
});

test('quantizeColumns: one scale per column, max|column| / 127, values rounded to the nearest step (hand-computed)', () => {
  // [[1, -0.5, 0], [0.25, 2, 0]]: column 0 has scale 1/127, column 1 2/127, column 2 is all zeros.
  const q = quantizeColumns(Float32Array.of(1, -0.5, 0, 0.25, 2, 0), 2, 3);
  assert.deepEqual(Array.from(q.scales), [Math.fround(1 / 127), Math.fround(2 / 127), 1]);
  // 0.25·127 = 31.75 → 32; −0.5·127/2 = −31.75 → −32; 2·127/2 = 127.
  assert.deepEqual(Array.from(q.values), [127, -32, 0, 32, 127, 0]);
  assert.deepEqual(Array.from(transpose(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3)), [1, 4, 2, 5, 3, 6]);
});

test('quantizeColumns: every weight within half a step of its column, the largest exact', () => {
  const rng = new SeededRandom(4);
  const rows = 37;
  const cols = 19;
  const m = Float32Array.from({ length: rows * cols }, (_, i) => (rng.next() * 2 - 1) * (1 + (i % cols)));
  const q = quantizeColumns(m, rows, cols);
  const back = dequantizeColumns(q, rows, cols);
  for (let j = 0; j < cols; j++) {
    let biggest = 0;
    for (let k = 0; k < rows; k++) {
      const i = k * cols + j;
      assert.ok(Math.abs(back[i] - m[i]) <= q.scales[j] / 2 + 1e-7, `row ${k} column ${j}`);
      assert.ok(Math.abs(q.values[i]) <= 127);
      biggest = Math.max(biggest, Math.abs(m[i]));
    }
    assert.ok(Math.abs(q.scales[j] * 127 - biggest) <= 1e-6 * biggest, `column ${j}'s largest weight is exact`);
  }
});

/** A 2-layer model of the cell with weights in ±0.2 (random biases too; contractive, as trained recurrences are), exported float32 and int8. */
async function exportBoth(cell: CellType, embedding: number, seed: number): Promise<{ float: string; int8: string }> {
  const model = randomModel(tinySpec(cell, 2, embedding, false, 48), seed, 0.2);
  const weights = await model.readWeights();
  const source = { spec: model.spec, weights, vocab: TINY_VOCAB, step: 3, runId: 'int8-test' };
  const float = path.join(dir, `${cell}-${embedding}.onnx`);
  const int8 = path.join(dir, `${cell}-${embedding}.int8.onnx`);
  writeOnnxModel(float, source);
  writeOnnxModel(int8, source, 'int8');
  model.dispose();
  return { float, int8 };
}

/** Every output of one session run: 3 sequences of 30 tokens from random states. */
async function runAll(file: string, cell: CellType): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, logSeverityLevel: 4 });
  const rng = new SeededRandom(9);
  const [B, T, H] = [3, 30, 48];
  const ids = BigInt64Array.from({ length: B * T }, () => BigInt(Math.floor(rng.next() * TINY_VOCAB.size)));
  const feeds: Record<string, ort.Tensor> = { tokens: new ort.Tensor('int64', ids, [B, T]) };
  const state = () =>
    new ort.Tensor(
      'float32',
      Float32Array.from({ length: B * H }, () => rng.next() - 0.5),
      [1, B, H],
    );
  for (let l = 0; l < 2; l++) {
    feeds[h0Name(l)] = state();
    if (cell === 'lstm') feeds[c0Name(l)] = state();
  }
  const out = await session.run(feeds);
  await session.release();
  return out;
}

const CASES: [CellType, number][] = [
  ['lstm', 0],
  ['lstm', 6],
  ['gru', 0],
  ['gru', 6],
  ['rnn', 0],
  ['rnn', 6],
];

for (const [cell, embedding] of CASES) {
  test(`int8 ${cell}${embedding ? ' with an embedding' : ''}: the float model's outputs within 2.5% of their range, a third of the size`, async () => {
    const files = await exportBoth(cell, embedding, CASES.findIndex((c) => c[0] === cell && c[1] === embedding) + 20);
    const float = await runAll(files.float, cell);
    const int8 = await runAll(files.int8, cell);
    assert.deepEqual(Object.keys(int8).sort(), Object.keys(float).sort(), 'the same outputs');
    for (const name of Object.keys(float)) {
      const a = float[name].data as Float32Array;
      const b = int8[name].data as Float32Array;
      assert.deepEqual(int8[name].dims, float[name].dims, name);
      let range = 0;
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        range = Math.max(range, Math.abs(a[i]));
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
      }
      // Weights are off by at most half of 1/127 of their column's largest, and each product's input by half of 1/255 of
      // its range: a few parts in a thousand per layer, compounding over 30 steps and 2 layers. Measured: at most 0.9% of
      // the range for LSTM and GRU, 1.9% for the vanilla RNN (no gate damps its errors); a wrong gate order or scale is ~100%.
      assert.ok(worst <= 0.025 * range, `${name}: max |int8 − float| ${worst.toExponential(2)} vs range ${range.toFixed(3)}`);
      assert.ok(worst > 0, `${name} differs at all: the weights are int8`);
    }
    const sizes = [fs.statSync(files.float).size, fs.statSync(files.int8).size];
    assert.ok(sizes[1] < 0.4 * sizes[0], `int8 ${sizes[1]} bytes vs float ${sizes[0]}`);
    const info = readRnnLabModelFile(files.int8);
    assert.deepEqual([info.precision, info.step, info.run, info.spec.cell], ['int8', 3, 'int8-test', cell]);
    assert.equal(readRnnLabModelFile(files.float).precision, 'float32');
  });
}

test("Debian's python3-onnx checker accepts every int8 file (it knows no schema of onnxruntime's com.microsoft ops: those are onnxruntime's to check)", async () => {
  const files = await Promise.all(CASES.map(([cell, embedding], i) => exportBoth(cell, embedding, 40 + i)));
  const r = runPython(
    'test/fixtures/onnx/check_models.py',
    files.map((f) => f.int8),
  );
  assert.equal(r.status, 0, `checker failed: ${JSON.stringify(r.verdict)} ${r.stderr}`);
  assert.equal(r.verdict?.checked, CASES.length);
  assert.deepEqual(r.verdict?.failures, []);
});

test('a float file quantized in memory is the exported int8 model: the same outputs, bit for bit', async () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const files = await exportBoth(cell, 0, 60);
    const inMemory = path.join(dir, `${cell}-in-memory.int8.onnx`);
    fs.writeFileSync(inMemory, quantizeModelBytes(readModelBytes(files.float), readRnnLabModelFile(files.float), files.float));
    const exported = await runAll(files.int8, cell);
    const quantized = await runAll(inMemory, cell);
    for (const name of Object.keys(exported)) assert.deepEqual(quantized[name].data, exported[name].data, `${cell} ${name}`);
    const again = readModelBytes(files.int8);
    assert.equal(quantizeModelBytes(again, readRnnLabModelFile(files.int8), files.int8), again, 'an int8 file is used as it is');
  }
});

test('the activation probe refuses an int8 model, saying to use the float one; a bidirectional model refuses int8', async () => {
  const files = await exportBoth('lstm', 0, 70);
  await assert.rejects(
    ActivationModel.open(files.int8),
    (e: Error) => e instanceof OnnxModelError && /is an int8 model .* Neuron activations need the float model: the run's model\.onnx/.test(e.message),
  );
  const ok = await ActivationModel.open(files.float);
  await ok.close();
  const bi = randomModel(tinySpec('gru', 1, 0, true), 71);
  const source = { spec: bi.spec, weights: await bi.readWeights(), vocab: TINY_VOCAB };
  bi.dispose();
  assert.throws(() => writeOnnxModel(path.join(dir, 'bi.int8.onnx'), source, 'int8'), /bidirectional model cannot be quantized/);
  assert.ok(!fs.existsSync(path.join(dir, 'bi.int8.onnx')), 'nothing written');
});
