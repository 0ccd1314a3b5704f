/**
 * The package is complete, and its Getting Started walkthrough works: RNN Lab
 * installed from its .vsix (code-server --install-extension into a clean
 * profile, see runTests.ts), on a copy of the sample workspace `npm start`
 * opens. The walkthrough opens on the first start; its buttons, read from the
 * packaged manifest and run as the walkthrough runs them, train a Quick LSTM on
 * the fused kernels, open the dashboard, generate a sample with onnxruntime,
 * colour an editor by a neuron and rank neurons with tree-sitter, all from the
 * installed copy, which holds no sources, tests or other platforms' binaries.
 *
 * The screenshots (test-artefacts/walkthrough-*.png) are the walkthrough's
 * images: `npm run walkthrough:images` copies them into media/walkthrough/.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../../../src/extension/lab';
import type { EngineEvent, GenerateResult } from '../../../src/protocol/engine';
import type { RankNeuronsResult } from '../../../src/protocol/neurons';
import type { ActivationOverlay } from '../../../src/extension/activations/activationOverlay';
import type { RunInfo } from '../../../src/core/runFormat';
import { lab, until } from '../support';

// out/test/integration/installed -> the repository
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

interface WalkthroughStep {
  id: string;
  description: string;
  media: { image?: string };
}

interface Button {
  command: string;
  args: unknown[];
}

/** The command links of a walkthrough step, as the walkthrough runs them: `command:ID` or `command:ID?<encoded JSON>` (an array is spread). */
function buttons(step: WalkthroughStep): Button[] {
  return [...step.description.matchAll(/\]\(command:([\w.]+)(?:\?([^)]*))?\)/g)].map((m) => {
    const args: unknown = m[2] ? JSON.parse(decodeURIComponent(m[2])) : undefined;
    return { command: m[1], args: args === undefined ? [] : Array.isArray(args) ? args : [args] };
  });
}

function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => f.split(path.sep).join('/'));
}

const tabLabels = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parts of the 1280×800 workbench (CSS pixels: x, y, width, height); the title bar names the test harness, so none shows it. */
const VIEWS = {
  workbench: [0, 35, 1280, 765],
  // The editor area's dashboard, its header and the loss and gradient-norm charts: legible at the walkthrough's image size.
  dashboardCharts: [353, 35, 927, 450],
  // The side bar with the Samples view, and the editor with the selection that primed it.
  samplesAndEditor: [0, 35, 830, 730],
  // The coloured editor and the hover (side bar closed).
  editorAndHover: [48, 35, 720, 530],
} as const;

/** Asks the launcher for a picture of part of the workbench, then leaves the workbench alone for a moment. */
async function screenshot(name: string, view: keyof typeof VIEWS = 'workbench'): Promise<void> {
  console.log(`@@screenshot:${name}:${VIEWS[view].join(',')}`);
  await sleep(1500);
}

