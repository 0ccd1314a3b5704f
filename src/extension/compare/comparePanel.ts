import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { experimentVariant, readExperimentInfo } from '../../core/experiments/experimentIndex';
import { RunFolder } from '../../core/runStore';
import { parseCompareMessage, parseCompareState, toCompareRun, type CompareRun, type HostToCompare } from '../../protocol/compare';
import type { EngineEvent } from '../../protocol/engine';
import { showWebviewApp, webviewOptions } from '../webview/webviewPage';

export interface CompareHost {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  onEngineEvent: vscode.Event<EngineEvent>;
  /** Opens one run alone (its dashboard). */
  openRun(runDir: string): void;
}

/**
 * The run comparison (docs/architecture.md, "Where each feature lives"): a
 * table of two or more runs' specs with the differing fields marked, their
 * parameter counts, steps, wall time, speed and best validation loss, and
 * their loss curves against step and wall-clock time. It reads the run
 * folders and reads them again when one of them finishes or is evaluated.
 */
export class ComparePanel implements vscode.Disposable {
  static readonly viewType = 'rnnLab.compare';
  private static current: ComparePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private refreshTimer: NodeJS.Timeout | undefined;

  static show(host: CompareHost, runDirs: string[], title: string): ComparePanel {
    const existing = ComparePanel.current;
    if (existing) {
      existing.setRuns(runDirs, title);
      existing.panel.reveal(existing.panel.viewColumn ?? vscode.ViewColumn.One, false);
      return existing;
    }
    // The panel takes its real title once the page has loaded and asked for the runs (see sendShow).
    const panel = vscode.window.createWebviewPanel(ComparePanel.viewType, 'RNN Lab: Compare Runs', vscode.ViewColumn.Active, webviewOptions(host.extensionUri));
    ComparePanel.current = new ComparePanel(panel, host, runDirs, title);
    return ComparePanel.current;
  }

  /** Restores a comparison after a window reload (see registerWebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, host: CompareHost, state: unknown): void {
    panel.webview.options = webviewOptions(host.extensionUri);
    ComparePanel.current?.dispose();
    const restored = parseCompareState(state);
    ComparePanel.current = new ComparePanel(panel, host, restored?.runDirs ?? [], restored?.title ?? 'RNN Lab: Compare Runs');
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly host: CompareHost,
    private runDirs: string[],
    private title: string,
  ) {
    showWebviewApp(panel.webview, host.extensionUri, 'compare', 'RNN Lab: Compare Runs');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      host.onEngineEvent((e) => this.onEngineEvent(e)),
    );
  }

  setRuns(runDirs: string[], title: string): void {
    this.runDirs = [...new Set(runDirs)];
    this.title = title;
    this.sendShow();
  }

  private receive(message: unknown): void {
    const m = parseCompareMessage(message);
    if (!m) {
      this.host.log.warn('ignored a malformed message from the comparison');
      return;
    }
    if (m.type === 'ready') {
      this.ready = true;
      this.sendShow();
    } else {
      const dir = this.runDirs.find((d) => path.basename(d) === m.runId);
      if (dir) this.host.openRun(dir);
    }
  }

  /** A shown run finished or was evaluated: read the folders again, at most every two seconds. */
  private onEngineEvent(event: EngineEvent): void {
    if (!('runDir' in event) || !this.runDirs.includes(event.runDir) || !(event.event === 'finished' || event.event === 'eval')) return;
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      this.sendShow();
    }, 2000);
  }

  private sendShow(): void {
    if (!this.ready) return;
    const runs: CompareRun[] = [];
    for (const dir of this.runDirs) {
      try {
        const folder = RunFolder.open(dir);
        runs.push(toCompareRun(folder.readInfo(), folder.readMetrics(), experimentVariant(dir)));
      } catch (err) {
        this.host.log.warn(`comparison: cannot read run ${dir}: ${(err as Error).message}`);
      }
    }
    this.panel.title = this.title;
    const message: HostToCompare = { type: 'show', title: this.title, runs, state: { runDirs: this.runDirs, title: this.title } };
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (ComparePanel.current === this) ComparePanel.current = undefined;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
    this.panel.dispose();
  }
}

/** The member run folders of an experiment that exist, in its order. */
export function experimentRunDirs(dir: string): string[] {
  const info = readExperimentInfo(dir);
  return info.variants.flatMap((v) => (v.runId && fs.existsSync(path.join(dir, v.runId, 'run.json')) ? [path.join(dir, v.runId)] : []));
}
