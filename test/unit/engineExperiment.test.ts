/**
 * The engine's experiment methods as the host uses them (EngineServer, no
 * transport): members announced and finished in order, their events under
 * their own run folders, the training slot held throughout, stop and resume.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineServer } from '../../src/engine/server';
import type { EngineEvent, EngineResponse } from '../../src/protocol/engine';
import { tempDir, writeTinyCorpus } from './support/tempDir';

const dir = tempDir();
const corpus = writeTinyCorpus(dir, 40);
const TINY = { hidden: 8, seq: 16, batch: 4, evalEvery: 3, checkpointEvery: 3 };

function engine() {
  const sent: (EngineResponse | EngineEvent)[] = [];
  const waiters: { predicate: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }[] = [];
  const server = new EngineServer((m) => {
    sent.push(m);
    if (m.kind !== 'event') return;
    for (const w of [...waiters]) {
      if (!w.predicate(m)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  let id = 0;
  const request = async (method: string, params: unknown) => {
    const requestId = ++id;
    await server.handle({ kind: 'request', id: requestId, method, params });
    return sent.find((m): m is EngineResponse => m.kind === 'response' && m.id === requestId)!;
  };
  const next = (predicate: (e: EngineEvent) => boolean) => new Promise<EngineEvent>((resolve) => waiters.push({ predicate, resolve }));
  const events = () => sent.filter((m): m is EngineEvent => m.kind === 'event');
  return { request, next, events };
}

test('an experiment request trains its members in turn, announcing each; a second training is refused meanwhile', async () => {
  const { request, next, events } = engine();
  const finished = next((e) => e.event === 'experimentFinished');
  const r = await request('experiment', {
    kind: 'clipping',
    inputs: [corpus],
    outDir: path.join(dir, 'runs'),
    options: { ...TINY, steps: 6 },
    backend: 'auto',
  });
  assert.ok(r.ok, JSON.stringify(r));
  const { dir: expDir } = r.result as { dir: string };
  const busy = await request('train', {
    inputs: [corpus],
    model: { cell: 'rnn', layers: 1, hidden: 8, embedding: 0, dropout: 0, bidirectional: false },
    training: { ...(await import('../../src/core/spec')).DEFAULT_TRAINING, steps: 2 },
    outDir: path.join(dir, 'runs'),
    backend: 'auto',
  });
  assert.equal(!busy.ok && busy.error.code, 'busy');
  const end = await finished;
  assert.equal(end.event === 'experimentFinished' && end.status, 'completed');
  const members = events().filter((e): e is Extract<EngineEvent, { event: 'experimentMember' }> => e.event === 'experimentMember');
  assert.deepEqual(
    members.map((m) => [m.index, m.total, m.label, path.dirname(m.runDir) === expDir]),
    [
      [0, 3, 'norm clipping τ = 1', true],
      [1, 3, 'value clipping ±1', true],
      [2, 3, 'no clipping', true],
    ],
  );
  for (const m of members) {
    const own = events().filter((e) => 'runDir' in e && e.runDir === m.runDir && e.event !== 'experimentMember');
    assert.ok(own.some((e) => e.event === 'step'));
    assert.ok(
      own.some((e) => e.event === 'gradFlow'),
      'the probe runs in every member',
    );
    assert.equal(own.at(-1)?.event, 'finished', 'each member finishes like a run');
  }
});

test('stop during an experiment stops it as a whole; resumeExperiment finishes it', async () => {
  const { request, next } = engine();
  const second = next((e) => e.event === 'experimentMember' && e.index === 1);
  const stopped = next((e) => e.event === 'experimentFinished');
  const r = await request('experiment', {
    kind: 'vanishing',
    inputs: [corpus],
    outDir: path.join(dir, 'stop'),
    options: { ...TINY, steps: 400 },
    backend: 'auto',
  });
  assert.ok(r.ok);
  const { dir: expDir } = r.result as { dir: string };
  await second;
  const stop = await request('stop', {});
  assert.ok(stop.ok && (stop.result as { stopped: boolean }).stopped);
  const end = await stopped;
  assert.equal(end.event === 'experimentFinished' && end.status, 'cancelled');
  assert.equal(end.event === 'experimentFinished' && end.info.variants[2].runId, undefined, 'the third member never started');

  const resumedEnd = next((e) => e.event === 'experimentFinished');
  const resumed = await request('resumeExperiment', { dir: expDir, backend: 'auto' });
  assert.ok(resumed.ok, JSON.stringify(resumed));
  const final = await resumedEnd;
  assert.equal(final.event === 'experimentFinished' && final.status, 'completed');
  assert.ok(final.event === 'experimentFinished' && final.info.variants.every((v) => v.runId));
});

test('bad experiment requests are refused by the protocol check or the spec, naming the field', async () => {
  const { request } = engine();
  const outDir = path.join(dir, 'bad');
  const unknownKind = await request('experiment', { kind: 'exploding', inputs: [corpus], outDir, options: {}, backend: 'auto' });
  assert.equal(!unknownKind.ok && unknownKind.error.code, 'invalid');
  assert.match(!unknownKind.ok ? unknownKind.error.message : '', /params.kind must be one of clipping, vanishing/);
  const badOption = await request('experiment', { kind: 'clipping', inputs: [corpus], outDir, options: { hidden: 0 }, backend: 'auto' });
  assert.match(!badOption.ok ? badOption.error.message : '', /hidden must be an integer from 1 to 2048; got 0/);
  const extra = await request('experiment', { kind: 'clipping', inputs: [corpus], outDir, options: { frobnicate: 1 }, backend: 'auto' });
  assert.match(!extra.ok ? extra.error.message : '', /params.options.frobnicate is not expected/);
});
