import * as vscode from 'vscode';

/** `<publisher>.<name>#<walkthrough id>`, as workbench.action.openWalkthrough wants it (package.json, contributes.walkthroughs). */
export const GETTING_STARTED = 'rnn-lab.rnn-lab#gettingStarted';
const OFFERED_KEY = 'rnnLab.gettingStartedOffered';

/** `RNN Lab: Get Started`: the walkthrough, beside the editor. */
export async function openGettingStarted(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', GETTING_STARTED, false);
}

/**
 * Opens the walkthrough the first time RNN Lab starts in a profile (VS Code itself opens it after an
 * install from the Extensions view, but not after `--install-extension` or for a development copy,
 * which is what `npm start` runs). Never under extension tests, whose clean profiles would see it every time.
 */
export async function offerGettingStartedOnce(context: vscode.ExtensionContext): Promise<void> {
  if (context.extensionMode === vscode.ExtensionMode.Test || context.globalState.get<boolean>(OFFERED_KEY)) return;
  await context.globalState.update(OFFERED_KEY, true);
  await openGettingStarted();
}
