/** Restricted Mode: generating would load a model file from the workspace, so it is refused. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../../../src/extension/lab';

describe('Samples in Restricted Mode', () => {
  it('Generate Sample… refuses without asking the engine', async () => {
    const l = await vscode.extensions.getExtension<Lab>('rnn-lab.rnn-lab')!.activate();
    const runDir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.rnnlab', 'runs', 'any');
    const result = await vscode.commands.executeCommand('rnnLab.generateSample', { modelId: runDir, length: 5 });
    assert.equal(result, undefined);
    assert.equal(l.samples.generation, undefined, 'no generation was started');
  });
});
