/** Restricted Mode: the Neurons view would load a model file from the workspace, so both commands refuse. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../../../src/extension/lab';

describe('Neurons view in Restricted Mode', () => {
  it('Show Neurons and Find Neurons for Selection refuse without opening a model or the view', async () => {
    const l = await vscode.extensions.getExtension<Lab>('rnn-lab.rnn-lab')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const runDir = path.join(folder.fsPath, '.rnnlab', 'runs', 'any');
    const editor = await vscode.window.showTextDocument(vscode.Uri.joinPath(folder, 'notes.py'));
    editor.selection = new vscode.Selection(0, 0, 0, 3);
    assert.equal(await vscode.commands.executeCommand('rnnLab.showNeurons', { modelId: runDir }), undefined);
    assert.equal(await vscode.commands.executeCommand('rnnLab.findNeuronsForSelection', { modelId: runDir }), undefined);
    assert.equal(l.neurons.isOpen, false, 'the Neurons view was not opened');
    assert.equal(l.neurons.lastError, undefined, 'the engine was not asked');
  });
});
