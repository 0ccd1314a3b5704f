import * as vscode from 'vscode';

/** The answer of a control whose Back button was pressed (a symbol: no typed text can equal it). */
export const BACK = Symbol('back');

/** What a step did: go on, go back one step, or cancel the whole flow. */
export type StepResult = 'next' | 'back' | 'cancel';

/** One question of a flow; `applies` (default: always) leaves it out, e.g. a threshold when clipping is off. */
export interface InputStep {
  applies?(): boolean;
  ask(ui: StepUi): Promise<StepResult>;
}

/** The controls a step shows, titled "Title (3/7): name", with a Back button after the first step. */
export interface StepUi {
  pick<T extends vscode.QuickPickItem>(name: string, items: readonly T[], options?: { placeholder?: string; active?: T }): Promise<T | typeof BACK | undefined>;
  input(
    name: string,
    options: { prompt: string; value: string; validate(text: string): string | undefined; promptFor?(text: string): string },
  ): Promise<string | typeof BACK | undefined>;
}

/**
 * Runs questions one after another, as VS Code's own multi-step inputs do: a
 * step counter in the title, Back to the previous question (answers are
 * kept), Escape to cancel. Resolves true when every step went on.
 */
export async function runInputSteps(title: string, steps: readonly InputStep[]): Promise<boolean> {
  let i = 0;
  while (i < steps.length) {
    if (steps[i].applies && !steps[i].applies!()) {
      i++;
      continue;
    }
    const shown = steps.filter((s) => !s.applies || s.applies());
    const position = shown.indexOf(steps[i]);
    const result = await steps[i].ask(stepUi(`${title} (${position + 1}/${shown.length})`, position > 0));
    if (result === 'cancel') return false;
    i = result === 'next' ? i + 1 : previousStep(steps, i);
  }
  return true;
}

function previousStep(steps: readonly InputStep[], i: number): number {
  for (let j = i - 1; j >= 0; j--) if (!steps[j].applies || steps[j].applies!()) return j;
  return i;
}

function stepUi(title: string, canGoBack: boolean): StepUi {
  const buttons = canGoBack ? [vscode.QuickInputButtons.Back] : [];
  return {
    pick: (name, items, options = {}) =>
      new Promise((resolve) => {
        const quickPick = vscode.window.createQuickPick<(typeof items)[number]>();
        Object.assign(quickPick, { title: `${title}: ${name}`, placeholder: options.placeholder, items, buttons, matchOnDescription: true });
        if (options.active) quickPick.activeItems = [options.active];
        settle(quickPick, resolve, () => quickPick.selectedItems[0]);
      }),
    input: (name, options) =>
      new Promise((resolve) => {
        const box = vscode.window.createInputBox();
        Object.assign(box, { title: `${title}: ${name}`, prompt: options.prompt, value: options.value, buttons });
        box.onDidChangeValue((text) => {
          box.validationMessage = options.validate(text);
          if (options.promptFor) box.prompt = options.promptFor(text);
        });
        settle(box, resolve, () => (options.validate(box.value) === undefined ? box.value : null));
      }),
  };
}

/** Resolves with the accepted value (null keeps the input open), BACK, or undefined when dismissed. */
function settle<T>(
  input: vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox,
  resolve: (v: T | typeof BACK | undefined) => void,
  accepted: () => T | null | undefined,
): void {
  let result: T | typeof BACK | undefined;
  input.onDidTriggerButton((b) => {
    if (b === vscode.QuickInputButtons.Back) {
      result = BACK;
      input.hide();
    }
  });
  input.onDidAccept(() => {
    const value = accepted();
    if (value === null || value === undefined) return;
    result = value;
    input.hide();
  });
  input.onDidHide(() => {
    input.dispose();
    resolve(result);
  });
  input.show();
}
