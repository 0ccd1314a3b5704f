/**
 * Several continuations in one batch: each is, token for token, the text a
 * single generation with its seed gives (float models: onnxruntime computes
 * every row of a batch alike); the packed-state generation graph gives the
 * exported graph's numbers; int8 runs on request; bad counts are refused.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SeededRandom } from '../../src/core/random';
import type { CellType } from '../../src/core/spec';
import { initBackend } from '../../src/engine/backend';
import { generate } from '../../src/engine/inference/generate';
import { GenerationModel, repeatState } from '../../src/engine/inference/generationModel';
import { OnnxLanguageModel } from '../../src/engine/inference/onnxLanguageModel';
import { releaseAll } from '../../src/engine/inference/sessionCache';
import { writeOnnxModel } from '../../src/engine/onnx/onnxExport';
import { SampleError, sampleText } from '../../src/engine/sampler';
import { TINY_VOCAB, randomModel, tinySpec } from './support/onnxModels';
import { tempDir } from './support/tempDir';

const dir = tempDir('rnnlab-batch-generation-');
const files: Record<string, string> = {};
/** The tfjs sampler's text on the LSTM's weights: the reference for continuation 0. */
let tfjsText = '';
const SHAPES: [CellType, number][] = [
  ['lstm', 0],
  ['gru', 4],
  ['rnn', 0],
];

before(async () => {
  await initBackend('wasm');
  for (const [i, [cell, embedding]] of SHAPES.entries()) {
    const model = randomModel(tinySpec(cell, 2, embedding, false, 12), 80 + i);
    files[cell] = path.join(dir, `${cell}.onnx`);
    writeOnnxModel(files[cell], { spec: model.spec, weights: await model.readWeights(), vocab: TINY_VOCAB });
    if (cell === 'lstm') {
      files.lstmInt8 = path.join(dir, 'lstm.int8.onnx');
      writeOnnxModel(files.lstmInt8, { spec: model.spec, weights: await model.readWeights(), vocab: TINY_VOCAB }, 'int8');
      tfjsText = sampleText(model, TINY_VOCAB, { prime: 'ab', length: 50, temperature: 1, topK: 3, seed: 5 });
    }
    model.dispose();
  }
});
after(async () => {
  await releaseAll();
});

for (const [cell] of SHAPES) {
  test(`${cell}: continuation i of a batch is the single generation with seed + i, token for token, and streams apart`, async () => {
    for (const topK of [0, 3]) {
      const options = { prime: 'ab', length: 50, temperature: 1, topK, seed: 5 };
      const streamed = ['', '', '', ''];
      const batch = await generate(files[cell], { ...options, count: 4 }, (pieces) => pieces.forEach((p, i) => (streamed[i] += p)));
      assert.equal(batch.texts.length, 4);
      assert.equal(batch.tokens, 50);
      assert.deepEqual(streamed, batch.texts, 'the pieces add up to each text');
      for (let i = 0; i < 4; i++) {
        const single = await generate(files[cell], { ...options, seed: 5 + i });
        assert.deepEqual(single.texts, [batch.texts[i]], `top-k ${topK}, continuation ${i}`);
      }
      assert.equal(new Set(batch.texts).size, 4, 'different seeds, different texts');
      if (cell === 'lstm' && topK === 3) assert.equal(batch.texts[0], tfjsText, "continuation 0 is the tfjs sampler's text");
    }
  });
}

test('the packed-state generation graph gives the exported graph’s logits and states, bit for bit', async () => {
  for (const [cell] of SHAPES) {
    const contract = await OnnxLanguageModel.open(files[cell]);
    const packed = await GenerationModel.open(files[cell]);
    const rng = new SeededRandom(3);
    const ids = Array.from({ length: 3 * 7 }, () => Math.floor(rng.next() * TINY_VOCAB.size));
    const layered = contract.zeroState(3);
    for (const t of [...layered.h, ...layered.c]) (t.data as Float32Array).forEach((_, i, a) => (a[i] = rng.next() - 0.5));
    // The packed state is h_0, c_0, h_1, c_1 (h only without a cell state), each [1, batch, hidden].
    const order = cell === 'lstm' ? [layered.h[0], layered.c[0], layered.h[1], layered.c[1]] : layered.h;
    const state = new ort.Tensor('float32', Float32Array.from(order.flatMap((t) => Array.from(t.data as Float32Array))), [order.length, 3, 12]);
    const a = await contract.run(ids, 3, 7, layered);
    const b = await packed.run(ids, 3, 7, state);
    assert.deepEqual(b.logits, a.logits, `${cell} logits`);
    const finals = cell === 'lstm' ? [a.state.h[0], a.state.c[0], a.state.h[1], a.state.c[1]] : a.state.h;
    assert.deepEqual(
      Array.from(b.state.data as Float32Array),
      finals.flatMap((t) => Array.from(t.data as Float32Array)),
      `${cell} final states`,
    );
    contract.close();
    packed.close();
  }
  const repeated = repeatState(new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [2, 1, 2]), 3);
  assert.deepEqual(Array.from(repeated.data as Float32Array), [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
  assert.deepEqual(repeated.dims, [2, 3, 2]);
});

test('int8 on request: a float file is quantized in memory; an int8 file runs as int8 without asking', async () => {
  const asked = await generate(files.lstm, { length: 30, temperature: 1, count: 3, precision: 'int8' });
  assert.deepEqual([asked.precision, asked.texts.length, asked.tokens], ['int8', 3, 30]);
  const stored = await generate(files.lstmInt8, { length: 30, temperature: 1, seed: 2 });
  assert.equal(stored.precision, 'int8');
  assert.deepEqual((await generate(files.lstmInt8, { length: 30, temperature: 1, seed: 2, precision: 'int8' })).texts, stored.texts, 'the same session');
  assert.equal((await generate(files.lstm, { length: 5, temperature: 1 })).precision, 'float32');
});

test('a stopped batch returns every continuation up to the same token', async () => {
  const controller = new AbortController();
  let steps = 0;
  const r = await generate(files.gru, { length: 10_000, temperature: 1, count: 5 }, () => ++steps === 7 && controller.abort(), controller.signal);
  assert.equal(r.stopped, true);
  assert.equal(r.tokens, 7);
  assert.deepEqual(
    r.texts.map((t) => [...t].length),
    [7, 7, 7, 7, 7],
  );
});

test('a count of 0, 33, 2.5 or NaN is refused before any work', async () => {
  for (const count of [0, 33, 2.5, Number.NaN, 1_000_000]) {
    await assert.rejects(
      generate(files.rnn, { length: 5, temperature: 1, count }),
      (e: Error) => e instanceof SampleError && /count must be a whole number from 1 to 32/.test(e.message),
      String(count),
    );
  }
});