/** Runs a command that asks in a quick pick, and takes the choice `down` rows below the first (the newest run, say). */
async function withChoice<T>(command: string, down = 0): Promise<T | undefined> {
  const running = vscode.commands.executeCommand<T | undefined>(command);
  await sleep(1000);
  for (let i = 0; i < down; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  return running;
}

describe('the installed package', function () {
  this.timeout(300_000);
  let extension: vscode.Extension<Lab>;
  let l: Lab;
  let steps: Map<string, WalkthroughStep>;
  let runDir: string;

  before(async () => {
    extension = vscode.extensions.getExtension<Lab>('rnn-lab.rnn-lab')!;
    assert.ok(extension, 'RNN Lab is installed');
    l = await lab();
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    const manifest = extension.packageJSON as { contributes: { walkthroughs: { steps: WalkthroughStep[] }[] } };
    steps = new Map(manifest.contributes.walkthroughs[0].steps.map((s) => [s.id, s]));
  });

  it('is the copy installed from the .vsix, not the repository', () => {
    const where = extension.extensionPath;
    assert.ok(!where.startsWith(repoRoot + path.sep), `${where} is outside the repository`);
    assert.match(path.basename(where), /^rnn-lab\.rnn-lab-\d+\.\d+\.\d+/);
    assert.equal(extension.extensionKind, vscode.ExtensionKind.Workspace);
    const manifest = extension.packageJSON as Record<string, unknown>;
    for (const key of ['scripts', 'devDependencies', 'bin']) assert.equal(manifest[key], undefined, `the packaged manifest has no ${key}`);
  });

  it('holds only what runs on this platform, and the images its manifest names', () => {
    const files = filesBelow(extension.extensionPath);
    const images = [...steps.values()].map((s) => s.media.image!);
    const needed = [
      'dist/extension.js',
      'dist/engine.js',
      'dist/fusedWorker.js',
      'dist/fused.wasm',
      'media/dashboard/dashboard.js',
      'media/icon.png',
      'LICENSE.txt',
    ];
    for (const file of [...needed, ...images]) assert.ok(files.includes(file), `${file} is in the package`);
    const unwanted = files.filter((f) => /^(src|test|webview|assembly|scripts|bench|out|sample)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
    assert.deepEqual(unwanted, [], 'no sources, tests, fixtures or source maps');
    const binaries = files.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/napi-v6/') && f.endsWith('.node'));
    assert.deepEqual(binaries, [`node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`]);
  });

  it('opens its Getting Started walkthrough the first time it starts (screenshot)', async () => {
    await until(() => tabLabels().includes('Welcome'), 'the walkthrough is open', 30_000);
    await screenshot('walkthrough');
  });

  it("the first step's button trains a Quick LSTM on the workspace, on the fused kernels (screenshot)", async () => {
    const [button] = buttons(steps.get('train')!);
    assert.deepEqual(button, { command: 'rnnLab.train', args: [{ preset: 'quick-lstm-1x64', files: 'workspace' }] });
    let shot: Promise<void> | undefined;
    const finished = new Promise<EngineEvent>((resolve) => {
      const sub = l.training.onEngineEvent((e) => {
        // Once the dashboard's tab shows the run and its charts have had a moment to draw: on a busy
        // machine the webview can still be blank at step 150, and the picture is the walkthrough's.
        if (e.event === 'step' && e.record.step >= 150 && !shot) {
          shot = until(() => tabLabels().some((t) => t.startsWith('RNN Lab:')), 'the dashboard shows the run')
            .then(() => sleep(1500))
            .then(() => screenshot('walkthrough-train', 'dashboardCharts'));
        }
        if (e.event === 'finished') {
          sub.dispose();
          resolve(e);
        }
      });
    });
    const started = await vscode.commands.executeCommand<string | undefined>(button.command, ...button.args);
    assert.ok(started, 'the button started a run');
    runDir = started;
    const end = await finished;
    await shot;
    assert.equal(end.event === 'finished' && end.status, 'completed');
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunInfo;
    assert.equal(info.progress.step, 300);
    assert.deepEqual([info.model.cell, info.model.layers, info.model.hidden], ['lstm', 1, 64]);
    assert.equal(info.corpus.inputs[0], vscode.workspace.workspaceFolders![0].uri.fsPath);
    assert.equal(info.backend.training, 'fused', `trained on ${JSON.stringify(info.backend)}`);
    assert.equal(info.backend.name, 'wasm', "tfjs's wasm backend loaded its binaries from the package");
    assert.ok(fs.existsSync(path.join(runDir, 'model.onnx')), 'the run exported its model.onnx');
  });

  it("the second step's button opens the dashboard of the finished run (screenshot)", async () => {
    const [button] = buttons(steps.get('dashboard')!);
    assert.deepEqual(button, { command: 'rnnLab.openDashboard', args: [] });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await withChoice(button.command);
    await until(() => tabLabels().some((t) => t.startsWith('RNN Lab:') && t.includes(path.basename(runDir))), 'the dashboard shows the run');
    await sleep(2000); // the charts draw
    await screenshot('walkthrough-dashboard', 'dashboardCharts');
  });

  it("the third step's button generates a sample from the newest run with onnxruntime, primed with the selection (screenshot)", async () => {
    const [button] = buttons(steps.get('sample')!);
    assert.deepEqual(button, { command: 'rnnLab.generateSample', args: [] });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const editor = await vscode.window.showTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'markdown.ts'));
    const line = editor.document
      .getText()
      .split('\n')
      .findIndex((t) => t.startsWith('export function slug('));
    editor.selection = new vscode.Selection(line, 0, line, 'export function '.length);
    editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenter);
    const result = await withChoice<GenerateResult>(button.command);
    assert.ok(result, 'Generate Sample… gave a result');
    assert.ok(result.tokens > 0 && result.texts.length === 1 && result.texts[0].length > 0);
    assert.deepEqual(l.samples.generation?.texts, result.texts);
    await until(() => l.samples.isVisible && l.samples.isLoaded, 'the Samples view shows it');
    await sleep(1500);
    await screenshot('walkthrough-sample', 'samplesAndEditor');
  });

  it("the fourth step's buttons colour markdown.ts by a neuron and rank its neurons against tree-sitter features (screenshot)", async () => {
    const [showActivations, showNeurons] = buttons(steps.get('neuron')!);
    assert.deepEqual(showActivations, { command: 'rnnLab.showActivations', args: [] });
    assert.deepEqual(showNeurons, { command: 'rnnLab.showNeurons', args: [] });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    const editor = await vscode.window.showTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'markdown.ts'));
    editor.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
    // The first time, it asks which neuron, below "Change model…": the first neuron offered.
    const overlay = await withChoice<ActivationOverlay>(showActivations.command, 1);
    assert.ok(overlay, 'Show Neuron Activations returned the overlay');
    const state = await overlay.whenRendered(editor.document);
    assert.equal(state.problem, undefined);
    const coloured = overlay.decorationsOf(editor)!.buckets.reduce((n, b) => n + b.length, 0);
    assert.ok(coloured > 100, `characters coloured: ${coloured}`);
    editor.selection = new vscode.Selection(24, 12, 24, 12);
    await vscode.commands.executeCommand('editor.action.showHover');
    await sleep(1500);
    await screenshot('walkthrough-neuron', 'editorAndHover');

    const result = await vscode.commands.executeCommand<RankNeuronsResult | undefined>(showNeurons.command);
    assert.ok(result, `no result: ${l.neurons.lastError}`);
    assert.equal(result.parser, 'typescript', 'the grammar loaded from the package');
    assert.ok(result.features.find((f) => f.feature === 'inString')!.top.length > 0);
    await sleep(2000);
    await screenshot('walkthrough-neurons');
    await vscode.commands.executeCommand('rnnLab.hideActivations');
  });
});
