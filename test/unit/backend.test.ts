/**
 * Backend selection. A process picks its tfjs backend once, so each case runs
 * in its own child process with its own tfjs.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BACKEND_JS = path.join(__dirname, '..', '..', 'src', 'engine', 'backend.js');
const ROOT = path.join(__dirname, '..', '..', '..');

/** tfjs-node (or its GPU build) is installed by the user: where it is, 'auto' must prefer it (nativeBackend.test.ts has the order). */
function tfjsNodeInstalled(): boolean {
  return ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((name) => {
    try {
      require.resolve(name, { paths: [ROOT] });
      return true;
    } catch {
      return false;
    }
  });
}

type ChildResult =
  | {
      ok: true;
      info: { name: string; simd?: boolean; matMulPatched?: boolean };
      tfBackend: string;
      second?: { ok: boolean; name?: string; error?: string; isBackendError?: boolean };
    }
  | { ok: false; error: string; isBackendError: boolean };

/** Runs initBackend(preference) in a fresh node process (then, optionally, initBackend(second)) and reports what happened. */
async function initInChild(preference: string, second?: string): Promise<ChildResult> {
  const script = `
    const backend = require(${JSON.stringify(BACKEND_JS)});
    const tf = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'engine', 'tfjs.js'))});
    const report = (r) => process.stdout.write(JSON.stringify(r));
    const failure = (err) => ({ ok: false, error: String(err && err.message), isBackendError: err instanceof backend.BackendError });
    (async () => {
      let info;
      try { info = await backend.initBackend(${JSON.stringify(preference)}); } catch (err) { return report(failure(err)); }
      const result = { ok: true, info, tfBackend: tf.getBackend() };
      ${second ? `try { const s = await backend.initBackend(${JSON.stringify(second)}); result.second = { ok: true, name: s.name }; }` : ''}
      ${second ? 'catch (err) { result.second = failure(err); }' : ''}
      report(result);
    })();
  `;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT, timeout: 120_000 });
  return JSON.parse(stdout) as ChildResult;
}

test("'auto' picks tfjs-node where it is installed, otherwise wasm with SIMD and the BatchMatMul patch", async () => {
  const r = await initInChild('auto');
  assert.ok(r.ok, `auto failed: ${!r.ok && r.error}`);
  if (tfjsNodeInstalled()) {
    assert.equal(r.info.name, 'tensorflow');
  } else {
    assert.deepEqual(r.info, { name: 'wasm', simd: true, matMulPatched: true });
  }
  assert.equal(r.tfBackend, r.info.name, 'tfjs itself runs on the reported backend');
});

test("'node' without tfjs-node installed rejects with a BackendError mentioning node (no silent fallback)", async () => {
  const r = await initInChild('node');
  if (tfjsNodeInstalled()) {
    assert.ok(r.ok && r.info.name === 'tensorflow', 'with tfjs-node installed, node gives tensorflow');
    return;
  }
  assert.equal(r.ok, false, 'a specific preference that cannot load is an error');
  assert.ok(!r.ok && r.isBackendError, 'the error is a BackendError');
  assert.match(!r.ok ? r.error : '', /\bnode\b/);
});

test("'cpu' gives the cpu backend", async () => {
  const r = await initInChild('cpu');
  assert.ok(r.ok, `cpu failed: ${!r.ok && r.error}`);
  assert.deepEqual(r.info, { name: 'cpu' });
  assert.equal(r.tfBackend, 'cpu');
});

test("'wasm' gives wasm with SIMD and the BatchMatMul patch", async () => {
  const r = await initInChild('wasm');
  assert.ok(r.ok, `wasm failed: ${!r.ok && r.error}`);
  assert.deepEqual(r.info, { name: 'wasm', simd: true, matMulPatched: true });
  assert.equal(r.tfBackend, 'wasm');
});

test('a process keeps its first backend: asking again for it or for auto returns it, asking for another is a BackendError', async () => {
  const same = await initInChild('cpu', 'cpu');
  assert.ok(same.ok && same.second?.ok && same.second.name === 'cpu');
  const auto = await initInChild('cpu', 'auto');
  assert.ok(auto.ok && auto.second?.ok && auto.second.name === 'cpu', "'auto' accepts whatever is active");
  const other = await initInChild('cpu', 'wasm');
  assert.ok(other.ok && other.second && !other.second.ok && other.second.isBackendError);
  assert.match(other.ok && other.second?.error ? other.second.error : '', /"cpu" is already active.*"wasm"/);
});
