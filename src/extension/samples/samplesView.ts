import * as vscode from 'vscode';
import { languageOfFiles } from '../training/languageGlobs';
import type { ModelSource } from '../../protocol/modelSource';
import { parseSamplesMessage, type GenerationSettings, type HostToSamples, type SamplesToHost } from '../../protocol/samples';
import { arrayOf, str } from '../../protocol/guards';
import type { RunRegistry } from '../runs/runRegistry';
import { Generation, type GenerationEngine, type GenerationOutcome } from './generation';
import { primeFromSelection } from './generateArgs';
import { onnxFileChoices, rememberFile, runModelChoices, type ModelChoice } from './modelChoices';
import { showWebviewApp, webviewOptions } from '../webview/webviewPage';

/** Said in the view, or by the command, when the workspace is not trusted. */
export const RESTRICTED_MODE_MESSAGE = 'RNN Lab does not load model files in Restricted Mode. Trust the workspace to generate samples.';

/**
 * The Samples view (RNN Lab container): pick a model, prime, settings, then text
 * streams in from the engine. The host keeps the newest generation (settings,
 * text so far, outcome) and shows it again whenever the page (re)loads, because
 * the page is dropped while the view is hidden (retainContextWhenHidden: false)
 * and whatever was posted meanwhile is lost.
 */
