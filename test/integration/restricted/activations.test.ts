/** Restricted Mode: the overlay would load a model file from the workspace, so it is refused. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../../../src/extension/lab';

describe('Neuron activations in Restricted Mode', () => {
  it('Show Neuron Activations refuses without opening a model', async () => {
    const l = await vscode.extensions.getExtension<Lab>('rnn-lab.rnn-lab')!.activate();
    const runDir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.rnnlab', 'runs', 'any');
    await vscode.window.showTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'notes.py'));
    const result = await vscode.commands.executeCommand('rnnLab.showActivations', { modelId: runDir, layer: 0, kind: 'h', unit: 0 });
    assert.equal(result, undefined);
    assert.equal(l.activations.overlay, undefined, 'no overlay was made');
    assert.equal(await vscode.commands.executeCommand('rnnLab.pickNeuron', 'h0[1]'), undefined, 'choosing a neuron does not start one either');
  });
});
