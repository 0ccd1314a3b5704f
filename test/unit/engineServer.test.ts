import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EngineServer } from '../../src/engine/server';
import type { EngineEvent, EngineResponse } from '../../src/protocol/engine';

/** Sends one raw message and returns what the server answered (or logged). */
async function answer(message: unknown): Promise<EngineResponse | EngineEvent> {
  const sent: (EngineResponse | EngineEvent)[] = [];
  const server = new EngineServer((m) => sent.push(m));
  await server.handle(message);
  assert.equal(sent.length, 1, 'exactly one answer');
  return sent[0];
}

test('method names inherited from Object.prototype are unknown methods, answered with an error, never called', async () => {
  for (const method of ['__proto__', '__defineGetter__', 'constructor', 'valueOf', 'toString', 'hasOwnProperty', 'isPrototypeOf']) {
    const r = await answer({ kind: 'request', id: 7, method, params: {} });
    assert.equal(r.kind, 'response', method);
    assert.equal(r.ok, false, method);
    const error = r.error;
    assert.equal(error.code, 'invalid', method);
    assert.equal(error.message, `unknown method ${JSON.stringify(method)}`);
  }
});

test('every method the protocol names has a handler: ping answers with the engine pid', async () => {
  const r = (await answer({ kind: 'request', id: 1, method: 'ping', params: {} })) as Extract<EngineResponse, { ok: true }>;
  assert.equal(r.ok, true);
  assert.equal((r.result as { pid: number }).pid, process.pid);
});
