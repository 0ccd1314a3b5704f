import type * as vscode from 'vscode';
import { Lab } from './lab';

let lab: Lab | undefined;

/** Wires the extension; everything it creates is owned by `Lab` and disposed on deactivation. */
export function activate(context: vscode.ExtensionContext): Lab {
  lab = new Lab(context);
  context.subscriptions.push(lab);
  return lab;
}

export function deactivate(): void {
  lab?.dispose();
  lab = undefined;
}
