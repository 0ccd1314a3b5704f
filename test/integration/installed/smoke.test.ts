/**
 * The package is complete: RNN Lab installed from its .vsix (code-server
 * --install-extension into a clean profile, see runTests.ts) trains a run on
 * the fused kernels, exports and samples it with onnxruntime, colours an
 * editor by a neuron and ranks neurons with tree-sitter, all from the
 * installed copy, which holds no sources, tests or other platforms' binaries.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../../../src/extension/lab';
import type { GenerateResult } from '../../../src/protocol/engine';
import type { RankNeuronsResult } from '../../../src/protocol/neurons';
import type { ActivationOverlay } from '../../../src/extension/activations/activationOverlay';
import type { RunInfo } from '../../../src/core/runFormat';
import { lab, tinyTraining, trainTinyRun } from '../support';

// out/test/integration/installed -> the repository
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => f.split(path.sep).join('/'));
}

describe('the installed package', function () {
  this.timeout(180_000);
  let extension: vscode.Extension<Lab>;
  let l: Lab;
  let runDir: string;

  before(async () => {
    extension = vscode.extensions.getExtension<Lab>('rnn-lab.rnn-lab')!;
    assert.ok(extension, 'RNN Lab is installed');
    l = await lab();
  });

  it('is the copy installed from the .vsix, not the repository', () => {
    const where = extension.extensionPath;
    assert.ok(!where.startsWith(repoRoot + path.sep), `${where} is outside the repository`);
    assert.match(path.basename(where), /^rnn-lab\.rnn-lab-\d+\.\d+\.\d+/);
    assert.equal(extension.extensionKind, vscode.ExtensionKind.Workspace);
    const manifest = extension.packageJSON as Record<string, unknown>;
    for (const key of ['scripts', 'devDependencies', 'bin']) assert.equal(manifest[key], undefined, `the packaged manifest has no ${key}`);
  });

  it('holds only what runs on this platform', () => {
    const files = filesBelow(extension.extensionPath);
    for (const needed of ['dist/extension.js', 'dist/engine.js', 'dist/fusedWorker.js', 'dist/fused.wasm', 'media/dashboard/dashboard.js', 'LICENSE.txt']) {
      assert.ok(files.includes(needed), `${needed} is in the package`);
    }
    const unwanted = files.filter((f) => /^(src|test|webview|assembly|scripts|bench|out)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
    assert.deepEqual(unwanted, [], 'no sources, tests, fixtures or source maps');
    const binaries = files.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/napi-v6/') && f.endsWith('.node'));
    assert.deepEqual(binaries, [`node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`]);
  });

  it('trains a tiny run on the fused kernels', async () => {
    runDir = await trainTinyRun(l, tinyTraining({}, { steps: 40, evalEvery: 20, sampleEvery: 20, checkpointEvery: 20 }));
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunInfo;
    assert.equal(info.status, 'completed');
    assert.equal(info.backend.training, 'fused', `trained on ${JSON.stringify(info.backend)}`);
    assert.equal(info.backend.name, 'wasm', "tfjs's wasm backend loaded its binaries from the package");
    assert.ok(fs.existsSync(path.join(runDir, 'model.onnx')), 'the run exported its model.onnx');
  });

  it('generates a sample with onnxruntime', async () => {
    const result = await vscode.commands.executeCommand<GenerateResult | undefined>('rnnLab.generateSample', { modelId: runDir, length: 40, temperature: 0 });
    assert.ok(result, 'Generate Sample… gave a result');
    assert.equal(result.tokens, 40);
    assert.equal([...result.text].length, 40);
  });

  it('colours an editor by a neuron', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const editor = await vscode.window.showTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'greeter.ts'));
    const overlay = await vscode.commands.executeCommand<ActivationOverlay | undefined>('rnnLab.showActivations', {
      modelId: runDir,
      layer: 0,
      kind: 'c',
      unit: 0,
    });
    assert.ok(overlay, 'Show Neuron Activations returned the overlay');
    const state = await overlay.whenRendered(editor.document);
    assert.equal(state.problem, undefined);
    assert.equal(state.tokens, editor.document.getText().length);
    const coloured = overlay.decorationsOf(editor)!.buckets.reduce((n, b) => n + b.length, 0);
    assert.ok(coloured > 0, 'some characters are coloured');
    await vscode.commands.executeCommand('rnnLab.hideActivations');
  });

  it('ranks neurons against tree-sitter features', async () => {
    const result = await vscode.commands.executeCommand<RankNeuronsResult | undefined>('rnnLab.showNeurons', { modelId: runDir });
    assert.ok(result, `no result: ${l.neurons.lastError}`);
    assert.equal(result.parser, 'typescript', 'the grammar loaded from the package');
    assert.ok(result.features.find((f) => f.feature === 'inComment')!.top.length > 0);
  });
});
