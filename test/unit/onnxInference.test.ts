/**
 * Inference from exported models: generation and scoring behaviour, the
 * session cache, the trainer's export, and bad input (each a clear error,
 * never a crash).
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { DEFAULT_MODEL, DEFAULT_TRAINING } from '../../src/core/spec';
import { RUN_FILES } from '../../src/core/runFormat';
import { UNK_TEXT } from '../../src/core/vocabulary';
import { SampleError, sampleText } from '../../src/engine/sampler';
import { startTraining } from '../../src/engine/training/trainingRun';
import { generate } from '../../src/engine/inference/generate';
import { scoreText } from '../../src/engine/inference/score';
import { OnnxLanguageModel } from '../../src/engine/inference/onnxLanguageModel';
import { acquireSession, cachedSessionCount, configureSessionCache, releaseAll } from '../../src/engine/inference/sessionCache';
import { exportRunToOnnx } from '../../src/engine/onnx/onnxExport';
import { readRnnLabModelFile } from '../../src/engine/onnx/onnxMetadata';
import { OnnxModelError } from '../../src/engine/onnx/onnxModelError';
import { TINY_VOCAB, exportModel, randomModel, tinySpec } from './support/onnxModels';
import { tempDir, writeTinyCorpus } from './support/tempDir';

const dir = tempDir('rnnlab-onnx-inference-');
const lstmFile = path.join(dir, 'lstm.onnx');
const gruFile = path.join(dir, 'gru-embedding.onnx');
const biFile = path.join(dir, 'bidirectional.onnx');
let lstm: ReturnType<typeof randomModel>;

before(async () => {
  await initBackend('wasm');
  lstm = randomModel(tinySpec('lstm', 2, 0, false, 8), 11);
  await exportModel(lstm, lstmFile);
  const gru = randomModel(tinySpec('gru', 1, 4, false, 6), 12);
  await exportModel(gru, gruFile);
  gru.dispose();
  const bi = randomModel(tinySpec('rnn', 1, 0, true), 13);
  await exportModel(bi, biFile);
  bi.dispose();
});
after(async () => {
  lstm.dispose();
  await releaseAll();
});

test('generation streams its pieces in order, and they make up the returned text', async () => {
  const pieces: string[] = [];
  const result = await generate(lstmFile, { length: 40, temperature: 1, seed: 3 }, (p) => pieces.push(...p));
  assert.equal(pieces.length, 40);
  assert.deepEqual([pieces.join('')], result.texts);
  assert.equal(result.tokens, 40);
  assert.equal(result.stopped, false);
  assert.ok(result.charsPerSec > 0);
});

test('a seed gives the same text as the tfjs sampler at any temperature, and another seed another text', async () => {
  const options = { prime: 'abc', length: 60, temperature: 0.9, topK: 4, seed: 7 };
  const [onnxText] = (await generate(lstmFile, options)).texts;
  assert.equal(onnxText, sampleText(lstm, TINY_VOCAB, options));
  assert.notEqual((await generate(lstmFile, { ...options, seed: 8 })).texts[0], onnxText);
});

test('a prime with characters outside the vocabulary is fed as <unk>, and <unk> is never emitted', async () => {
  const options = { prime: 'zz€😀 ab', length: 80, temperature: 100, seed: 1 }; // the hottest allowed: nearly uniform
  const result = await generate(lstmFile, options);
  assert.equal(result.tokens, 80);
  assert.ok(!result.texts[0].includes(UNK_TEXT), 'no <unk> in the output');
  assert.equal(result.texts[0], sampleText(lstm, TINY_VOCAB, options));
});

test('temperature 0 is greedy and repeatable; negative, huge or NaN temperatures are refused', async () => {
  const a = await generate(lstmFile, { length: 30, temperature: 0 });
  const b = await generate(lstmFile, { length: 30, temperature: 0, seed: 99 });
  assert.deepEqual(a.texts, b.texts, 'greedy does not depend on the seed');
  for (const temperature of [-1, 101, 1e9, NaN]) {
    await assert.rejects(
      generate(lstmFile, { length: 5, temperature }),
      (e: Error) => e instanceof SampleError && /temperature must be from 0 to 100/.test(e.message),
    );
  }
});

test('length 0 gives an empty text; 10,000,000 is refused before any work', async () => {
  const empty = await generate(lstmFile, { length: 0, temperature: 1 });
  assert.deepEqual({ texts: empty.texts, tokens: empty.tokens, stopped: empty.stopped }, { texts: [''], tokens: 0, stopped: false });
  await assert.rejects(generate(lstmFile, { length: 10_000_000, temperature: 1 }), /length must be an integer from 0 to 1000000; got 10000000/);
  await assert.rejects(generate(lstmFile, { length: 2.5, temperature: 1 }), SampleError);
});

test('an abort signal stops generation after the current token and returns what was made', async () => {
  const controller = new AbortController();
  let n = 0;
  const result = await generate(lstmFile, { length: 10_000, temperature: 1 }, () => ++n === 5 && controller.abort(), controller.signal);
  assert.equal(result.stopped, true);
  assert.equal(result.tokens, 5);
  assert.equal([...result.texts[0]].length, 5);
});

test('a bidirectional model refuses to generate or score, with the reason', async () => {
  await assert.rejects(generate(biFile, { length: 5, temperature: 1 }), (e: Error) => e instanceof OnnxModelError && /bidirectional/.test(e.message));
  await assert.rejects(scoreText(biFile, 'abc'), /bidirectional/);
});

test("scoring gives tfjs's cross-entropy in bits per character, whatever the window", async () => {
  const text = 'abc de\nab cd e\nbad cab\n';
  const ids = Array.from(TINY_VOCAB.encode(text));
  const inputs = [TINY_VOCAB.idOf('\n'), ...ids.slice(0, -1)];
  const nats = tf.tidy(() => {
    const logits = lstm.forward(tf.tensor2d([inputs], [1, inputs.length], 'int32'), undefined).logits;
    const logProbs = tf.logSoftmax(logits).arraySync();
    return ids.reduce((sum, target, t) => sum - logProbs[t][target], 0);
  });
  const expected = nats / Math.LN2 / [...text].length;
  for (const window of [1, 3, 256]) {
    const r = await scoreText(lstmFile, text, { window });
    assert.ok(Math.abs(r.bitsPerChar! - expected) < 1e-4, `window ${window}: ${r.bitsPerChar} vs tfjs ${expected}`);
    assert.equal(r.tokens, ids.length);
    assert.equal(r.unknownTokens, 0);
  }
});

test('scoring leaves unknown characters out and counts them; an empty text scores nothing', async () => {
  const r = await scoreText(gruFile, 'ab€c😀d');
  assert.equal(r.unknownTokens, 2);
  assert.equal(r.chars, 4);
  assert.ok(r.bitsPerChar! > 0);
  const empty = await scoreText(gruFile, '');
  assert.deepEqual({ bpc: empty.bitsPerChar, chars: empty.chars }, { bpc: null, chars: 0 });
});

test('token ids outside the vocabulary are refused before onnxruntime sees them', async () => {
  const lm = await OnnxLanguageModel.open(lstmFile);
  try {
    await assert.rejects(lm.run([1, TINY_VOCAB.size], 1, 2), /token id 8 is outside the vocabulary \(0 to 7\)/);
    await assert.rejects(lm.run([1, -1], 1, 2), /outside the vocabulary/);
    await assert.rejects(lm.run([1, 2, 3], 1, 2), /expected 1×2 token ids/);
    assert.equal((await lm.run([1, 2], 1, 2)).logits.length, 2 * TINY_VOCAB.size, 'the model still works');
  } finally {
    lm.close();
  }
});

test('sessions are shared while in use, released when idle, and replaced when the file changes', async () => {
  await releaseAll();
  configureSessionCache({ idleMs: 30 });
  try {
    const file = path.join(dir, 'cache.onnx');
    fs.copyFileSync(lstmFile, file);
    const a = await acquireSession(file);
    const b = await acquireSession(file);
    assert.equal(a.session, b.session);
    assert.equal(cachedSessionCount(), 1);
    a.release();
    a.release(); // a second release of one lease changes nothing
    b.release();
    assert.equal(cachedSessionCount(), 1, 'kept for a while after the last release');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(cachedSessionCount(), 0, 'released once idle');

    const old = await acquireSession(file);
    fs.copyFileSync(gruFile, file); // a training rewrites model.onnx
    const fresh = await acquireSession(file);
    assert.notEqual(fresh.session, old.session);
    assert.equal(fresh.info.spec.cell, 'gru');
    old.release();
    assert.equal(cachedSessionCount(), 1, 'the outdated session goes as soon as its last user is done');
    fresh.release();
    await releaseAll();
    assert.equal(cachedSessionCount(), 0);
  } finally {
    configureSessionCache({ idleMs: 60_000 });
  }
});

test('a truncated file, random bytes and a missing file are clear errors, and the engine goes on', async () => {
  const bytes = fs.readFileSync(lstmFile);
  const truncated = path.join(dir, 'truncated.onnx');
  fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const random = path.join(dir, 'random.onnx');
  fs.writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
  const empty = path.join(dir, 'empty.onnx');
  fs.writeFileSync(empty, '');
  for (const file of [truncated, random, empty]) {
    await assert.rejects(
      generate(file, { length: 5, temperature: 1 }),
      (e: Error) => e instanceof OnnxModelError && /truncated or corrupted/.test(e.message),
      file,
    );
  }
  await assert.rejects(generate(path.join(dir, 'nope.onnx'), { length: 5, temperature: 1 }), /nope\.onnx not found/);
  assert.equal((await generate(lstmFile, { length: 5, temperature: 1 })).tokens, 5, 'a good model still works after the failures');
  assert.equal(cachedSessionCount(), 1, 'broken files leave nothing in the cache');
});

test('an .onnx made elsewhere (a valid model without RNN Lab metadata) is refused by name', async () => {
  const file = path.join(dir, 'identity.onnx');
  fs.writeFileSync(file, identityModel());
  await assert.rejects(
    generate(file, { length: 5, temperature: 1 }),
    (e: Error) => e instanceof OnnxModelError && /was not exported by RNN Lab/.test(e.message),
  );
  assert.throws(() => readRnnLabModelFile(file), /was not exported by RNN Lab/);
});

test('a training writes model.onnx at each checkpoint; exporting its last checkpoint gives the same bytes', async () => {
  const corpus = writeTinyCorpus(dir);
  const checkpoints: number[] = [];
  const started = await startTraining(
    {
      inputs: [corpus],
      model: { ...DEFAULT_MODEL, layers: 1, hidden: 16 },
      training: { ...DEFAULT_TRAINING, seqLength: 16, batchSize: 4, steps: 6, evalEvery: 3, sampleEvery: 6, checkpointEvery: 3 },
      outDir: path.join(dir, 'runs'),
      backend: 'wasm',
    },
    { onCheckpoint: (_p, step) => checkpoints.push(step) },
  );
  const outcome = await started.outcome;
  assert.equal(outcome.status, 'completed');
  assert.deepEqual(checkpoints, [0, 3, 6]);
  const file = started.run.file(RUN_FILES.onnx);
  const info = readRnnLabModelFile(file);
  assert.equal(info.step, 6);
  assert.equal(info.run, started.run.id);
  assert.deepEqual(info.spec, started.info.model);
  assert.deepEqual(info.vocab.toJSON(), started.run.readVocabulary());
  const again = path.join(dir, 'again.onnx');
  assert.deepEqual(exportRunToOnnx(started.run.dir, again), { file: again, step: 6, bytes: fs.statSync(file).size });
  assert.ok(fs.readFileSync(again).equals(fs.readFileSync(file)));
  // The run folder alone is enough to sample.
  assert.equal((await generate(started.run.dir, { length: 10, temperature: 0.5 })).tokens, 10);

  // A run whose model.onnx is missing says how to make one; a run with no checkpoint says it has none yet.
  fs.rmSync(file);
  await assert.rejects(generate(started.run.dir, { length: 5, temperature: 1 }), /has no model\.onnx yet .*rnn-lab export/);
  const bare = path.join(dir, 'runs', 'bare');
  fs.mkdirSync(bare);
  fs.copyFileSync(started.run.file(RUN_FILES.vocab), path.join(bare, RUN_FILES.vocab));
  fs.writeFileSync(path.join(bare, RUN_FILES.info), JSON.stringify({ ...started.run.readInfo(), checkpoint: undefined, status: 'running' }));
  await assert.rejects(generate(bare, { length: 5, temperature: 1 }), /run bare has no model yet/);
  assert.throws(() => exportRunToOnnx(bare), /run bare has no checkpoint yet/);
  await assert.rejects(generate(corpus, { length: 5, temperature: 1 }), /neither an RNN Lab run folder nor a \.onnx file/);
});

/** A valid one-node model (y = Identity(x)) with no metadata. */
function identityModel(): Uint8Array {
  const tensor = (name: string) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'elsewhere',
    graph: { name: 'identity', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [tensor('x')], output: [tensor('y')] },
  }).finish();
}
