/**
 * Taggers and classifiers in a real extension host (issue 13 item 6): a small
 * bidirectional tagger of code syntax classes trained from the palette through
 * Train Model…'s questions, its predictions shown over an editor; a small
 * classifier trained on a folder per class, then Classify Selection. Screenshots
 * of the overlay (with its hover) and of the classification's message.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../../../src/extension/lab';
import type { EngineEvent } from '../../../src/protocol/engine';
import type { ClassifiedFile } from '../../../src/protocol/tasks';
import type { RankNeuronsResult } from '../../../src/protocol/neurons';
import type { ActivationOverlay } from '../../../src/extension/activations/activationOverlay';
import { CODE_TAGS } from '../../../src/core/tasks/codeTags';
import { lab, until } from '../support';
import { scriptQuickInput, type Answer } from '../quickInputScript';

const label = (text: string): Answer => ({ pick: (items) => items.find((i) => i.label === text || i.label.startsWith(text)) });
const workspace = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

/** Runs Train Model… with scripted answers and waits for the training to end; returns the run folder and the titles shown. */
async function trainFromPalette(l: Lab, answers: Answer[]): Promise<{ runDir: string; titles: (string | undefined)[] }> {
  const finished = new Promise<EngineEvent>((resolve) => {
    const sub = l.training.onEngineEvent((e) => e.event === 'finished' && (sub.dispose(), resolve(e)));
  });
  const script = scriptQuickInput(answers);
  const errors: string[] = [];
  const window = vscode.window as unknown as Record<string, unknown>;
  const showError = window.showErrorMessage as (...args: unknown[]) => Thenable<unknown>;
  window.showErrorMessage = (message: string, ...rest: unknown[]) => (errors.push(message), showError(message, ...rest));
  let runDir: string | undefined;
  try {
    runDir = await vscode.commands.executeCommand<string | undefined>('rnnLab.train');
  } finally {
    script.restore();
    window.showErrorMessage = showError;
  }
  assert.ok(runDir, `the training started ${errors.join('; ')}`);
  const end = await finished;
  assert.equal(end.event === 'finished' && end.status, 'completed', end.event === 'finished' ? end.message : '');
  return { runDir, titles: script.shown.map((s) => s.title) };
}

