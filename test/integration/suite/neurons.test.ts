/**
 * The Neurons view in a real extension host: Find Neurons for Selection on a
 * string literal of greeter.ts and Show Neurons, with a run trained here, the
 * analysis done by the engine process; a clicked span is revealed in the editor.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { lab, trainTinyRun, until } from '../support';
import type { MatchSelectionResult, RankNeuronsResult } from '../../../src/protocol/neurons';

describe('Neurons view', () => {
  let runDir: string;
  let editor: vscode.TextEditor;

  before(async () => {
    runDir = await trainTinyRun(await lab());
  });

  it('Find Neurons for Selection on a string literal returns neurons and matches, and opens the Neurons view', async () => {
    const l = await lab();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'greeter.ts');
    editor = await vscode.window.showTextDocument(file);
    const text = editor.document.getText();
    const literal = "'Good morning'";
    const start = text.indexOf(literal);
    editor.selection = new vscode.Selection(editor.document.positionAt(start), editor.document.positionAt(start + literal.length));

    const result = await vscode.commands.executeCommand<MatchSelectionResult | undefined>('rnnLab.findNeuronsForSelection', { modelId: runDir });
    assert.ok(result, `no result: ${l.neurons.lastError}`);
    assert.deepEqual(result.selection, { start, end: start + literal.length }, 'a character model: the selection is already whole tokens');
    assert.equal(result.neurons.length, 5);
    for (const n of result.neurons) assert.match(n.label, /^[hc]0\[\d+\]$/);
    assert.ok(result.matches.length > 0, 'the neurons fire together somewhere else too');
    for (const m of result.matches) assert.ok(m.end <= start || m.start >= start + literal.length, 'matches lie outside the selection');
    assert.equal(result.window.totalCharacters, [...text].length);

    await until(() => l.neurons.isOpen, 'the Neurons view is open');
    await until(() => l.neurons.isLoaded, 'its page said ready (it ran under its CSP)');
    const shown = l.neurons.shown;
    assert.equal(shown.selection?.neurons.length, 5);
    assert.equal(shown.selection?.selected.preview, literal);
    assert.equal(shown.selection?.selected.line, editor.document.positionAt(start).line);
    assert.equal(shown.trace?.neuron.label, result.neurons[0].label, 'the first neuron colours the text');
    assert.equal(shown.trace?.values.length, [...text].length);
    assert.deepEqual(
      shown.trace?.highlights.find((h) => h.kind === 'selection'),
      { start, end: start + literal.length, kind: 'selection' },
    );
    assert.equal(shown.status.kind, 'idle');
  });

  it("runs from the editor's context menu, which passes the document's URI, as from the Command Palette", async () => {
    const l = await lab();
    const menu = (vscode.extensions.getExtension('rnn-lab.rnn-lab')!.packageJSON as { contributes: { menus: Record<string, { command: string }[]> } })
      .contributes.menus['editor/context'];
    assert.ok(
      menu.some((m) => m.command === 'rnnLab.findNeuronsForSelection'),
      'the context menu offers it',
    );
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'greeter.ts');
    const shown = await vscode.window.showTextDocument(file);
    const start = shown.document.getText().indexOf("'Good morning'");
    shown.selection = new vscode.Selection(shown.document.positionAt(start), shown.document.positionAt(start + 14));
    const result = await vscode.commands.executeCommand<MatchSelectionResult | undefined>('rnnLab.findNeuronsForSelection', shown.document.uri);
    assert.ok(result, `no result: ${l.neurons.lastError}`);
    assert.equal(result.neurons.length, 5);
    assert.equal(path.resolve(result.model.file), path.join(runDir, 'model.onnx'), 'the newest run, chosen without asking');
  });

  it('reveals a clicked match in the editor, and traces a chosen neuron', async () => {
    const l = await lab();
    const match = l.neurons.shown.selection!.matches[0];
    await l.neurons.handleMessage({ type: 'revealSpan', start: match.start, end: match.end });
    const active = vscode.window.activeTextEditor;
    assert.ok(active && active.document.uri.toString() === editor.document.uri.toString(), 'greeter.ts is the active editor');
    assert.equal(active.document.offsetAt(active.selection.start), match.start);
    assert.equal(active.document.offsetAt(active.selection.end), match.end);

    const other = l.neurons.shown.selection!.neurons[1];
    await l.neurons.handleMessage({ type: 'chooseNeuron', layer: other.layer, kind: other.kind, unit: other.unit });
    assert.equal(l.neurons.shown.trace?.neuron.label, other.label);
    // Choosing it there also switches the editor overlay (started on the view's model if it was off).
    await until(() => {
      const shown = l.activations.overlay?.neuron;
      return shown !== undefined && shown.layer === other.layer && shown.kind === other.kind && shown.unit === other.unit;
    }, 'the overlay shows the chosen neuron');
    await vscode.commands.executeCommand('rnnLab.hideActivations');
  });

  it('Show Neurons ranks the features of the active file (screenshot)', async () => {
    const l = await lab();
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    const result = await vscode.commands.executeCommand<RankNeuronsResult | undefined>('rnnLab.showNeurons', { modelId: runDir });
    assert.ok(result, `no result: ${l.neurons.lastError}`);
    assert.equal(result.parser, 'typescript');
    assert.deepEqual(
      result.features.map((f) => f.feature),
      [
        'inString',
        'inComment',
        'token:identifier',
        'token:keyword',
        'token:number',
        'token:punctuation',
        'token:whitespace',
        'depth',
        'indent',
        'column',
        'lineLength',
      ],
    );
    const inString = result.features.find((f) => f.feature === 'inString')!;
    assert.equal(inString.top.length, 5);
    assert.ok(
      inString.top.every((n, i) => i === 0 || n.score <= inString.top[i - 1].score),
      'best first',
    );
    assert.ok(inString.top.every((n) => n.auc !== undefined && n.score >= 0.5 && n.score <= 1));
    assert.equal(result.features.find((f) => f.feature === 'token:number')!.note, 'never true in this text');
    assert.deepEqual(
      result.gates.map((g) => g.gate),
      ['i', 'f', 'o'],
    );
    assert.equal(result.gates[0].left.length, 16);

    const shown = l.neurons.shown;
    assert.equal(shown.ranking?.features.length, 11);
    assert.equal(shown.ranking?.subject.document, 'greeter.ts');
    assert.equal(shown.selection?.subject.document, 'greeter.ts', 'the selection of the same text stays');
    assert.equal(shown.trace?.neuron.label, inString.top[0].label, 'the neuron that tracks strings best colours the text');
    await until(() => l.neurons.isLoaded, 'the page is loaded');
    await new Promise((r) => setTimeout(r, 1000));
    console.log('@@screenshot:workbench-neurons');
    await new Promise((r) => setTimeout(r, 2000));
  });

  it('says why when the model is missing, without throwing', async () => {
    const l = await lab();
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    const result = await vscode.commands.executeCommand('rnnLab.showNeurons', { modelId: `${runDir}-gone` });
    assert.equal(result, undefined);
    assert.match(l.neurons.lastError ?? '', /not found/);
    assert.equal(l.neurons.shown.status.kind, 'error');
  });
});
