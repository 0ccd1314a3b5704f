import * as vscode from 'vscode';
import { createNonce, webviewHtml } from './webviewHtml';

/** The webview apps built into media/<name>/<name>.js and .css by scripts/build.mjs. */
export type WebviewApp = 'dashboard' | 'samples' | 'neurons' | 'compare';

/** Scripts on, and files only from the extension's media folder. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

/** Loads an app's page into a webview: its script and stylesheet, the codicon font, a fresh nonce. */
export function showWebviewApp(webview: vscode.Webview, extensionUri: vscode.Uri, app: WebviewApp, title: string): void {
  const media = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', ...p)).toString();
  webview.html = webviewHtml({
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: media(app, `${app}.js`),
    styleUris: [media(app, `${app}.css`)],
    codiconsUri: media('codicons', 'codicon.css'),
    title,
  });
}
