/**
 * Issue 5's editor overlay in a real extension host: Show Neuron Activations
 * on a run trained here colours the visible lines (the command returns the
 * overlay, whose whenRendered() resolves once the decorations of a document's
 * current version are set), the hover has the strongest neurons and the
 * next-character predictions, edits and scrolls update it, and the bad inputs:
 * an untitled buffer, characters the vocabulary lacks, an empty buffer, a
 * binary file, a model deleted while shown. Hide removes it all.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Lab } from '../../../src/extension/lab';
import { lab, tinyTraining, trainTinyRun } from '../support';
import type { ActivationOverlay, RenderState } from '../../../src/extension/activations/activationOverlay';
import { covers } from '../../../src/extension/activations/lineWindows';

function workspaceFile(name: string): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, name);
}

/** 200 steps: after fewer, every unit is saturated and the overlay is one colour. */
async function trainRun(l: Lab): Promise<string> {
  const runDir = await trainTinyRun(
    l,
    tinyTraining({ layers: 2 }, { steps: 200, seqLength: 32, batchSize: 8, evalEvery: 100, sampleEvery: 100, checkpointEvery: 100 }),
  );
  assert.ok(fs.existsSync(path.join(runDir, 'model.onnx')), 'the run exported its model.onnx');
  return runDir;
}

function visibleWindows(editor: vscode.TextEditor) {
  return editor.visibleRanges.map((r) => ({ start: r.start.line, end: r.end.line }));
}

function decoratedCount(overlay: ActivationOverlay, editor: vscode.TextEditor): number {
  const d = overlay.decorationsOf(editor);
  return d ? d.buckets.reduce((n, b) => n + b.length, 0) : 0;
}

/** The text of the overlay's hover at a position ('' when it gave none). */
async function hoverText(document: vscode.TextDocument, position: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position)) ?? [];
  return hovers
    .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)))
    .filter((text) => text.includes('RNN Lab'))
    .join('\n');
}

/** Opens an untitled buffer and shows it. */
async function untitled(content: string, language = 'typescript'): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument({ content, language });
  return vscode.window.showTextDocument(document, { preview: false });
}