describe('taggers and classifiers', function () {
  this.timeout(240_000);
  const dataDir = () => path.join(workspace(), 'langdata');
  /** The bidirectional tagger the first test trains (its neurons are shown by a later one). */
  let taggerRun: string | undefined;

  after(() => {
    fs.rmSync(dataDir(), { recursive: true, force: true });
    return vscode.commands.executeCommand('rnnLab.hideTaggerPredictions');
  });

  it('trains a bidirectional tagger from Train Model… and shows its predictions over the editor (screenshot)', async () => {
    const l = await lab();
    const { runDir, titles } = await trainFromPalette(l, [
      label('Tagger'),
      label('Source files: their syntax classes'),
      label('The whole workspace'),
      label('Custom…'),
      label('lstm'),
      { type: '1' },
      { type: '24' },
      { type: '32' },
      { type: '8' },
      { type: '60' },
      label('Bidirectional'),
    ]);
    assert.deepEqual(titles, [
      'RNN Lab: Train Model (1/3): task',
      'RNN Lab: Train Model (2/5): data',
      'RNN Lab: Train Model (3/5): files',
      'RNN Lab: Train Model (4/5): model',
      'RNN Lab: Train Model (5/11): cell',
      'RNN Lab: Train Model (6/11): layers',
      'RNN Lab: Train Model (7/11): hidden size',
      'RNN Lab: Train Model (8/11): window',
      'RNN Lab: Train Model (9/11): batch',
      'RNN Lab: Train Model (10/11): steps',
      'RNN Lab: Train Model (11/11): direction',
    ]);
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    assert.deepEqual(
      [info.model.task, info.model.bidirectional, info.model.layers, info.model.hidden, info.training.seqLength, info.training.batchSize, info.training.steps],
      ['tag', true, 1, 24, 32, 8, 60],
    );
    assert.equal(info.task.source, 'code-tags');
    taggerRun = runDir;

    const editor = await vscode.window.showTextDocument(vscode.Uri.file(path.join(workspace(), 'greeter.ts')));
    const overlay = await vscode.commands.executeCommand<Awaited<ReturnType<Lab['tasks']['showTagger']>>>('rnnLab.showTaggerPredictions');
    assert.ok(overlay, 'the overlay is shown (the only tagger is used)');
    await overlay.settled();
    const state = overlay.stateOf(editor.document)!;
    assert.equal(state.problem, undefined);
    const result = state.result!;
    assert.deepEqual(result.labels.slice().sort(), info.task.labels.slice().sort());
    for (const tag of ['keyword', 'identifier', 'string', 'punctuation']) assert.ok(result.labels.includes(tag), tag);
    const classes = Object.keys(state.classRanges);
    assert.ok(classes.length >= 2, `several classes are coloured: ${classes.join(', ')}`);
    for (const c of classes) assert.ok((CODE_TAGS as readonly string[]).includes(c) && c !== 'whitespace', c);
    assert.equal(result.starts.length, [...editor.document.getText()].length, 'a tag per character');
    assert.ok(state.agreement !== undefined && state.agreement > 0.3, `agreement with the parser ${state.agreement}`);
    assert.equal(state.mismatchRanges > 0, state.agreement < 1);

    // The hover at 'stranger' (a string) lists every class with its probability.
    const position = new vscode.Position(14, 24);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, position);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*Tagger\*\*/);
    for (const tag of result.labels) assert.ok(text.includes(tag.replace(/[!-/:-@[-`{-~]/g, (ch) => `\\${ch}`)), `the hover lists ${tag}`);
    editor.selection = new vscode.Selection(position, position);
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((r) => setTimeout(r, 1500));
    console.log('@@screenshot:editor-tagger');
    await new Promise((r) => setTimeout(r, 2000));
    await vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);

    await vscode.commands.executeCommand('rnnLab.hideTaggerPredictions');
    assert.equal(l.tasks.tagOverlay, undefined);
  });

  it("shows the bidirectional tagger's neurons: Show Neuron Activations on a backward neuron with the tags in its hover, and Show Neurons (screenshots)", async () => {
    assert.ok(taggerRun, 'the tagger was trained by the test before');
    const l = await lab();
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(path.join(workspace(), 'greeter.ts')));
    const overlay = await vscode.commands.executeCommand<ActivationOverlay | undefined>('rnnLab.showActivations', {
      modelId: taggerRun,
      layer: 0,
      kind: 'c',
      unit: 5,
      direction: 'backward',
    });
    assert.ok(overlay, 'the overlay opened the tagger');
    const state = await overlay.whenRendered(editor.document);
    assert.equal(state.problem, undefined);
    assert.deepEqual(overlay.neuron, { layer: 0, kind: 'c', unit: 5, direction: 'backward' });
    assert.equal(state.tokens, editor.document.getText().length, 'one token per character');
    const position = new vscode.Position(14, 24); // inside 'stranger'
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, position);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /c0←\\\[5\\\] \(layer 0, backward direction, cell state, unit 5\) = \*\*−?\d\.\d{3}\*\*/, text);
    assert.match(text, /\| tag here \| probability \|/);
    const info = JSON.parse(fs.readFileSync(path.join(taggerRun, 'run.json'), 'utf8'));
    const listed = [...text.matchAll(/\| ([a-z]+) \| (<?\d+(?:\.\d)?)% \|/g)].map((m) => m[1]);
    assert.ok(listed.length >= 3 && listed.every((tag) => info.task.labels.includes(tag)), `the tagger's classes: ${listed.join(', ')}`);
    assert.match(text, /\[c0←?\\\[\d+\\\]\]\(command:rnnLab\.pickNeuron/, 'the strongest cell states, links that show them');
    assert.doesNotMatch(text, /The text goes on with/);
    editor.selection = new vscode.Selection(position, position);
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((r) => setTimeout(r, 1500));
    console.log('@@screenshot:editor-tagger-neurons');
    await new Promise((r) => setTimeout(r, 2000));
    await vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);

    const result = await vscode.commands.executeCommand<RankNeuronsResult | undefined>('rnnLab.showNeurons', { modelId: taggerRun });
    assert.ok(result, `no result: ${l.neurons.lastError}`);
    assert.equal(result.model.directions, 2);
    assert.equal(result.model.task, 'tag');
    const inString = result.features.find((f) => f.feature === 'inString')!;
    assert.ok(inString.top.length > 0);
    const labels = result.features.flatMap((f) => f.top.map((n) => n.label));
    assert.ok(
      labels.every((label) => /^[hc]0←?\[\d+\]$/.test(label)),
      labels.join(' '),
    );
    assert.ok(
      labels.some((label) => label.includes('←')),
      `backward neurons are ranked too: ${labels.join(' ')}`,
    );
    for (const f of result.features) for (const n of f.top) assert.equal(n.direction === 'backward', n.label.includes('←'));
    await until(() => l.neurons.isLoaded, 'the page is loaded');
    await new Promise((r) => setTimeout(r, 1000));
    console.log('@@screenshot:workbench-tagger-neurons');
    await new Promise((r) => setTimeout(r, 2000));
    await vscode.commands.executeCommand('rnnLab.hideActivations');
  });

  it('trains a classifier on a folder per class from Train Model… and classifies a selection (screenshot)', async () => {
    const l = await lab();
    const source = (name: string) => fs.readFileSync(path.join(workspace(), name), 'utf8');
    for (const [language, file, ext] of [
      ['python', 'stats.py', 'py'],
      ['typescript', 'greeter.ts', 'ts'],
    ]) {
      const lines = source(file).split('\n');
      fs.mkdirSync(path.join(dataDir(), language), { recursive: true });
      for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(dataDir(), language, `example${i}.${ext}`), lines.slice(i % 8, (i % 8) + 10).join('\n'));
    }
    const { runDir, titles } = await trainFromPalette(l, [
      label('Classifier'),
      label('A folder per class…'),
      label('langdata'),
      label('Custom…'),
      label('lstm'),
      { type: '1' },
      { type: '16' },
      { type: '64' },
      { type: '8' },
      { type: '60' },
      label('Unidirectional'),
      label('Mean of the outputs'),
    ]);
    assert.equal(titles[2], 'RNN Lab: Train Model (3/6): folder');
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    assert.deepEqual([info.model.task, info.model.pooling, info.task.source], ['classify', 'mean', 'folders']);
    assert.deepEqual(info.task.labels.slice().sort(), ['python', 'typescript']);

    const editor = await vscode.window.showTextDocument(vscode.Uri.file(path.join(workspace(), 'stats.py')));
    editor.selection = new vscode.Selection(0, 0, 10, 0);
    const shown: string[] = [];
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = window.showInformationMessage as (...args: unknown[]) => Thenable<unknown>;
    window.showInformationMessage = (message: string, ...rest: unknown[]) => (shown.push(message), original(message, ...rest));
    let result: ClassifiedFile | undefined;
    try {
      result = await vscode.commands.executeCommand<ClassifiedFile | undefined>('rnnLab.classifySelection');
    } finally {
      window.showInformationMessage = original;
    }
    assert.ok(result, 'classified');
    assert.ok(['python', 'typescript'].includes(result.label));
    const total = Object.values(result.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-5, `probabilities sum to ${total}`);
    assert.equal(shown.length, 1);
    assert.match(shown[0], /^RNN Lab: the selection in stats\.py is (python|typescript) \d+\.\d%, (python|typescript) \d+\.\d% \(/);
    assert.ok(shown[0].startsWith(`RNN Lab: the selection in stats.py is ${result.label} `), 'the most likely label first');
    await new Promise((r) => setTimeout(r, 1000));
    console.log('@@screenshot:classify-selection');
    await new Promise((r) => setTimeout(r, 1500));
  });

  it('says how to train one when no classifier exists for the model asked for', async () => {
    const l = await lab();
    l.registry.scan();
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(path.join(workspace(), 'greeter.ts')));
    editor.selection = new vscode.Selection(0, 0, 3, 0);
    const lm = l.registry.all.find((r) => r.info && !r.info.model.task && fs.existsSync(path.join(r.dir, 'model.onnx')));
    if (!lm) return;
    const errors: string[] = [];
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = window.showErrorMessage as (...args: unknown[]) => Thenable<unknown>;
    window.showErrorMessage = (message: string, ...rest: unknown[]) => (errors.push(message), original(message, ...rest));
    try {
      assert.equal(await vscode.commands.executeCommand('rnnLab.classifySelection', { model: lm.dir }), undefined);
    } finally {
      window.showErrorMessage = original;
    }
    assert.match(errors[0] ?? '', /is a language model: predict needs a tagger or classifier/);
  });
});
