/**
 * The extension host must stay light and crash-proof (docs/architecture.md, "Processes"): its bundle
 * holds neither TensorFlow.js nor onnxruntime; those load in the engine.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const DIST = path.join(__dirname, '..', '..', '..', 'dist');

test('the extension-host bundle contains no tfjs and no onnxruntime, not even a require of them', () => {
  const host = fs.readFileSync(path.join(DIST, 'extension.js'), 'utf8');
  for (const forbidden of ['@tensorflow', 'tfjs', 'onnxruntime']) assert.ok(!host.includes(forbidden), `dist/extension.js mentions ${forbidden}`);
  assert.match(host, /require\("vscode"\)/, 'vscode stays external');
});

test('the engine bundle loads tfjs from node_modules and is the file the host forks', () => {
  const engine = fs.readFileSync(path.join(DIST, 'engine.js'), 'utf8');
  assert.match(engine, /require\("@tensorflow\/tfjs-core"\)/);
  assert.ok(!engine.includes('require("vscode")'), 'the engine never needs VS Code');
  const host = fs.readFileSync(path.join(DIST, 'extension.js'), 'utf8');
  assert.match(host, /dist\/engine\.js/);
});
