/**
 * Answers the extension's QuickPicks and InputBoxes from a script, as a user
 * would, inside the real extension host: `vscode.window.createQuickPick` and
 * `createInputBox` are replaced by stand-ins that record what was shown
 * (title, items, value, prompt) and then pick, type, press Back or Escape.
 */
import * as vscode from 'vscode';

export type Answer =
  { pick: (items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined } | { type: string } | { accept: true } | 'back' | 'escape';

export interface Shown {
  kind: 'pick' | 'input';
  title: string | undefined;
  items?: readonly vscode.QuickPickItem[];
  value?: string;
  prompt?: string;
  /** The prompt after the scripted text was typed. */
  promptAfter?: string;
}

/** Plays `answers` in order; resolves `shown` as each control appears. Restore with the returned function. */
export function scriptQuickInput(answers: Answer[]): { shown: Shown[]; restore: () => void } {
  const window = vscode.window as unknown as Record<string, unknown>;
  const original = { createQuickPick: window.createQuickPick, createInputBox: window.createInputBox };
  const shown: Shown[] = [];
  const next = () => {
    const a = answers.shift();
    if (a === undefined) throw new Error(`no scripted answer left for "${shown.at(-1)?.title}"`);
    return a;
  };
  window.createQuickPick = () => standIn('pick', shown, next);
  window.createInputBox = () => standIn('input', shown, next);
  return { shown, restore: () => Object.assign(window, original) };
}

function standIn(kind: 'pick' | 'input', shown: Shown[], next: () => Answer) {
  const accept = new vscode.EventEmitter<void>();
  const hide = new vscode.EventEmitter<void>();
  const button = new vscode.EventEmitter<vscode.QuickInputButton>();
  const change = new vscode.EventEmitter<string>();
  const control = {
    title: undefined as string | undefined,
    placeholder: undefined as string | undefined,
    prompt: undefined as string | undefined,
    value: '',
    validationMessage: undefined as string | undefined,
    items: [] as readonly vscode.QuickPickItem[],
    activeItems: [] as readonly vscode.QuickPickItem[],
    selectedItems: [] as readonly vscode.QuickPickItem[],
    buttons: [] as readonly vscode.QuickInputButton[],
    matchOnDescription: false,
    onDidAccept: accept.event,
    onDidHide: hide.event,
    onDidTriggerButton: button.event,
    onDidChangeValue: change.event,
    hide: () => hide.fire(),
    dispose: () => [accept, hide, button, change].forEach((e) => e.dispose()),
    show: () => {
      const record: Shown = { kind, title: control.title, value: control.value, prompt: control.prompt };
      if (kind === 'pick') record.items = control.items;
      shown.push(record);
      setTimeout(() => play(next(), control, record, { accept, hide, button, change }), 0);
    },
  };
  return control;
}

interface Control {
  items: readonly vscode.QuickPickItem[];
  selectedItems: readonly vscode.QuickPickItem[];
  value: string;
  prompt?: string;
  buttons: readonly vscode.QuickInputButton[];
}

interface ControlEvents {
  accept: vscode.EventEmitter<void>;
  hide: vscode.EventEmitter<void>;
  button: vscode.EventEmitter<vscode.QuickInputButton>;
  change: vscode.EventEmitter<string>;
}

function play(answer: Answer, control: Control, record: Shown, events: ControlEvents): void {
  if (answer === 'escape') return events.hide.fire();
  if (answer === 'back') {
    if (!control.buttons.includes(vscode.QuickInputButtons.Back)) throw new Error(`"${record.title}" has no Back button`);
    return events.button.fire(vscode.QuickInputButtons.Back);
  }
  if ('pick' in answer) {
    const item = answer.pick(control.items);
    if (!item) throw new Error(`nothing to pick in "${record.title}"`);
    control.selectedItems = [item];
  } else if ('type' in answer) {
    control.value = answer.type;
    events.change.fire(answer.type);
    record.promptAfter = control.prompt;
  }
  events.accept.fire();
}
