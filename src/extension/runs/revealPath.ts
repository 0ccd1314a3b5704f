import * as vscode from 'vscode';

/**
 * Shows a file or folder to the user. Desktop VS Code opens the OS file
 * manager (`revealFileInOS`); VS Code in a browser or on a remote has no such
 * command (the files are not on the user's machine), so there the Explorer
 * reveals it when it lies in the workspace, and otherwise its path is offered
 * to copy.
 */
export async function revealPath(fsPath: string): Promise<void> {
  const uri = vscode.Uri.file(fsPath);
  if (vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
    return;
  }
  if (vscode.workspace.getWorkspaceFolder(uri)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return;
  }
  const copy = await vscode.window.showInformationMessage(`RNN Lab: ${fsPath} is outside the workspace.`, 'Copy Path');
  if (copy) await vscode.env.clipboard.writeText(fsPath);
}
