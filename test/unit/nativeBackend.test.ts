/**
 * The native backend's loading order (src/engine/backend.ts): @tensorflow/tfjs-node-gpu first,
 * then @tensorflow/tfjs-node, and the run records which one loaded. Nothing here has a GPU or
 * libtensorflow, so stand-in packages take their place in a temporary folder on NODE_PATH: one
 * registers a `tensorflow` backend with our tfjs-core (computed by tfjs's cpu kernels), one fails
 * to load as the GPU build does without CUDA, one registers nothing with our tfjs-core (a package
 * with its own copy). Each case runs in a fresh process: a process picks its backend once.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { runCli } from './support/cli';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..', '..');
const ENGINE = path.join(__dirname, '..', '..', 'src', 'engine');
const GPU = '@tensorflow/tfjs-node-gpu';
const CPU = '@tensorflow/tfjs-node';

type StandIn = 'works' | 'no-cuda' | 'own-core';

const STAND_IN_CODE: Record<StandIn, string> = {
  // The native binding's part, played by tfjs's cpu kernels under the backend name tfjs-node uses.
  works: `
    const tf = require('@tensorflow/tfjs-core');
    const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
    tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });`,
  'no-cuda': `throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');`,
  'own-core': `/* registers its backend with another copy of tfjs-core */`,
};

/** A NODE_PATH with the stand-ins (and our node_modules, where they find tfjs-core). */
function standIns(packages: Partial<Record<typeof GPU | typeof CPU, StandIn>>): string {
  const dir = tempDir('rnnlab-native-');
  for (const [name, kind] of Object.entries(packages)) {
    const pkg = path.join(dir, 'node_modules', ...name.split('/'));
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name, version: '4.22.0', main: 'index.js' }));
    fs.writeFileSync(path.join(pkg, 'index.js'), `(globalThis.__loaded ??= []).push(${JSON.stringify(name)});\n${STAND_IN_CODE[kind]}\n`);
  }
  return [path.join(dir, 'node_modules'), path.join(ROOT, 'node_modules')].join(path.delimiter);
}

interface Outcome {
  info?: { name: string; module?: string; moduleFailures?: string[] };
  error?: string;
  isBackendError?: boolean;
  loaded: string[];
  tfBackend?: string;
}

async function initWith(nodePath: string, preference: string): Promise<Outcome> {
  const script = `
    const backend = require(${JSON.stringify(path.join(ENGINE, 'backend.js'))});
    const tf = require(${JSON.stringify(path.join(ENGINE, 'tfjs.js'))});
    const report = (r) => process.stdout.write(JSON.stringify({ ...r, loaded: globalThis.__loaded ?? [] }));
    backend.initBackend(${JSON.stringify(preference)}).then(
      (info) => report({ info, tfBackend: tf.getBackend() }),
      (err) => report({ error: String(err.message), isBackendError: err instanceof backend.BackendError }),
    );
  `;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT, timeout: 120_000, env: { ...process.env, NODE_PATH: nodePath } });
  return JSON.parse(stdout) as Outcome;
}

test("'node' loads tfjs-node-gpu when it is installed, and never loads tfjs-node beside it", async () => {
  const r = await initWith(standIns({ [GPU]: 'works', [CPU]: 'works' }), 'node');
  assert.deepEqual(r.info, { name: 'tensorflow', module: GPU });
  assert.equal(r.tfBackend, 'tensorflow');
  assert.deepEqual(r.loaded, [GPU]);
});

test("'node' falls back to tfjs-node when the GPU build fails to load, and says why", async () => {
  const r = await initWith(standIns({ [GPU]: 'no-cuda', [CPU]: 'works' }), 'node');
  assert.equal(r.info?.module, CPU);
  assert.deepEqual(r.loaded, [GPU, CPU]);
  assert.equal(r.info?.moduleFailures?.length, 1);
  assert.match(r.info.moduleFailures[0], /^@tensorflow\/tfjs-node-gpu: libcudart\.so\.11\.0: cannot open shared object file/);
});

test("'node' loads tfjs-node alone when the GPU build is not installed", async () => {
  const r = await initWith(standIns({ [CPU]: 'works' }), 'node');
  assert.deepEqual(r.info, { name: 'tensorflow', module: CPU });
});

test("'auto' prefers the native GPU build over the fused kernels' wasm", async () => {
  const r = await initWith(standIns({ [GPU]: 'works' }), 'auto');
  assert.deepEqual(r.info, { name: 'tensorflow', module: GPU });
});

test("'auto' with a GPU build that fails goes on to wasm and records the failure", async () => {
  const r = await initWith(standIns({ [GPU]: 'no-cuda' }), 'auto');
  assert.equal(r.info?.name, 'wasm');
  assert.match(r.info?.moduleFailures?.[0] ?? '', /tfjs-node-gpu: libcudart/);
});

test("'node' with only a failing GPU build is a BackendError that names the failure", async () => {
  const r = await initWith(standIns({ [GPU]: 'no-cuda' }), 'node');
  assert.equal(r.isBackendError, true);
  assert.match(r.error ?? '', /node: @tensorflow\/tfjs-node-gpu: libcudart\.so\.11\.0/);
});

test("'node' with a package that registers its backend elsewhere (its own tfjs-core) says so and how to fix it", async () => {
  const r = await initWith(standIns({ [GPU]: 'own-core' }), 'node');
  assert.equal(r.isBackendError, true);
  assert.match(
    r.error ?? '',
    /tfjs-node-gpu: loaded, but registered no backend with RNN Lab's @tensorflow\/tfjs-core \(install version 4\.22\.0 beside RNN Lab\)/,
  );
});

test("'node' with neither package installed names both", async () => {
  const r = await initWith(standIns({}), 'node');
  assert.equal(r.isBackendError, true);
  assert.match(r.error ?? '', /neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/);
});

test('rnn-lab train --backend node records the GPU build in run.json and names it on stderr', () => {
  const dir = tempDir();
  const corpus = writeTinyCorpus(dir, 5);
  const out = path.join(dir, 'runs');
  const tiny = ['--layers', '1', '--hidden', '16', '--seq', '16', '--batch', '4', '--steps', '3', '--eval-every', '3', '--sample-every', '3'];
  const r = runCli(['train', corpus, ...tiny, '--backend', 'node', '--out', out], dir, 120_000, { NODE_PATH: standIns({ [GPU]: 'works', [CPU]: 'works' }) });
  assert.equal(r.code, 0, r.stderr);
  const runDir = r.stdout.trim().split('\n').pop()!;
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  assert.deepEqual(info.backend, { name: 'tensorflow', module: GPU, training: 'tfjs' });
  assert.equal(info.status, 'completed');
  assert.match(r.stderr, /backend TensorFlow\.js native \(TensorFlow C library, GPU build\)/);
});