/** Closes the active editor without a save prompt (untitled buffers are dirty). */
async function closeWithoutSaving(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('neuron activations in the editor', function () {
  this.timeout(180_000);
  let runDir: string;
  let overlay: ActivationOverlay;
  let editor: vscode.TextEditor;

  before(async () => {
    const t0 = performance.now();
    runDir = await trainRun(await lab());
    console.log(`      trained ${path.basename(runDir)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
  });

  after(async () => {
    await vscode.commands.executeCommand('rnnLab.hideActivations');
  });

  it('Show Neuron Activations colours the visible lines of greeter.ts with decorations from the fixed bucket types', async () => {
    editor = await vscode.window.showTextDocument(workspaceFile('greeter.ts'));
    const t0 = performance.now();
    const shown = await vscode.commands.executeCommand<ActivationOverlay | undefined>('rnnLab.showActivations', {
      modelId: runDir,
      layer: 1,
      kind: 'h',
      unit: 3,
    });
    assert.ok(shown, 'the command returned the overlay');
    overlay = shown;
    const state = await overlay.whenRendered(editor.document);
    console.log(`      first render of greeter.ts: ${(performance.now() - t0).toFixed(0)} ms (open the model, compute ${state.tokens} tokens)`);
    assert.equal(state.problem, undefined);
    assert.ok(covers(state.windows, visibleWindows(editor)), 'every visible line was computed');
    assert.equal(state.tokens, editor.document.getText().length, 'a short file: all of it (one token per character)');
    assert.deepEqual(overlay.neuron, { layer: 1, kind: 'h', unit: 3 });
    const decorations = overlay.decorationsOf(editor)!;
    assert.equal(decorations.buckets.length, 11);
    assert.ok(decoratedCount(overlay, editor) > 10, `ranges coloured: ${decorationsSummary(state)}`);
    assert.equal(decorations.buckets[5].length, 0, 'the neutral bucket is never decorated');
    for (const bucket of decorations.buckets)
      for (const r of bucket) assert.ok(r.isSingleLine && !r.isEmpty && r.end.character <= editor.document.lineAt(r.start.line).text.length);
    assert.equal(decorations.unknown.length, 0, 'the model was trained on this very file');
  });

  it('the hover shows the value, the 5 strongest neurons and the 5 likeliest next characters with probabilities', async () => {
    const position = new vscode.Position(11, 5); // "export function greet" — on the "t" of "export"
    const text = await hoverText(editor.document, position);
    assert.match(text, /h1\\\[3\\\] \(layer 1, hidden state, unit 3\) = \*\*−?\d\.\d{3}\*\* at “t”/);
    assert.match(text, /strongest neurons here/);
    assert.equal(text.match(/\[h\d\\\[\d+\\\]\]\(command:rnnLab\.pickNeuron/g)?.length, 5, 'five neurons, each a link that shows it');
    assert.match(text, /next after “t”/);
    const probabilities = [...text.matchAll(/\| (?:“[^”]*”|\*unknown character\*) \| (<?\d+(?:\.\d)?)% \|/g)].map((m) => m[1]);
    assert.equal(probabilities.length, 5, `five predictions with probabilities:\n${text}`);
    assert.match(text, /The text goes on with “␣”: \d/, 'what really follows, a space');
  });

  it('an edit updates the overlay (debounced), computing again from the edit on', async () => {
    const document = editor.document;
    const latencies: number[] = [];
    const engineSide: number[] = [];
    for (let i = 0; i < 5; i++) {
      const line = 13 + (i % 2);
      const t0 = performance.now();
      const ok = await editor.edit((e) => e.insert(new vscode.Position(line, 4), 'x'));
      assert.ok(ok);
      const state = await overlay.whenRendered(document);
      latencies.push(performance.now() - t0);
      engineSide.push(state.latencyMs);
      assert.equal(state.documentVersion, document.version);
      assert.equal(state.tokens, document.getText().length);
    }
    console.log(
      `      update after a one-character edit: median ${median(latencies).toFixed(0)} ms from the edit to decorations set ` +
        `(of which ${DEBOUNCE_NOTE}), overlay's own figure ${median(engineSide).toFixed(0)} ms`,
    );
    // The inserted characters are coloured too.
    const lineRanges = overlay
      .decorationsOf(editor)!
      .buckets.flat()
      .filter((r) => r.start.line === 13);
    assert.ok(lineRanges.length > 0);
    await vscode.commands.executeCommand('undo');
    await vscode.commands.executeCommand('undo');
    await vscode.commands.executeCommand('undo');
    await vscode.commands.executeCommand('undo');
    await vscode.commands.executeCommand('undo');
    await overlay.whenRendered(document);
    assert.equal(document.isDirty, false, 'back to the file as saved');
  });

  it('an engine killed while the overlay shows: the next update opens the text again in a new engine', async () => {
    const l = await lab();
    const pid = l.engine.pid!;
    process.kill(pid, 'SIGKILL');
    const until = Date.now() + 10_000;
    while (l.engine.pid === pid && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await editor.edit((e) => e.insert(new vscode.Position(13, 4), 'z'));
    const state = await overlay.whenRendered(editor.document);
    assert.equal(state.problem, undefined);
    assert.notEqual(l.engine.pid, pid, 'a new engine process');
    assert.equal(state.tokens, editor.document.getText().length);
    await vscode.commands.executeCommand('undo');
    await overlay.whenRendered(editor.document);
  });

  it('Choose Neuron with a label switches the overlay to that neuron', async () => {
    const switched = await vscode.commands.executeCommand<ActivationOverlay | undefined>('rnnLab.pickNeuron', 'c0[1]');
    assert.equal(switched, overlay, 'the same overlay, another neuron');
    assert.deepEqual(overlay.neuron, { layer: 0, kind: 'c', unit: 1 });
    const state = await overlay.whenRendered(editor.document);
    assert.deepEqual(state.neuron, { layer: 0, kind: 'c', unit: 1 });
    assert.match(await hoverText(editor.document, new vscode.Position(2, 4)), /c0\\\[1\\\] \(layer 0, cell state, unit 1\)/);
    await vscode.commands.executeCommand('rnnLab.pickNeuron', { layer: 1, kind: 'h', unit: 3 });
    await overlay.whenRendered(editor.document);
  });

  it('Choose Neuron by a feature of the code ranks the neurons on the file when no ranking is known, then shows the best', async () => {
    const l = await lab();
    const switched = await vscode.commands.executeCommand<ActivationOverlay | undefined>('rnnLab.pickNeuron', { feature: 'inString' });
    assert.equal(switched, overlay);
    const ranking = l.activations.knownRanking;
    assert.ok(ranking, 'a ranking was made');
    assert.equal(ranking.modelId, overlay.model.id);
    assert.equal(ranking.documentName, 'greeter.ts');
    const best = ranking.features.find((f) => f.feature === 'inString')!.top[0];
    assert.deepEqual(overlay.neuron, { layer: best.layer, kind: best.kind, unit: best.unit }, 'the neuron that tracks strings best');
  });

  it('shows the overlay and its hover (screenshot)', async () => {
    editor = await vscode.window.showTextDocument(workspaceFile('greeter.ts'));
    // A tiny model has many saturated units: show the one whose colours spread most over the file.
    let best = { unit: 0, spread: -1 };
    for (let unit = 0; unit < 16; unit++) {
      await vscode.commands.executeCommand('rnnLab.pickNeuron', `1:h:${unit}`);
      const spread = entropy((await overlay.whenRendered(editor.document)).bucketRanges);
      if (spread > best.spread) best = { unit, spread };
    }
    await vscode.commands.executeCommand('rnnLab.pickNeuron', `1:h:${best.unit}`);
    await overlay.whenRendered(editor.document);
    editor.selection = new vscode.Selection(14, 24, 14, 24); // inside 'stranger'
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((r) => setTimeout(r, 1500));
    console.log('@@screenshot:editor-activations');
    await new Promise((r) => setTimeout(r, 2000));
    await vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);
  });

  it('an untitled buffer far longer than the training sequences: the text of the buffer, the visible lines after a scroll', async () => {
    const source = editor.document.getText();
    const long = untitled(Array.from({ length: 120 }, (_, i) => `// copy ${i}\n${source}`).join('\n'));
    const buffer = await long;
    assert.equal(buffer.document.isUntitled, true);
    let state = await overlay.whenRendered(buffer.document);
    assert.equal(state.problem, undefined);
    assert.ok(decoratedCount(overlay, buffer) > 0);
    const lines = buffer.document.lineCount;
    assert.ok(lines > 2000, `${lines} lines`);
    // Scroll far down: the lines now visible get coloured (the engine computes up to them from its cached states).
    const target = lines - 40;
    const t0 = performance.now();
    buffer.revealRange(new vscode.Range(target, 0, target, 0), vscode.TextEditorRevealType.AtTop);
    const until = Date.now() + 20_000;
    while (!buffer.visibleRanges.some((r) => r.contains(new vscode.Position(target, 0)))) {
      if (Date.now() > until) assert.fail('the editor did not scroll');
      await new Promise((r) => setTimeout(r, 20));
    }
    while (!covers((state = await overlay.whenRendered(buffer.document)).windows, visibleWindows(buffer))) {
      if (Date.now() > until) assert.fail(`the visible lines ${JSON.stringify(visibleWindows(buffer))} were never computed: ${JSON.stringify(state.windows)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(
      `      scroll to line ${target} of ${lines} (${buffer.document.getText().length} characters): coloured after ${(performance.now() - t0).toFixed(0)} ms`,
    );
    const ranges = overlay.decorationsOf(buffer)!.buckets.flat();
    assert.ok(
      ranges.some((r) => r.start.line >= target),
      'decorations where the editor now shows',
    );
    assert.ok(
      ranges.every((r) => r.start.line > 100),
      'and not the top of the file any more',
    );
    assert.match(await hoverText(buffer.document, new vscode.Position(target + 5, 2)), /strongest neurons here/);
    await closeWithoutSaving();
  });

  it('characters the vocabulary lacks are marked unknown, not an error', async () => {
    const buffer = await untitled('const 名前 = "☃ λ 😀";\nconst ok = 1;\n');
    const state = await overlay.whenRendered(buffer.document);
    assert.equal(state.problem, undefined);
    const unknown = overlay.decorationsOf(buffer)!.unknown;
    const marked = unknown.map((r) => buffer.document.getText(r));
    // 名, 前, ☃, λ and 😀: five code points the vocabulary lacks.
    const seen = `${state.unknownTokens} unknown tokens of ${state.tokens} (lines ${JSON.stringify(state.windows)}), marked ${JSON.stringify(marked)}`;
    assert.ok(state.unknownTokens >= 5, seen);
    assert.ok(unknown.length >= 3);
    assert.deepEqual([unknown[0].start.character, unknown[0].end.character], [6, 8], '名前 is one unknown run');
    const hover = await hoverText(buffer.document, new vscode.Position(0, 16)); // the emoji
    assert.match(hover, /“😀” is not in the model's vocabulary/);
    await closeWithoutSaving();
  });

  it('an empty buffer: nothing to colour, and the hover says what the model expects first', async () => {
    const buffer = await untitled('');
    const state = await overlay.whenRendered(buffer.document);
    assert.equal(state.problem, undefined);
    assert.equal(state.tokens, 0);
    assert.equal(decoratedCount(overlay, buffer), 0);
    const hover = await hoverText(buffer.document, new vscode.Position(0, 0));
    assert.match(hover, /the text is empty/);
    assert.match(hover, /next at the start/);
    // Typing into it colours what is typed.
    await buffer.edit((e) => e.insert(new vscode.Position(0, 0), 'let a = 1;\n'));
    const typed = await overlay.whenRendered(buffer.document);
    assert.equal(typed.tokens, 11);
    await closeWithoutSaving();
  });

  it('a binary file is not coloured, with a clear message', async () => {
    const file = workspaceFile('overlay-test.bin');
    fs.writeFileSync(file.fsPath, Buffer.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x00, 0x01, 0x02, 0x00, 0x41, 0x42, 0x0a]));
    try {
      let document: vscode.TextDocument;
      try {
        document = await vscode.workspace.openTextDocument(file);
      } catch {
        // VS Code refuses to open a binary file as text; a user can still force it open, which is what this stands for.
        document = await vscode.workspace.openTextDocument({ content: fs.readFileSync(file.fsPath, 'latin1') });
      }
      const shownEditor = await vscode.window.showTextDocument(document, { preview: false });
      const state = await overlay.whenRendered(document);
      assert.match(state.problem ?? '', /looks binary \(it contains NUL characters\): activations are shown for text only/);
      assert.equal(decoratedCount(overlay, shownEditor), 0);
      assert.match(await hoverText(document, new vscode.Position(0, 1)), /RNN Lab\*\*: this file looks binary/);
      await closeWithoutSaving();
    } finally {
      fs.rmSync(file.fsPath, { force: true });
    }
  });

  it('a model deleted while the overlay shows it: open texts keep working, a newly opened one says the model is gone', async () => {
    const l = await lab();
    const copy = path.join(path.dirname(runDir), 'overlay-deleted-model.onnx');
    fs.copyFileSync(path.join(runDir, 'model.onnx'), copy);
    const shown = await vscode.commands.executeCommand<ActivationOverlay | undefined>('rnnLab.showActivations', {
      modelId: copy,
      layer: 0,
      kind: 'h',
      unit: 0,
    });
    assert.ok(shown && shown !== overlay, 'another model: a new overlay');
    overlay = shown;
    editor = await vscode.window.showTextDocument(workspaceFile('greeter.ts'));
    await overlay.whenRendered(editor.document);
    fs.rmSync(copy);

    await editor.edit((e) => e.insert(new vscode.Position(13, 4), 'y'));
    const edited = await overlay.whenRendered(editor.document);
    assert.equal(edited.problem, undefined, 'the engine holds the model it opened');
    assert.ok(decoratedCount(overlay, editor) > 0);
    await vscode.commands.executeCommand('undo');
    await overlay.whenRendered(editor.document);

    const buffer = await untitled('const z = 2;\n');
    const state = await overlay.whenRendered(buffer.document);
    assert.match(state.problem ?? '', /overlay-deleted-model\.onnx not found/);
    assert.equal(decoratedCount(overlay, buffer), 0);
    assert.ok(l.activations.overlay === overlay, 'the overlay stays for the texts it can show');
    await closeWithoutSaving();
  });

  it('Hide Neuron Activations removes the decorations, the hover and the status bar item', async () => {
    const l = await lab();
    const shown = await vscode.commands.executeCommand<ActivationOverlay | undefined>('rnnLab.showActivations', { modelId: runDir });
    assert.ok(shown);
    editor = await vscode.window.showTextDocument(workspaceFile('greeter.ts'));
    await shown.whenRendered(editor.document);
    assert.ok(await hoverText(editor.document, new vscode.Position(0, 3)));
    assert.equal(await vscode.commands.executeCommand('rnnLab.hideActivations'), true);
    assert.equal(l.activations.overlay, undefined);
    assert.equal(shown.decorationsOf(editor), undefined, 'nothing left applied');
    assert.equal(await hoverText(editor.document, new vscode.Position(0, 3)), '', 'no hover any more');
    assert.equal(await vscode.commands.executeCommand('rnnLab.hideActivations'), false, 'hiding twice is harmless');
  });
});

/** Shannon entropy of the ranges' spread over the buckets, in bits. */
function entropy(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  return total === 0 ? 0 : -counts.filter((c) => c > 0).reduce((h, c) => h + (c / total) * Math.log2(c / total), 0);
}

const DEBOUNCE_NOTE = '~100 ms is the debounce';

function decorationsSummary(state: RenderState): string {
  return `${state.bucketRanges.join('/')} per bucket over ${state.tokens} tokens`;
}
