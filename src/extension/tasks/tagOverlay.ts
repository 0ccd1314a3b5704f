import * as vscode from 'vscode';
import type { TagTextResult } from '../../protocol/tagText';
import type { EngineClient } from '../engine/engineClient';
import { escapeMarkdown } from '../activations/hoverMarkdown';
import { classColour, classSpans, mismatchSpans, type Span } from './tagSpans';
import type { TaskModel } from './taskModels';

/** Wait after an edit before tagging the text again. */
const RETAG_MS = 300;
const SCHEMES = ['file', 'untitled', 'vscode-remote', 'vscode-vfs'];

/** What the overlay shows for a document (tests and the status bar read it). */
export interface TagState {
  version: number;
  result?: TagTextResult;
  /** Ranges coloured per class label. */
  classRanges: Record<string, number>;
  mismatchRanges: number;
  /** Share of tokens whose predicted class is the parser's, when the truth is known. */
  agreement?: number;
  problem?: string;
}

/**
 * A tagger's predictions over the visible editors: each token coloured by its
 * predicted class (one decoration type per class, made once), tokens where the
 * parser's class differs underlined, a hover with the class probabilities
 * there, and the legend in the status bar. Edits re-tag after a short pause.
 * Disposing removes every decoration.
 */
export class TagOverlay implements vscode.Disposable {
  private readonly classTypes = new Map<string, vscode.TextEditorDecorationType>();
  private readonly mismatchType: vscode.TextEditorDecorationType;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly states = new Map<string, TagState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    private readonly engine: EngineClient,
    readonly model: TaskModel,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.mismatchType = vscode.window.createTextEditorDecorationType({
      textDecoration: 'underline wavy',
      borderColor: new vscode.ThemeColor('editorError.foreground'),
      borderStyle: 'solid',
      borderWidth: '0 0 2px 0',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.statusItem = vscode.window.createStatusBarItem('rnnLab.tagger', vscode.StatusBarAlignment.Right, 99);
    this.statusItem.name = 'RNN Lab Tagger';
    this.statusItem.command = 'rnnLab.hideTaggerPredictions';
    this.disposables.push(
      this.statusItem,
      vscode.window.onDidChangeVisibleTextEditors(() => this.tagVisible()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length > 0 && this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.states.delete(d.uri.toString())),
      vscode.languages.registerHoverProvider(
        SCHEMES.map((scheme) => ({ scheme })),
        { provideHover: (document, position) => this.hover(document, position) },
      ),
    );
    this.statusItem.show();
    this.tagVisible();
  }

  /** What is shown for a document, once tagged. */
  stateOf(document: vscode.TextDocument): TagState | undefined {
    return this.states.get(document.uri.toString());
  }

  /** Resolves once every visible editor's document is tagged at its current version (tests). */
  async settled(): Promise<void> {
    const done = () =>
      vscode.window.visibleTextEditors
        .filter((e) => SCHEMES.includes(e.document.uri.scheme))
        .every((e) => this.stateOf(e.document)?.version === e.document.version);
    while (!done() && !this.disposed) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }

  private tagVisible(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const state = this.stateOf(editor.document);
      if (!SCHEMES.includes(editor.document.uri.scheme)) continue;
      if (state?.version === editor.document.version) this.apply(editor, state);
      else void this.tag(editor.document);
    }
  }

