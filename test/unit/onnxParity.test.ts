/**
 * Exported models against their source: for every cell × {1, 2, 3 layers} ×
 * {one-hot, embedding} × {unidirectional, bidirectional}, onnxruntime's logits,
 * final states and hidden sequences equal tfjs's (RecurrentModel.forward, wasm
 * backend) from random weights and random initial states; greedy generation
 * from the .onnx file alone equals tfjs's sampler. Then two independent
 * checks in Debian's Python: the onnx checker (full_check) on every file, and
 * PyTorch rebuilding each model from the ONNX initializers.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { SeededRandom } from '../../src/core/random';
import { CELL_TYPES } from '../../src/core/spec';
import { sampleText } from '../../src/engine/sampler';
import { disposeState } from '../../src/engine/recurrentState';
import { generate } from '../../src/engine/inference/generate';
import { OnnxLanguageModel } from '../../src/engine/inference/onnxLanguageModel';
import { releaseAll } from '../../src/engine/inference/sessionCache';
import { c0Name, cNName, h0Name, hNName, hSeqName, LOGITS_OUTPUT } from '../../src/engine/onnx/onnxNames';
import { tempDir } from './support/tempDir';
import { TINY_VOCAB, exportModel, maxAbsDiff, randomModel, randomState, runPython, tinySpec, toOnnxState } from './support/onnxModels';

const dir = tempDir('rnnlab-onnx-parity-');
const caseDir = path.join(dir, 'cases');
fs.mkdirSync(caseDir);
const TOL = 1e-4;
const BATCH = 2;
const TIME = 7;
const worst = { logits: 0, state: 0, sequence: 0 };

before(async () => {
  await initBackend('wasm');
});
after(() => releaseAll());

let seed = 0;
for (const cell of CELL_TYPES) {
  for (const layers of [1, 2, 3]) {
    for (const embedding of [0, 3]) {
      for (const bidirectional of [false, true]) {
        const name = `${cell}-${layers}-${embedding ? 'embedding' : 'onehot'}-${bidirectional ? 'bi' : 'uni'}`;
        const caseSeed = ++seed;
        test(`${name}: onnxruntime gives tfjs's logits, final states and hidden sequences${bidirectional ? '' : '; greedy generation from the .onnx alone equals tfjs'}`, async () => {
          const spec = tinySpec(cell, layers, embedding, bidirectional);
          const D = bidirectional ? 2 : 1;
          const model = randomModel(spec, caseSeed);
          const file = path.join(caseDir, `${name}.onnx`);
          await exportModel(model, file);

          const rng = new SeededRandom(caseSeed);
          const ids = Array.from({ length: BATCH * TIME }, () => rng.nextInt(spec.vocabSize)); // <unk> (0) included
          const initial = randomState(spec, BATCH, rng);
          const expected = tf.tidy(() => {
            const r = model.forward(tf.tensor2d(ids, [BATCH, TIME], 'int32'), initial.state);
            return {
              logits: r.logits.dataSync().slice(),
              h: r.finalState.h.map((t) => t.dataSync().slice() as Float32Array),
              c: (r.finalState.c ?? []).map((t) => t.dataSync().slice() as Float32Array),
              seq: r.layerOutputs.map((t) => t.dataSync().slice()),
            };
          });
          disposeState(initial.state);

          const lm = await OnnxLanguageModel.open(file);
          const ort = await import('onnxruntime-node');
          const dims = [D, BATCH, spec.hidden];
          const h0 = initial.h.map((v) => toOnnxState(v, BATCH, spec.hidden, D));
          const c0 = initial.c.map((v) => toOnnxState(v, BATCH, spec.hidden, D));
          const out = await lm.run(
            ids,
            BATCH,
            TIME,
            { h: h0.map((v) => new ort.Tensor('float32', v, dims)), c: c0.map((v) => new ort.Tensor('float32', v, dims)) },
            { sequences: true },
          );

          const logitsDiff = maxAbsDiff(out.logits, expected.logits);
          let stateDiff = 0;
          let seqDiff = 0;
          for (let l = 0; l < layers; l++) {
            stateDiff = Math.max(stateDiff, maxAbsDiff(out.state.h[l].data as Float32Array, toOnnxState(expected.h[l], BATCH, spec.hidden, D)));
            if (cell === 'lstm')
              stateDiff = Math.max(stateDiff, maxAbsDiff(out.state.c[l].data as Float32Array, toOnnxState(expected.c[l], BATCH, spec.hidden, D)));
            seqDiff = Math.max(seqDiff, maxAbsDiff(out.sequences![l], expected.seq[l]));
          }
          worst.logits = Math.max(worst.logits, logitsDiff);
          worst.state = Math.max(worst.state, stateDiff);
          worst.sequence = Math.max(worst.sequence, seqDiff);
          assert.ok(logitsDiff <= TOL, `logits differ by ${logitsDiff}`);
          assert.ok(stateDiff <= TOL, `final states differ by ${stateDiff}`);
          assert.ok(seqDiff <= TOL, `hidden sequences differ by ${seqDiff}`);

          // The inputs and onnxruntime's outputs, for the PyTorch check below.
          const entry = (data: Float32Array, d: number[]) => ({ dims: d, data: Array.from(data) });
          const inputs: Record<string, unknown> = {};
          const outputs: Record<string, unknown> = { [LOGITS_OUTPUT]: entry(out.logits, [BATCH, TIME, spec.vocabSize]) };
          for (let l = 0; l < layers; l++) {
            inputs[h0Name(l)] = entry(h0[l], dims);
            outputs[hNName(l)] = entry(out.state.h[l].data as Float32Array, dims);
            outputs[hSeqName(l)] = entry(out.sequences![l], [BATCH, TIME, D * spec.hidden]);
            if (cell === 'lstm') {
              inputs[c0Name(l)] = entry(c0[l], dims);
              outputs[cNName(l)] = entry(out.state.c[l].data as Float32Array, dims);
            }
          }
          const tokens = Array.from({ length: BATCH }, (_, b) => ids.slice(b * TIME, (b + 1) * TIME));
          fs.writeFileSync(path.join(caseDir, `${name}.json`), JSON.stringify({ model: path.basename(file), tokens, inputs, outputs }));
          lm.close();

          if (!bidirectional) {
            const options = { prime: 'ab d', length: 30, temperature: 0 };
            const fromTfjs = sampleText(model, TINY_VOCAB, options);
            const fromOnnx = await generate(file, options);
            assert.deepEqual(fromOnnx.texts, [fromTfjs], 'greedy text');
            assert.equal(fromOnnx.tokens, 30);
          }
          model.dispose();
        });
      }
    }
  }
}

test('the largest differences over the whole matrix stay within 1e-4', () => {
  // Printed so the numbers can be quoted; each case above already asserted them.
  console.log(
    `onnx parity, max |onnxruntime − tfjs|: logits ${worst.logits.toExponential(2)}, final states ${worst.state.toExponential(2)}, ` +
      `hidden sequences ${worst.sequence.toExponential(2)}`,
  );
  assert.ok(worst.logits <= TOL && worst.state <= TOL && worst.sequence <= TOL);
});

test("Debian python3-onnx's checker (full_check) accepts every exported file", () => {
  const files = fs
    .readdirSync(caseDir)
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => path.join(caseDir, f));
  assert.equal(files.length, 36);
  const r = runPython('test/fixtures/onnx/check_models.py', files);
  assert.ok(r.verdict, `no verdict from the checker: ${r.stderr}`);
  assert.deepEqual(r.verdict.failures, [], JSON.stringify(r.verdict.failures));
  assert.equal(r.verdict.checked, 36);
  assert.equal(r.status, 0);
  console.log(`onnx ${r.verdict.onnx} checker: ${r.verdict.checked} files accepted`);
});

test("PyTorch rebuilt from the ONNX initializers reproduces onnxruntime's outputs to 1e-4", () => {
  const r = runPython('test/fixtures/torch/onnx_to_torch.py', [caseDir, String(TOL)]);
  assert.ok(r.verdict, `no verdict from the PyTorch check: ${r.stderr}`);
  assert.deepEqual(r.verdict.failures, [], JSON.stringify(r.verdict.failures));
  assert.equal(r.verdict.cases, 36);
  assert.equal(r.status, 0);
  console.log(
    `torch ${r.verdict.torch}: ${r.verdict.cases} models, max |torch − onnxruntime| ${Number(r.verdict.maxDiff).toExponential(2)} (${r.verdict.worst})`,
  );
});
