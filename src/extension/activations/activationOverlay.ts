import { performance } from 'perf_hooks';
import * as vscode from 'vscode';
import type { NeuronId } from '../../protocol/activations';
import type { EngineClient } from '../engine/engineClient';
import { colourSegments } from './colourSegments';
import { Debouncer } from './debouncer';
import { PICK_NEURON_COMMAND, escapeMarkdown, hoverMarkdown } from './hoverMarkdown';
import { linesToRender, type LineWindow } from './lineWindows';
import { KIND_NAMES, neuronLabel, sameNeuron, type ModelLayout } from './neuronLabels';
import { OverlayDocument } from './overlayDocument';
import type { OverlayModel } from './overlayModel';
import { BUCKET_COUNT, STEPS, bucketColours } from './palette';
import type { LineSegment, TextSnapshot } from './textSnapshot';

/** Wait after a keystroke or scroll before asking the engine, and the longest wait while they go on. */
const DEBOUNCE_MS = 100;
const MAX_WAIT_MS = 300;
/** Texts kept open in the engine (their cached states make returning to them cheap); the least recently shown beyond this are closed. */
const MAX_OPEN_DOCUMENTS = 8;
/** Schemes of editors that hold text a user reads (not output channels, diff internals or terminals). */
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-userdata', 'vscode-vfs']);

/** What the overlay last did for a document (tests and the status bar read it). */
export interface RenderState {
  /** The document version the decorations (or the problem) belong to. */
  documentVersion: number;
  neuron: NeuronId;
  /** Lines computed: the visible ranges widened. */
  windows: LineWindow[];
  tokens: number;
  unknownTokens: number;
  /** Decorated ranges per bucket, lowest first (the middle, neutral bucket is never decorated). */
  bucketRanges: number[];
  /** Why the document is not coloured (binary, model missing …). */
  problem?: string;
  /** From the edit or scroll that asked for this render to the visible lines' decorations being set, in ms. */
  latencyMs: number;
}

export interface AppliedDecorations {
  /** Per bucket −STEPS … STEPS (index 0 the lowest), the ranges coloured. */
  buckets: vscode.Range[][];
  unknown: vscode.Range[];
}

/**
 * The editor overlay of one model and one neuron: every visible editor's
 * visible lines (and a margin) coloured by the neuron's value, a hover with
 * the value, the strongest neurons and the next-token predictions there, the
 * neuron in the status bar. Colours come from BUCKET_COUNT decoration types
 * made once. Edits and scrolls re-render after a short debounce; the engine
 * recomputes only from an edit on, from its cached states.
 * Disposing removes every decoration and closes the engine's documents.
 */
export class ActivationOverlay implements vscode.Disposable {
  private readonly bucketTypes: (vscode.TextEditorDecorationType | undefined)[];
  private readonly unknownType: vscode.TextEditorDecorationType;
  private readonly statusItem: vscode.StatusBarItem;
  /**
   * Keyed by the TextDocument itself, not its URI: a closed untitled buffer's
   * URI (untitled:Untitled-1) is given to the next one, whose text must not
   * meet the old one's engine document or render state.
   */
  private readonly documents = new Map<vscode.TextDocument, OverlayDocument>();
  private readonly states = new Map<vscode.TextDocument, RenderState>();
  private readonly applied = new Map<vscode.TextEditor, AppliedDecorations>();
  private readonly pending = new Set<vscode.TextEditor>();
  private readonly rendering = new Set<vscode.TextEditor>();
  private readonly again = new Set<vscode.TextEditor>();
  /** When an editor first asked for a render since its last one (for the latency). */
  private readonly askedAt = new Map<vscode.TextEditor, number>();
  private readonly reported = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private readonly debouncer = new Debouncer(() => this.renderPending(), DEBOUNCE_MS, MAX_WAIT_MS);
  private readonly disposables: vscode.Disposable[] = [];
  private current: NeuronId;
  private disposed = false;

