import * as vscode from 'vscode';
import type { RunInfo } from '../../core/runFormat';
import { parseExtraSteps, suggestedExtraSteps } from '../../core/extraSteps';

/** Asks how many more steps to train `info`'s run; undefined when the user cancels. */
export function askExtraSteps(info: RunInfo, title: string): Promise<number | undefined> {
  const { step, totalSteps } = info.progress;
  const input = vscode.window.createInputBox();
  input.title = title;
  input.value = String(suggestedExtraSteps(info));
  input.prompt =
    step < totalSteps
      ? `Steps to train after step ${step} (${totalSteps - step} finish the planned ${totalSteps}).`
      : `The run has trained all its ${totalSteps} steps. How many more? (It continues from step ${step} with the same optimizer state and data position.)`;
  return new Promise((resolve) => {
    let answer: number | undefined;
    input.onDidChangeValue((text) => {
      const parsed = parseExtraSteps(text);
      input.validationMessage = 'error' in parsed ? parsed.error : undefined;
    });
    input.onDidAccept(() => {
      const parsed = parseExtraSteps(input.value);
      if ('error' in parsed) {
        input.validationMessage = parsed.error;
        return;
      }
      answer = parsed.steps;
      input.hide();
    });
    input.onDidHide(() => {
      input.dispose();
      resolve(answer);
    });
    input.show();
  });
}
