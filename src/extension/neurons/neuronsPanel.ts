import * as vscode from 'vscode';
import { parseNeuronsMessage, type HostToNeurons, type NeuronsToHost } from '../../protocol/neuronsView';
import { showWebviewApp, webviewOptions } from '../webview/webviewPage';

/**
 * The Neurons view: an editor-area webview panel, opened beside the source
 * file it describes. A panel rather than a side-bar view because its table
 * (features × five neurons), the coloured text and the plots want width, and
 * beside the editor a span clicked in the view is revealed next to it.
 *
 * Only the plumbing lives here: the page, validation of what it posts, and
 * holding messages until the page has said `ready` (the page is dropped when
 * the panel is hidden and loads again when shown). What to show is decided by
 * NeuronsController.
 */
export class NeuronsPanel implements vscode.Disposable {
  static readonly viewType = 'rnnLab.neurons';

  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  /** Opens a new panel beside the active editor, leaving the focus in the editor. */
  static create(extensionUri: vscode.Uri, handlers: NeuronsPanelHandlers): NeuronsPanel {
    const panel = vscode.window.createWebviewPanel(
      NeuronsPanel.viewType,
      'RNN Lab: Neurons',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(extensionUri),
    );
    return new NeuronsPanel(panel, extensionUri, handlers);
  }

  /** Takes over a panel VS Code restored after a reload (registerWebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: NeuronsPanelHandlers): NeuronsPanel {
    panel.webview.options = webviewOptions(extensionUri);
    return new NeuronsPanel(panel, extensionUri, handlers);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly handlers: NeuronsPanelHandlers,
  ) {
    const webview = panel.webview;
    showWebviewApp(webview, extensionUri, 'neurons', 'RNN Lab: Neurons');
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icons', 'rnn-lab.svg');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => {
        // A hidden panel's page is gone: what is posted meanwhile would be lost, so wait for its next `ready`.
        if (!panel.visible) this.ready = false;
      }),
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
    );
  }

  /** The page has loaded and asked for its content. */
  get isLoaded(): boolean {
    return this.ready;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  reveal(): void {
    this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
  }

  /** Posts when the page is there; otherwise the controller sends it all again on `ready`. */
  post(message: HostToNeurons): void {
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(message);
  }

  private receive(message: unknown): void {
    const m = parseNeuronsMessage(message);
    if (!m) {
      this.handlers.log.warn('ignored a malformed message from the Neurons view');
      return;
    }
    if (m.type === 'ready') this.ready = true;
    this.handlers.onMessage(m);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ready = false;
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
    this.panel.dispose();
    this.handlers.onDispose();
  }
}

export interface NeuronsPanelHandlers {
  onMessage(message: NeuronsToHost): void;
  onDispose(): void;
  log: vscode.LogOutputChannel;
}