export class SamplesViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'rnnLab.samples';
  /** workspaceState key: .onnx files chosen with "Browse…", newest first. */
  private static readonly BROWSED_FILES_KEY = 'rnnLab.samples.onnxFiles';

  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  /** The page has said `ready`: before that, posted messages would be lost. */
  private ready = false;
  private current: Generation | undefined;
  private choices: ModelChoice[] = [];
  /** The last selection put in the prime box: focusing the view again does not overwrite the user's edits with it. */
  private lastOfferedSelection: string | undefined;
  /** The text editor last active: the view takes the focus away from it, and Insert at Cursor goes there. */
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: GenerationEngine,
    private readonly registry: RunRegistry,
    private readonly workspaceState: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      registry.onDidChange(() => this.sendModels()),
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && (this.lastEditor = editor)),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    const webview = view.webview;
    webview.options = webviewOptions(this.extensionUri);
    showWebviewApp(webview, this.extensionUri, 'samples', 'RNN Lab Samples');
    this.viewDisposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      view.onDidDispose(() => {
        if (this.view !== view) return;
        this.view = undefined;
        this.ready = false;
        this.disposeView();
      }),
    );
  }

  /** The view is shown in the side bar (for the command and the tests). */
  get isVisible(): boolean {
    return this.view?.visible === true;
  }

  /** The view's page has loaded and asked for its data. */
  get isLoaded(): boolean {
    return this.ready;
  }

  /** The newest generation, running or finished. */
  get generation(): Generation | undefined {
    return this.current;
  }

  /** Shows the view without taking the focus from the editor when it already exists. */
  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${SamplesViewProvider.viewType}.focus`);
  }

  /** Models to generate from: runs with a model.onnx, then browsed files. */
  modelChoices(): ModelChoice[] {
    this.choices = [...runModelChoices(this.registry.all), ...onnxFileChoices(this.browsedFiles())];
    return this.choices;
  }

  /**
   * Starts a generation (the newest replaces one still running) and shows it in
   * the view. Resolves when the engine has answered.
   */
  async generate(settings: GenerationSettings, source: ModelSource): Promise<GenerationOutcome> {
    if (!vscode.workspace.isTrusted) {
      this.post({ type: 'error', message: RESTRICTED_MODE_MESSAGE });
      return { kind: 'error', message: RESTRICTED_MODE_MESSAGE };
    }
    void this.current?.stop();
    const generation: Generation = new Generation(this.engine, source, settings, (texts) => {
      if (this.current === generation) this.post({ type: 'text', requestId: generation.requestId, texts });
    });
    this.current = generation;
    this.post({ type: 'started', requestId: generation.requestId, settings });
    const outcome = await generation.finished;
    if (outcome.kind === 'error') this.log.warn(`generation failed: ${outcome.message}`);
    if (this.current === generation) this.postOutcome(generation, outcome);
    return outcome;
  }

  /** Shows a file dialog for an RNN Lab .onnx file; remembers and selects the chosen one. */
  async browseOnnx(): Promise<string | undefined> {
    const runsDir = this.registry.runsDirectory;
    const picked = await vscode.window.showOpenDialog({
      title: 'RNN Lab: choose an .onnx model exported by RNN Lab',
      openLabel: 'Use Model',
      canSelectMany: false,
      filters: { 'ONNX models': ['onnx'] },
      ...(runsDir ? { defaultUri: vscode.Uri.file(runsDir) } : {}),
    });
    const file = picked?.[0]?.fsPath;
    if (!file) return undefined;
    await this.workspaceState.update(SamplesViewProvider.BROWSED_FILES_KEY, rememberFile(this.browsedFiles(), file));
    this.sendModels(file);
    return file;
  }

  /** Where the page's messages arrive (untrusted: validated first); the integration tests post the page's messages here too. */
  receive(message: unknown): void {
    const m = parseSamplesMessage(message);
    if (!m) {
      this.log.warn('ignored a malformed message from the Samples view');
      return;
    }
    void this.handle(m).catch((err: Error) => this.log.error(`Samples view: ${m.type} failed: ${err.message}`));
  }

  private async handle(m: SamplesToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendModels();
        this.offerSelection(false);
        this.replay();
        return;
      case 'generate': {
        const { type: _, ...settings } = m;
        // The view names models only by the ids it was sent: it cannot make the engine open another file.
        const choice = this.choices.find((c) => c.id === settings.modelId);
        if (!choice) this.post({ type: 'error', message: 'That model is no longer available; choose another. (A run is listed once it has a model.onnx.)' });
        else await this.generate(settings, choice.source);
        return;
      }
      case 'stop':
        await this.current?.stop();
        return;
      case 'insertAtCursor':
        return this.insertAtCursor(m.text);
      case 'openInEditor': {
        // In the language the model was trained on (TypeScript for a run on .ts files), not Plain Text.
        const source = this.current?.source;
        const files = source && 'runDir' in source ? this.registry.find(source.runDir)?.info?.corpus.files : undefined;
        const language = languageOfFiles(files ?? []);
        const document = await vscode.workspace.openTextDocument({ content: m.text, ...(language ? { language } : {}) });
        await vscode.window.showTextDocument(document, { preview: false });
        return;
      }
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        vscode.window.setStatusBarMessage('RNN Lab: sample copied', 2000);
        return;
      case 'browseOnnx':
        await this.browseOnnx();
        return;
      case 'primeFromSelection':
        this.offerSelection(true);
        return;
      case 'viewFocused':
        this.offerSelection(false);
        return;
    }
  }

  /**
   * Puts the editor selection in the prime box: on request always, otherwise
   * only a non-empty selection that differs from the one last offered.
   */
  private offerSelection(requested: boolean): void {
    const editor = this.editor();
    const selection = editor ? primeFromSelection(editor.document.getText(editor.selection)) : '';
    if (!selection) {
      if (requested) void vscode.window.showInformationMessage('RNN Lab: select some text in an editor to use it as the prime.');
      return;
    }
    if (!requested && selection === this.lastOfferedSelection) return;
    this.lastOfferedSelection = selection;
    this.post({ type: 'prime', text: selection });
  }

  /** Inserts after the selection (the prime usually came from it, so the continuation follows it). */
  private async insertAtCursor(text: string): Promise<void> {
    const editor = this.editor();
    if (!editor) {
      void vscode.window.showInformationMessage('RNN Lab: open an editor to insert the sample into.');
      return;
    }
    const at = editor.selection.end;
    if (!(await editor.edit((edit) => edit.insert(at, text))))
      void vscode.window.showWarningMessage('RNN Lab: the sample could not be inserted (is the editor read-only?).');
  }

  private editor(): vscode.TextEditor | undefined {
    const editor = vscode.window.activeTextEditor ?? this.lastEditor;
    return editor && !editor.document.isClosed ? editor : undefined;
  }

  private sendModels(selected?: string): void {
    const models = this.modelChoices().map(({ id, label, detail }) => ({ id, label, detail }));
    this.post({ type: 'models', models, ...(selected ? { selected } : {}) });
  }

  /** Shows the newest generation again to a page that just loaded. */
  private replay(): void {
    const g = this.current;
    if (!g) return;
    this.post({ type: 'started', requestId: g.requestId, settings: g.settings });
    const texts = g.texts;
    if (texts.some((t) => t.length > 0)) this.post({ type: 'text', requestId: g.requestId, texts });
    if (g.outcome) this.postOutcome(g, g.outcome);
  }

  private postOutcome(g: Generation, outcome: GenerationOutcome): void {
    if (outcome.kind === 'error') this.post({ type: 'error', message: `Cannot generate: ${outcome.message}` });
    else
      this.post({
        type: 'done',
        requestId: g.requestId,
        tokens: outcome.result.tokens,
        charsPerSec: outcome.result.charsPerSec,
        stopped: outcome.result.stopped,
        precision: outcome.result.precision,
      });
  }

  private browsedFiles(): string[] {
    const files = this.workspaceState.get<unknown>(SamplesViewProvider.BROWSED_FILES_KEY);
    return arrayOf(str)(files, 'files') ? [] : (files as string[]);
  }

  private post(message: HostToSamples): void {
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  private disposeView(): void {
    for (const d of this.viewDisposables) d.dispose();
    this.viewDisposables = [];
  }

  dispose(): void {
    void this.current?.stop();
    this.disposeView();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }
}
