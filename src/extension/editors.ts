import * as path from 'path';
import * as vscode from 'vscode';

/** The editor whose text an analysis reads: the active one, else a visible one that is not an output panel. */
export function activeSourceEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme !== 'output');
}

/** A document's name for people: "greeter.ts", or an untitled buffer's "Untitled-1". */
export function documentName(document: vscode.TextDocument): string {
  return document.isUntitled ? document.uri.path : path.basename(document.uri.fsPath || document.uri.path);
}
