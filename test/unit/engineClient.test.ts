/**
 * The engine process as the extension host sees it: the bundled dist/engine.js
 * forked by EngineClient, typed requests, streamed events, a killed engine.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient, EngineExitedError, EngineRequestError, type EngineExit } from '../../src/extension/engine/engineClient';
import type { EngineEvent, TrainParams } from '../../src/protocol/engine';
import { DEFAULT_MODEL, DEFAULT_TRAINING } from '../../src/core/spec';
import { tempDir, writeTinyCorpus } from './support/tempDir';

const ENGINE = path.join(__dirname, '..', '..', '..', 'dist', 'engine.js');
const dir = tempDir();
const corpus = writeTinyCorpus(dir);
const client = new EngineClient(ENGINE);
after(() => client.dispose());

function params(steps: number): TrainParams {
  return {
    inputs: [corpus],
    model: { ...DEFAULT_MODEL, layers: 1, hidden: 16 },
    training: { ...DEFAULT_TRAINING, seqLength: 16, batchSize: 4, steps, evalEvery: 5, sampleEvery: 5, checkpointEvery: 5 },
    outDir: path.join(dir, 'runs'),
    backend: 'wasm',
  };
}

function nextEvent(predicate: (e: EngineEvent) => boolean): Promise<EngineEvent> {
  return new Promise((resolve) => {
    const sub = client.onEvent((e) => {
      if (predicate(e)) {
        sub.dispose();
        resolve(e);
      }
    });
  });
}

test('ping answers from a separate process', async () => {
  const pong = await client.request('ping', {});
  assert.notEqual(pong.pid, process.pid);
  assert.ok(Math.abs(pong.time - Date.now()) < 5000);
});

test('a malformed request is refused with a reason, and the engine keeps serving', async () => {
  const bad = { ...params(5), model: { ...params(5).model, cell: 'transformer' } } as unknown as TrainParams;
  await assert.rejects(
    client.request('train', bad),
    (err: Error) => err instanceof EngineRequestError && err.code === 'invalid' && /cell must be one of/.test(err.message),
  );
  await assert.rejects(client.request('train', { ...params(5), model: { ...params(5).model, hidden: 0 } }), /hidden must be an integer/);
  assert.ok((await client.request('ping', {})).pid > 0);
});

test('training streams step, eval, sample and finished events and writes its run folder', async () => {
  const steps: number[] = [];
  const kinds = new Set<string>();
  const sub = client.onEvent((e) => {
    kinds.add(e.event);
    if (e.event === 'step') steps.push(e.record.step);
  });
  const finished = nextEvent((e) => e.event === 'finished');
  const { runDir, info } = await client.request('train', params(10));
  assert.equal(info.status, 'running');
  const end = await finished;
  sub.dispose();
  assert.equal(end.event === 'finished' && end.status, 'completed');
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (const k of ['step', 'eval', 'sample', 'checkpoint', 'finished']) assert.ok(kinds.has(k), k);
  assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).status, 'completed');
});

test('a second training is refused while one runs; stop ends the first with a checkpoint', async () => {
  const finished = nextEvent((e) => e.event === 'finished');
  const firstStep = nextEvent((e) => e.event === 'step');
  const { runDir } = await client.request('train', params(100_000));
  await firstStep;
  await assert.rejects(client.request('train', params(5)), (err: Error) => err instanceof EngineRequestError && err.code === 'busy');
  const started = Date.now();
  const pong = await client.request('ping', {});
  assert.ok(Date.now() - started < 1000, 'the engine answers between training steps');
  assert.ok(pong.pid > 0);
  assert.deepEqual(await client.request('stop', { runDir }), { stopped: true });
  const end = await finished;
  assert.equal(end.event === 'finished' && end.status, 'cancelled');
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  assert.ok(fs.existsSync(path.join(runDir, info.checkpoint, 'weights.bin')));
});

test('a killed engine rejects pending work with the reason, and the next request starts a fresh one that can resume the run', async () => {
  const firstStep = nextEvent((e) => e.event === 'step');
  const { runDir } = await client.request('train', params(100_000));
  await firstStep;
  const oldPid = client.pid!;
  const exited = new Promise<EngineExit>((resolve) => {
    const sub = client.onExit((e) => {
      sub.dispose();
      resolve(e);
    });
  });
  const pending = client.request('ping', {}).catch((err: unknown) => err);
  process.kill(oldPid, 'SIGKILL');
  const exit = await exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.expected, false);
  assert.match(exit.reason, /killed \(SIGKILL\)/);
  const result = await pending;
  if (result instanceof Error) assert.ok(result instanceof EngineExitedError);

  const pong = await client.request('ping', {});
  assert.notEqual(pong.pid, oldPid, 'a new engine process');
  const finished = nextEvent((e) => e.event === 'finished');
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  await client.request('resume', { runDir, steps: (info.progress.step as number) + 3, backend: 'wasm' });
  const end = await finished;
  assert.equal(end.event === 'finished' && end.status, 'completed');
});

test("generate streams text from the run's ONNX model in pieces that add up to the result; stopGeneration ends a long one; export writes a file", async () => {
  const finished = nextEvent((e) => e.event === 'finished');
  const { runDir } = await client.request('train', params(10));
  await finished;
  assert.ok(fs.existsSync(path.join(runDir, 'model.onnx')), 'the trainer exported the model');

  const streamed = ['', '', ''];
  const sub = client.onEvent((e) => e.event === 'generated' && e.requestId === 'g1' && e.texts.forEach((t, i) => (streamed[i] += t)));
  const params1 = { requestId: 'g1', source: { runDir }, prime: 'say', length: 40, temperature: 1, topK: 0, seed: 1, count: 3 };
  const result = await client.request('generate', params1);
  sub.dispose();
  assert.equal(result.tokens, 40);
  assert.equal(result.stopped, false);
  assert.equal(result.precision, 'float32');
  assert.equal(result.texts.length, 3);
  assert.deepEqual(streamed, result.texts, 'each continuation streamed in pieces that add up to its text');
  await assert.rejects(client.request('generate', { ...params1, requestId: 'g0', count: 33 }), /count must be a whole number from 1 to 32/);

  const long = client.request('generate', {
    requestId: 'g2',
    source: { onnxFile: path.join(runDir, 'model.onnx') },
    prime: '',
    length: 1_000_000,
    temperature: 1,
    topK: 0,
    seed: 1,
  });
  await nextEvent((e) => e.event === 'generated' && e.requestId === 'g2');
  assert.deepEqual(await client.request('stopGeneration', { requestId: 'g2' }), { stopped: true });
  const stopped = await long;
  assert.equal(stopped.stopped, true);
  assert.ok(stopped.tokens < 1_000_000);

  await assert.rejects(
    client.request('generate', { requestId: 'g3', source: { runDir }, prime: '', length: 5, temperature: -1, topK: 0, seed: 1 }),
    (err: Error) => err instanceof EngineRequestError && err.code === 'invalid' && /temperature/.test(err.message),
  );
  const out = path.join(dir, 'exported.onnx');
  assert.deepEqual(await client.request('export', { runDir, out }), { file: out });
  assert.ok(fs.statSync(out).size > 1000);
});
