/**
 * Issue #15 items 4, 7, 8 and 10 in a real extension host: a stop that says
 * where it stopped and that the step is saved, the live step in the Runs view,
 * the progress leaving the notification once the dashboard shows the run,
 * Resume with a step count (the dashboard's path), Train More that asks, the
 * finished message with its next steps, and a sample opened in the training
 * files' language.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { lab, waitForEngineEvent } from '../support';
import { scriptQuickInput } from '../quickInputScript';

const TINY = {
  preset: 'quick-lstm-1x64',
  files: 'workspace',
  model: { hidden: 16 },
  // No evaluation or checkpoint before the stop: run.json keeps naming step 0 while the training goes on.
  training: { seqLength: 16, batchSize: 4, evalEvery: 1000, sampleEvery: 1000, checkpointEvery: 1000 },
};

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const readInfo = (runDir: string) => JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));

/** Records the information messages shown (text and actions) and answers none of them. */
function recordMessages(): { shown: { text: string; actions: string[] }[]; restore: () => void } {
  const window = vscode.window as unknown as Record<string, unknown>;
  const original = window.showInformationMessage;
  const shown: { text: string; actions: string[] }[] = [];
  window.showInformationMessage = (text: string, ...rest: unknown[]) => {
    shown.push({ text, actions: rest.filter((r): r is string => typeof r === 'string') });
    return Promise.resolve(undefined);
  };
  return { shown, restore: () => (window.showInformationMessage = original) };
}

describe('stopping, resuming and training more', () => {
  let runDir = '';

  it('a stop says "Stopped at step N (checkpoint saved)"; while training, the Runs view has the live step and the progress is in the status bar', async () => {
    const l = await lab();
    const messages = recordMessages();
    try {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const farEnough = waitForEngineEvent(l, (e) => e.event === 'step' && e.record.step >= 30);
      const finished = waitForEngineEvent(l, (e) => e.event === 'finished');
      runDir = (await vscode.commands.executeCommand<string>('rnnLab.train', { ...TINY, training: { ...TINY.training, steps: 100_000 } }))!;
      await farEnough;
      // run.json names step 0 (no checkpoint since): the Runs view shows the step the training reached.
      assert.equal(readInfo(runDir).progress.step, 0);
      await until(() => (l.registry.find(runDir)?.info?.progress.step ?? 0) >= 30);
      // The dashboard opened with the training and said ready: the notification gave way to the status bar.
      await until(() => l.training.progressLocation === 'statusBar');

      await vscode.commands.executeCommand('rnnLab.stopTraining');
      const end = await finished;
      assert.equal(end.event === 'finished' && end.status, 'cancelled');
      const info = readInfo(runDir);
      const step: number = info.progress.step;
      assert.equal(info.message, `Stopped at step ${step} (checkpoint saved)`);
      assert.ok(fs.existsSync(path.join(runDir, info.checkpoint, 'weights.bin')), 'the checkpoint of that step exists');
      assert.equal(path.basename(info.checkpoint), `step-${String(step).padStart(7, '0')}`);
      await until(() => messages.shown.some((m) => m.text.includes(`Stopped at step ${step} (checkpoint saved)`)));
      assert.deepEqual(messages.shown.find((m) => m.text.includes('Stopped at'))!.actions, ['Resume', 'Open Dashboard']);
      assert.equal(l.training.progressLocation, undefined);
      await vscode.commands.executeCommand('rnnLab.refreshRuns');
      await until(() => l.registry.find(runDir)?.info?.status === 'cancelled');
    } finally {
      messages.restore();
    }
  });

  it('Resume with a step count (what the dashboard sends) trains that many more; the finished message offers the dashboard and samples', async () => {
    const l = await lab();
    const messages = recordMessages();
    try {
      const stoppedAt: number = readInfo(runDir).progress.step;
      const finished = waitForEngineEvent(l, (e) => e.event === 'finished');
      await vscode.commands.executeCommand('rnnLab.resumeTraining', runDir, 3);
      const end = await finished;
      assert.equal(end.event === 'finished' && end.status, 'completed');
      assert.equal(readInfo(runDir).progress.step, stoppedAt + 3);
      await until(() => messages.shown.some((m) => m.text.includes('finished')));
      const done = messages.shown.find((m) => m.text.includes('finished'))!;
      assert.match(done.text, new RegExp(`finished at step ${stoppedAt + 3}\\.( Best validation loss [\\d.]+ bits per char\\.)?$`));
      assert.deepEqual(done.actions, ['Open Dashboard', 'Generate Samples']);
      // A step count that is not one is refused, not trained (and not taken as "ask").
      assert.equal(await vscode.commands.executeCommand('rnnLab.resumeTraining', runDir, -5), undefined);
      assert.equal(readInfo(runDir).progress.step, stoppedAt + 3);
    } finally {
      messages.restore();
    }
  });

  it('Train More on a finished run asks how many steps (Escape trains nothing), then trains them', async () => {
    const l = await lab();
    await vscode.commands.executeCommand('rnnLab.refreshRuns');
    await until(() => l.registry.find(runDir)?.info?.status === 'completed');
    const reached: number = readInfo(runDir).progress.step;

    const escaped = scriptQuickInput(['escape']);
    try {
      assert.equal(await vscode.commands.executeCommand('rnnLab.trainMore', runDir), undefined);
      assert.equal(escaped.shown.length, 1);
      assert.equal(escaped.shown[0].value, String(reached), 'the suggestion is the run’s step count again');
      assert.match(escaped.shown[0].prompt!, new RegExp(`trained all its ${reached} steps\\. How many more\\?`));
    } finally {
      escaped.restore();
    }
    assert.equal(readInfo(runDir).progress.totalSteps, reached, 'nothing doubled');

    const typed = scriptQuickInput([{ type: '4' }]);
    const finished = waitForEngineEvent(l, (e) => e.event === 'finished');
    try {
      assert.equal(await vscode.commands.executeCommand('rnnLab.trainMore', runDir), runDir);
    } finally {
      typed.restore();
    }
    const end = await finished;
    assert.equal(end.event === 'finished' && end.status, 'completed');
    assert.equal(readInfo(runDir).progress.step, reached + 4);
  });

  it('Open in Editor opens a sample in the language of the training files', async () => {
    const l = await lab();
    await l.samples.generate(
      { modelId: runDir, prime: 'function ', length: 20, temperature: 0.5, topK: 0, seed: 1, count: 1, precision: 'float32' },
      { runDir },
    );
    // What the view's Open in Editor button posts, handled as the view's messages are.
    await (l.samples as unknown as { handle(m: unknown): Promise<void> }).handle({ type: 'openInEditor', text: 'function f() {}\n' });
    const document = vscode.workspace.textDocuments.find((d) => d.isUntitled && d.getText() === 'function f() {}\n');
    assert.ok(document, 'the sample is open in an editor');
    // The fixture workspace has greeter.ts and stats.py: one each, the first in path order wins.
    assert.equal(document.languageId, 'typescript');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