  constructor(
    private readonly engine: EngineClient,
    readonly model: OverlayModel,
    readonly layout: ModelLayout,
    neuron: NeuronId,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.current = neuron;
    this.bucketTypes = Array.from({ length: BUCKET_COUNT }, (_, i) => {
      const colours = bucketColours(i - STEPS);
      return colours
        ? vscode.window.createTextEditorDecorationType({
            light: { backgroundColor: colours.light },
            dark: { backgroundColor: colours.dark },
            rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
          })
        : undefined;
    });
    this.unknownType = vscode.window.createTextEditorDecorationType({
      borderStyle: 'dotted',
      borderWidth: '0 0 2px 0',
      borderColor: new vscode.ThemeColor('editorWarning.foreground'),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.statusItem = vscode.window.createStatusBarItem('rnnLab.activations', vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = 'RNN Lab Neuron';
    this.statusItem.command = PICK_NEURON_COMMAND;
    this.disposables.push(
      this.statusItem,
      vscode.window.onDidChangeVisibleTextEditors(() => this.scheduleVisible()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule([e.textEditor])),
      vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length > 0 && this.schedule(this.editorsOf(e.document))),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
      this.engine.onExit(() => {
        for (const doc of this.documents.values()) doc.engineLost();
        this.scheduleVisible();
      }),
      vscode.languages.registerHoverProvider(
        [...SCHEMES].map((scheme) => ({ scheme })),
        { provideHover: (document, position) => this.hover(document, position) },
      ),
    );
    this.updateStatus();
    this.statusItem.show();
    this.scheduleVisible();
    this.debouncer.flush();
  }

  get neuron(): NeuronId {
    return this.current;
  }

  /** Shows another neuron of the same model. */
  setNeuron(neuron: NeuronId): void {
    if (sameNeuron(neuron, this.current)) return;
    this.current = neuron;
    this.updateStatus();
    this.scheduleVisible();
    this.debouncer.flush();
  }

  /** What was last done for a document. */
  stateOf(document: vscode.TextDocument): RenderState | undefined {
    return this.states.get(document);
  }

  /** The ranges coloured in an editor now. */
  decorationsOf(editor: vscode.TextEditor): AppliedDecorations | undefined {
    return this.applied.get(editor);
  }

  /**
   * Resolves when the document's current version is rendered (or has a
   * problem) for the shown neuron and nothing more is pending for its editors.
   */
  whenRendered(document: vscode.TextDocument, timeoutMs = 30_000): Promise<RenderState> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const state = this.settled(document);
        if (!state) return false;
        cleanup();
        resolve(state);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const state = this.stateOf(document);
        reject(
          new Error(
            `the overlay did not render ${document.uri.toString()} v${document.version} within ${timeoutMs} ms ` +
              `(last: ${state ? `v${state.documentVersion}${state.problem ? `, ${state.problem}` : ''}` : 'nothing'})`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      if (this.disposed) {
        cleanup();
        reject(new Error('the overlay was hidden'));
        return;
      }
      if (!check()) this.waiters.add(check);
    });
  }

  private settled(document: vscode.TextDocument): RenderState | undefined {
    const state = this.states.get(document);
    if (!state || state.documentVersion !== document.version || !sameNeuron(state.neuron, this.current)) return undefined;
    const busy = this.editorsOf(document).some((e) => this.pending.has(e) || this.rendering.has(e));
    return busy ? undefined : state;
  }

  private editorsOf(document: vscode.TextDocument): vscode.TextEditor[] {
    return vscode.window.visibleTextEditors.filter((e) => e.document === document && SCHEMES.has(document.uri.scheme));
  }

  private scheduleVisible(): void {
    for (const editor of [...this.applied.keys()]) if (!vscode.window.visibleTextEditors.includes(editor)) this.applied.delete(editor);
    this.schedule(vscode.window.visibleTextEditors.filter((e) => SCHEMES.has(e.document.uri.scheme)));
    this.updateStatus();
  }

  private schedule(editors: readonly vscode.TextEditor[]): void {
    if (this.disposed) return;
    const now = performance.now();
    for (const editor of editors) {
      if (!SCHEMES.has(editor.document.uri.scheme)) continue;
      this.pending.add(editor);
      if (!this.askedAt.has(editor)) this.askedAt.set(editor, now);
    }
    if (this.pending.size > 0) this.debouncer.schedule();
  }

  private renderPending(): void {
    const editors = [...this.pending];
    this.pending.clear();
    for (const editor of editors) void this.render(editor);
  }

  /** One render per editor at a time; a request during one renders again right after it. */
  private async render(editor: vscode.TextEditor): Promise<void> {
    if (this.rendering.has(editor)) {
      this.again.add(editor);
      return;
    }
    this.rendering.add(editor);
    try {
      await this.renderOnce(editor);
    } catch (err) {
      this.log.error(`activations overlay: ${(err as Error).message}`);
    } finally {
      this.rendering.delete(editor);
      if (this.again.delete(editor) && !this.disposed) void this.render(editor);
      this.notify();
    }
  }

  /**
   * The visible lines first (after an edit the engine computes only from the
   * edit to the bottom of the screen), then a margin of a screen's height
   * above and below, unless another edit or scroll is already waiting.
   */
  private async renderOnce(editor: vscode.TextEditor): Promise<void> {
    const document = editor.document;
    if (this.disposed || document.isClosed || !vscode.window.visibleTextEditors.includes(editor)) return;
    const visible = editor.visibleRanges.map((r) => ({ start: r.start.line, end: r.end.line }));
    const lines = visible.length > 0 ? visible : [{ start: 0, end: 0 }];
    const height = lines.reduce((h, w) => Math.max(h, w.end - w.start + 1), 0);
    const exact = linesToRender(lines, 0, document.lineCount);
    const widened = linesToRender(lines, Math.max(20, height), document.lineCount);
    if (!(await this.pass(editor, exact, true))) return;
    if (this.pending.has(editor) || JSON.stringify(widened) === JSON.stringify(exact)) return;
    await this.pass(editor, widened, false);
  }

  /** Computes and applies one set of line windows; false when nothing was applied (stale, problem, superseded). */
  private async pass(editor: vscode.TextEditor, windows: LineWindow[], first: boolean): Promise<boolean> {
    const document = editor.document;
    const neuron = this.current;
    const outcome = await this.documentFor(document).activations(neuron, windows);
    if (this.disposed || document.isClosed || !sameNeuron(neuron, this.current)) return false;
    if (outcome.kind === 'stale') {
      this.again.add(editor);
      return false;
    }
    const latencyMs = first ? performance.now() - (this.askedAt.get(editor) ?? performance.now()) : (this.states.get(document)?.latencyMs ?? 0);
    if (outcome.kind === 'problem') {
      this.askedAt.delete(editor);
      this.clear(editor);
      this.states.set(document, {
        documentVersion: document.version,
        neuron,
        windows,
        tokens: 0,
        unknownTokens: 0,
        bucketRanges: new Array<number>(BUCKET_COUNT).fill(0),
        problem: outcome.message,
        latencyMs,
      });
      this.report(document, outcome.message);
      this.updateStatus();
      return false;
    }
    // Typed while the engine worked: the change listener has asked for another render.
    if (outcome.synced.hostVersion !== document.version) return false;
    if (first) this.askedAt.delete(editor);
    const coloured = colourSegments(outcome.synced.snapshot, outcome.ranges, neuron.kind);
    const toRanges = (segments: LineSegment[]) => segments.map((s) => new vscode.Range(s.line, s.start, s.line, s.end));
    const applied: AppliedDecorations = { buckets: coloured.buckets.map(toRanges), unknown: toRanges(coloured.unknown) };
    this.bucketTypes.forEach((type, i) => type && editor.setDecorations(type, applied.buckets[i]));
    editor.setDecorations(this.unknownType, applied.unknown);
    this.applied.set(editor, applied);
    this.states.set(document, {
      documentVersion: document.version,
      neuron,
      windows,
      tokens: coloured.tokens,
      unknownTokens: coloured.unknownTokens,
      bucketRanges: applied.buckets.map((r) => r.length),
      latencyMs,
    });
    this.updateStatus();
    return true;
  }

  private documentFor(document: vscode.TextDocument): OverlayDocument {
    let doc = this.documents.get(document);
    if (doc) {
      this.documents.delete(document); // most recently used last
    } else {
      doc = new OverlayDocument(this.engine, this.model.source, () => ({ text: document.getText(), version: document.version }));
      this.closeLeastRecent();
    }
    this.documents.set(document, doc);
    return doc;
  }

  private closeLeastRecent(): void {
    const visible = new Set(vscode.window.visibleTextEditors.map((e) => e.document));
    for (const [document, doc] of this.documents) {
      if (this.documents.size < MAX_OPEN_DOCUMENTS) return;
      if (visible.has(document)) continue;
      this.documents.delete(document);
      this.states.delete(document);
      void doc.close();
    }
  }

  private forget(document: vscode.TextDocument): void {
    void this.documents.get(document)?.close();
    this.documents.delete(document);
    this.states.delete(document);
    const key = document.uri.toString();
    for (const r of [...this.reported]) if (r.startsWith(`${key}\n`)) this.reported.delete(r);
  }

  private clear(editor: vscode.TextEditor): void {
    for (const type of this.bucketTypes) if (type) editor.setDecorations(type, []);
    editor.setDecorations(this.unknownType, []);
    this.applied.delete(editor);
  }

  /** Says once per document and problem why it is not coloured. */
  private report(document: vscode.TextDocument, message: string): void {
    const key = `${document.uri.toString()}\n${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log.warn(`activations: ${document.uri.toString()}: ${message}`);
    void vscode.window.showWarningMessage(`RNN Lab: ${nameOf(document)}: ${message}`);
  }

  private async hover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const doc = this.documents.get(document);
    if (!doc || this.disposed) return undefined;
    const neuron = this.current;
    const outcome = await doc.hover(neuron, position.line, position.character);
    if (outcome.kind === 'stale') return undefined;
    if (outcome.kind === 'problem') return new vscode.Hover(new vscode.MarkdownString(`**RNN Lab**: ${escapeMarkdown(outcome.message)}`));
    const markdown = new vscode.MarkdownString(hoverMarkdown(neuron, outcome.info, this.model.label));
    markdown.isTrusted = { enabledCommands: [PICK_NEURON_COMMAND] };
    markdown.supportHtml = false;
    const span = outcome.info.token?.span;
    return new vscode.Hover(markdown, span && outcome.synced.hostVersion === document.version ? rangeOf(outcome.synced.snapshot, span[0], span[1]) : undefined);
  }

  private updateStatus(): void {
    if (this.disposed) return;
    const n = this.current;
    const editor = vscode.window.activeTextEditor;
    const problem = editor ? this.states.get(editor.document)?.problem : undefined;
    this.statusItem.text = `${problem ? '$(warning)' : '$(pulse)'} ${neuronLabel(n)}`;
    const tooltip = new vscode.MarkdownString(
      `**RNN Lab neuron activations**\n\nlayer ${n.layer}, ${KIND_NAMES[n.kind]}, unit ${n.unit} of *${this.model.label}*\n\n` +
        (problem ? `${problem}\n\n` : '') +
        'Blue below neutral, red above. Click to choose another neuron.',
    );
    tooltip.supportHtml = false;
    this.statusItem.tooltip = tooltip;
    this.statusItem.backgroundColor = problem ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.debouncer.dispose();
    for (const d of this.disposables) d.dispose();
    // Disposing a decoration type removes its decorations from every editor.
    for (const type of this.bucketTypes) type?.dispose();
    this.unknownType.dispose();
    for (const doc of this.documents.values()) void doc.close();
    this.documents.clear();
    this.states.clear();
    this.applied.clear();
    this.pending.clear();
    this.waiters.clear();
  }
}

function rangeOf(snapshot: TextSnapshot, start: number, end: number): vscode.Range {
  const a = snapshot.positionAt(start);
  const b = snapshot.positionAt(end);
  return new vscode.Range(a.line, a.character, b.line, b.character);
}

function nameOf(document: vscode.TextDocument): string {
  return document.isUntitled ? document.uri.path : (document.uri.path.split('/').pop() ?? document.uri.toString());
}