  private schedule(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (vscode.window.visibleTextEditors.some((e) => e.document === document)) void this.tag(document);
      }, RETAG_MS),
    );
  }

  private async tag(document: vscode.TextDocument): Promise<void> {
    const version = document.version;
    let state: TagState;
    try {
      const result = await this.engine.request('tagText', { model: this.model.source, file: document.fileName, text: document.getText(), version });
      state = this.stateFrom(version, result);
    } catch (err) {
      const problem = (err as Error).message;
      this.log.warn(`tagger overlay: ${problem}`);
      state = { version, classRanges: {}, mismatchRanges: 0, problem };
    }
    if (this.disposed || document.version !== version) return;
    this.states.set(document.uri.toString(), state);
    for (const editor of vscode.window.visibleTextEditors) if (editor.document === document) this.apply(editor, state);
    this.updateStatus();
    for (const wake of [...this.waiters]) wake();
    this.waiters.clear();
  }

  private stateFrom(version: number, result: TagTextResult): TagState {
    const spans = classSpans(result);
    const mismatches = mismatchSpans(result);
    const classRanges: Record<string, number> = {};
    for (const [label, list] of spans) classRanges[label] = list.length;
    const compared = result.truth ? result.truth.filter((t) => t >= 0).length : 0;
    const agreeing = result.truth ? result.truth.filter((t, i) => t >= 0 && t === result.predicted[i]).length : 0;
    return { version, result, classRanges, mismatchRanges: mismatches.length, ...(compared ? { agreement: agreeing / compared } : {}) };
  }

  private apply(editor: vscode.TextEditor, state: TagState): void {
    const document = editor.document;
    const toRanges = (spans: Span[]) => spans.map(([start, end]) => new vscode.Range(document.positionAt(start), document.positionAt(end)));
    const spans = state.result ? classSpans(state.result) : new Map<string, Span[]>();
    for (const [label, type] of this.classTypes) if (!spans.has(label)) editor.setDecorations(type, []);
    for (const [label, list] of spans) editor.setDecorations(this.typeOf(label, state.result!.labels.indexOf(label)), toRanges(list));
    editor.setDecorations(this.mismatchType, state.result ? toRanges(mismatchSpans(state.result)) : []);
  }

  private typeOf(label: string, index: number): vscode.TextEditorDecorationType {
    let type = this.classTypes.get(label);
    if (!type) {
      const colour = classColour(index);
      type = vscode.window.createTextEditorDecorationType({
        light: { backgroundColor: colour.light },
        dark: { backgroundColor: colour.dark },
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      });
      this.classTypes.set(label, type);
    }
    return type;
  }

  private updateStatus(): void {
    const editor = vscode.window.activeTextEditor;
    const state = editor && this.stateOf(editor.document);
    const agreement = state?.agreement === undefined ? '' : ` · ${(100 * state.agreement).toFixed(1)}% as parsed`;
    this.statusItem.text = `$(symbol-color) ${this.model.label}${state?.problem ? ' $(warning)' : agreement}`;
    const tooltip = new vscode.MarkdownString(`**RNN Lab tagger** ${escapeMarkdown(this.model.label)}\n\n`);
    tooltip.supportHtml = true;
    if (state?.problem) tooltip.appendMarkdown(`${escapeMarkdown(state.problem)}\n\n`);
    if (state?.result) tooltip.appendMarkdown(legend(state.result.labels));
    tooltip.appendMarkdown('\n\nUnderlined: the parser says another class. Click to hide.');
    this.statusItem.tooltip = tooltip;
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const result = this.stateOf(document)?.result;
    if (!result) return undefined;
    const offset = document.offsetAt(position);
    const token = tokenAt(result, offset);
    if (token < 0) return undefined;
    const C = result.labels.length;
    const rows = result.labels
      .map((label, k) => ({ label, k, percent: result.percents[token * C + k] }))
      .sort((a, b) => b.percent - a.percent)
      .map((r) => `| ${swatch(r.k)} ${escapeMarkdown(r.label)} | ${r.percent}% |`);
    const truth = result.truth?.[token];
    const markdown = new vscode.MarkdownString(`**Tagger** ${escapeMarkdown(this.model.label)}: ${escapeMarkdown(result.labels[result.predicted[token]])}`);
    markdown.supportHtml = true;
    if (truth !== undefined && truth >= 0) markdown.appendMarkdown(` (parser: ${escapeMarkdown(result.labels[truth])})`);
    markdown.appendMarkdown(`\n\n| class | probability |\n|---|---:|\n${rows.join('\n')}`);
    const start = document.positionAt(result.starts[token]);
    return new vscode.Hover(markdown, new vscode.Range(start, document.positionAt(result.starts[token] + result.lengths[token])));
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const type of this.classTypes.values()) type.dispose();
    this.mismatchType.dispose();
    for (const d of this.disposables) d.dispose();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

/** The token covering an offset (binary search over the starts), or -1. */
function tokenAt(result: TagTextResult, offset: number): number {
  let lo = 0;
  let hi = result.starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (result.starts[mid] > offset) hi = mid - 1;
    else if (result.starts[mid] + result.lengths[mid] <= offset) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** A coloured square (the hover and tooltip allow a span's colour style). */
function swatch(index: number): string {
  return `<span style="color:${classColour(index).swatch};">■</span>`;
}

/** "■ keyword ■ identifier …": every class with its colour. */
function legend(labels: string[]): string {
  return labels.map((label, k) => `${swatch(k)} ${escapeMarkdown(label)}`).join(' &nbsp; ');
}
