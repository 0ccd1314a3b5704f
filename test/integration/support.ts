/** Helpers shared by the integration suites (not a test file: the runners load only *.test.js). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Lab } from '../../src/extension/lab';
import type { EngineEvent } from '../../src/protocol/engine';

/** The extension's API object (activating it if needed). */
export function lab(): Promise<Lab> {
  return vscode.extensions.getExtension<Lab>('rnn-lab.rnn-lab')!.activate() as Promise<Lab>;
}

/** Arguments of `rnnLab.train` for a run that trains in seconds on the fixture workspace. */
export function tinyTraining(model: Record<string, number> = {}, training: Record<string, number> = {}) {
  return {
    preset: 'quick-lstm-1x64',
    files: 'workspace',
    model: { hidden: 16, ...model },
    training: { steps: 12, seqLength: 16, batchSize: 4, evalEvery: 6, sampleEvery: 6, checkpointEvery: 6, ...training },
  };
}

/** Trains a run to the end (which writes its model.onnx) and returns its folder. */
export async function trainTinyRun(l: Lab, args = tinyTraining()): Promise<string> {
  const finished = new Promise<EngineEvent>((resolve) => {
    const sub = l.training.onEngineEvent((e) => e.event === 'finished' && (sub.dispose(), resolve(e)));
  });
  const runDir = await vscode.commands.executeCommand<string | undefined>('rnnLab.train', args);
  assert.ok(runDir, 'Train Model… returned a run folder');
  const end = await finished;
  assert.equal(end.event === 'finished' && end.status, 'completed');
  return runDir;
}

/** Polls until `condition` holds. */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The next engine event that satisfies `predicate`, or an error after `timeoutMs`. */
export function waitForEngineEvent(l: Lab, predicate: (e: EngineEvent) => boolean, timeoutMs = 120_000): Promise<EngineEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error('timed out waiting for an engine event'));
    }, timeoutMs);
    const sub = l.training.onEngineEvent((e) => {
      if (predicate(e)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(e);
      }
    });
  });
}
