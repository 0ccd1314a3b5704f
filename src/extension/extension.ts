import type * as vscode from 'vscode';

/**
 * The VS Code entry point. The extension's commands and views are not built
 * yet, so the manifest contributes nothing and activation does nothing; the
 * engine is usable today through the `rnn-lab` CLI.
 */
export function activate(_context: vscode.ExtensionContext): void {
  // Intentionally empty until the extension's contributions land.
}

export function deactivate(): void {}
