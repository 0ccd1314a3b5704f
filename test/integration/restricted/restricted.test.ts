/**
 * Restricted Mode (an untrusted workspace): RNN Lab still trains on the
 * workspace's text, but loads no model files from it, and ignores a workspace
 * setting that would put runs outside the workspace.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { lab } from '../support';
import type { EngineEvent } from '../../../src/protocol/engine';

describe('Restricted Mode', () => {
  it('the workspace is untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('ignores a workspace runsDirectory that points outside the workspace', async () => {
    const l = await lab();
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.equal(vscode.workspace.getConfiguration('rnnLab').get('runsDirectory'), '../outside-runs', 'the setting is there');
    assert.equal(l.registry.runsDirectory, path.join(workspace, '.rnnlab', 'runs'));
  });

  it('trains on workspace text, but refuses to load the checkpoint to resume it', async () => {
    const l = await lab();
    const finished = new Promise<EngineEvent>((resolve) => {
      const sub = l.training.onEngineEvent((e) => e.event === 'finished' && (sub.dispose(), resolve(e)));
    });
    const runDir = await vscode.commands.executeCommand<string>('rnnLab.train', {
      preset: 'quick-lstm-1x64',
      files: 'workspace',
      model: { hidden: 8 },
      training: { steps: 3, seqLength: 8, batchSize: 2, evalEvery: 3, sampleEvery: 3, checkpointEvery: 3 },
    });
    assert.ok(runDir && fs.existsSync(path.join(runDir, 'run.json')));
    assert.ok(!fs.existsSync(path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '..', 'outside-runs')), 'nothing written outside');
    await finished;
    const resumed = await vscode.commands.executeCommand('rnnLab.resumeTraining', runDir);
    assert.equal(resumed, undefined, 'resume refused');
    assert.equal(l.training.current, undefined, 'no training started');
  });

  it('runs an experiment on workspace text, but refuses to load its checkpoints to resume it', async () => {
    const l = await lab();
    const stopped = new Promise<EngineEvent>((resolve) => {
      const sub = l.training.onEngineEvent((e) => e.event === 'experimentFinished' && (sub.dispose(), resolve(e)));
    });
    const firstStep = new Promise<void>((resolve) => {
      const sub = l.training.onEngineEvent((e) => e.event === 'step' && (sub.dispose(), resolve()));
    });
    const dir = await vscode.commands.executeCommand<string>('rnnLab.runExperiment', {
      kind: 'clipping',
      files: 'workspace',
      options: { steps: 1000, hidden: 8, seq: 8, batch: 2, evalEvery: 500, checkpointEvery: 500 },
    });
    assert.ok(dir && fs.existsSync(path.join(dir, 'experiment.json')));
    await firstStep;
    await vscode.commands.executeCommand('rnnLab.stopTraining');
    const end = await stopped;
    assert.equal(end.event === 'experimentFinished' && end.status, 'cancelled');
    assert.equal(await vscode.commands.executeCommand('rnnLab.resumeExperiment', dir), undefined, 'resume refused');
    assert.equal(l.training.current, undefined, 'no training started');
  });

  it('refuses a runs folder that a committed .rnnlab symlink leads outside the workspace, says why, and writes nothing there', async () => {
    const l = await lab();
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-outside-'));
    const dotRnnlab = path.join(workspace, '.rnnlab');
    fs.rmSync(dotRnnlab, { recursive: true, force: true }); // the runs of the tests above
    fs.symlinkSync(outside, dotRnnlab);
    const window = vscode.window as { showErrorMessage: (...args: unknown[]) => Thenable<unknown> };
    const original = window.showErrorMessage;
    const errors: string[] = [];
    window.showErrorMessage = async (message: unknown) => void errors.push(String(message));
    try {
      await vscode.commands.executeCommand('rnnLab.refreshRuns');
      assert.equal(l.registry.runsDirectory, undefined, 'no runs folder');
      const runDir = await vscode.commands.executeCommand('rnnLab.train', {
        preset: 'quick-lstm-1x64',
        files: 'workspace',
        model: { hidden: 8 },
        training: { steps: 3, seqLength: 8, batchSize: 2 },
      });
      assert.equal(runDir, undefined, 'no training');
      // The fixture's workspace setting (../outside-runs) is ignored, and the default it falls back to leads outside too.
      assert.match(
        errors[0],
        /no folder for runs: .* is ignored in Restricted Mode, and so does .*\.rnnlab.runs, through a symbolic link; trust the workspace/,
      );
      assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside');
    } finally {
      window.showErrorMessage = original;
      fs.rmSync(dotRnnlab, { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
      await vscode.commands.executeCommand('rnnLab.refreshRuns');
    }
    assert.equal(l.registry.runsDirectory, path.join(workspace, '.rnnlab', 'runs'), 'back to the default once the link is gone');
  });
});
