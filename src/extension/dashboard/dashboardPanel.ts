import type { TaskEvalRecord } from '../../protocol/tasks';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../core/runIndex';
import { loadDashboardRun, runDirsOfState } from './dashboardRuns';
import { parseDashboardMessage, type DashboardRun, type HostToDashboard } from '../../protocol/dashboard';
import type { EngineEvent, EvalRecord, StepRecord } from '../../protocol/engine';
import type { GradFlowRecord, SampleRecord } from '../../core/runFormat';
import type { TrainingController } from '../training/trainingController';
import { showWebviewApp, webviewOptions } from '../webview/webviewPage';

/**
 * The training dashboard: one panel showing one or several runs overlaid.
 * It reads a run's history from disk when shown and then follows the engine's
 * live events. The webview only renders; it asks for data with `ready`.
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'rnnLab.dashboard';
  private static current: DashboardPanel | undefined;

  private runDirs: string[];
  private readonly disposables: vscode.Disposable[] = [];
  /** The webview has asked for data: before that, live records would be lost (and flood its loading). */
  private ready = false;
  /** Per run, the last step already sent with each kind of record, so live events never repeat what `show` read from disk. */
  private readonly sentUpTo = new Map<string, Sent>();
  /** Live records waiting for the next flush: a small model trains hundreds of steps a second. */
  private pending = new Map<string, Pending>();
  private flushTimer: NodeJS.Timeout | undefined;

  /** Shows the dashboard for these runs, creating the panel or reusing the open one. */
  static show(extensionUri: vscode.Uri, controller: TrainingController, runDirs: string[], log: vscode.LogOutputChannel): DashboardPanel {
    const existing = DashboardPanel.current;
    if (existing) {
      existing.setRuns(runDirs);
      existing.panel.reveal(existing.panel.viewColumn ?? vscode.ViewColumn.One, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'RNN Lab Dashboard', vscode.ViewColumn.Active, webviewOptions(extensionUri));
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, controller, runDirs, log);
    return DashboardPanel.current;
  }

  /**
   * Restores a dashboard after a window reload (see registerWebviewPanelSerializer). The saved state
   * names runs by id: only runs of the runs folder are shown again, never a path the state could hold.
   */
  static revive(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    controller: TrainingController,
    state: unknown,
    log: vscode.LogOutputChannel,
    runs: readonly RunSummary[],
  ): void {
    panel.webview.options = webviewOptions(extensionUri);
    DashboardPanel.current?.dispose();
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, controller, runDirsOfState(state, runs), log);
  }

  static get isOpen(): boolean {
    return DashboardPanel.current !== undefined;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    controller: TrainingController,
    runDirs: string[],
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.runDirs = runDirs;
    const webview = panel.webview;
    showWebviewApp(webview, extensionUri, 'dashboard', 'RNN Lab Dashboard');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      webview.onDidReceiveMessage((m: unknown) => this.receive(m, controller)),
      controller.onEngineEvent((e) => this.forward(e)),
    );
  }

  setRuns(runDirs: string[]): void {
    this.runDirs = [...new Set(runDirs)];
    this.sendShow();
  }

  private receive(message: unknown, controller: TrainingController): void {
    const m = parseDashboardMessage(message);
    if (!m) {
      this.log.warn('ignored a malformed message from the dashboard');
      return;
    }
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendShow();
        // The page shows the training now: its progress leaves the notification, which would cover the samples.
        if (controller.current && this.runDirs.includes(controller.current.runDir)) controller.moveProgressToStatusBar();
        break;
      case 'hideRun':
        this.setRuns(this.runDirs.filter((d) => path.basename(d) !== m.runId));
        break;
      case 'stopRun':
        if (controller.current && path.basename(controller.current.runDir) === m.runId) void controller.stop();
        break;
      case 'resumeRun': {
        // Only a run this panel shows: the id comes from the webview.
        const runDir = this.runDirs.find((d) => path.basename(d) === m.runId);
        if (runDir) void vscode.commands.executeCommand('rnnLab.resumeTraining', runDir, m.extraSteps);
        break;
      }
    }
  }

  private sendShow(): void {
    const runs: DashboardRun[] = [];
    for (const dir of this.runDirs) {
      try {
        runs.push(loadDashboardRun(dir));
      } catch (err) {
        this.log.warn(`dashboard: cannot read run ${dir}: ${(err as Error).message}`);
      }
    }
    this.panel.title = runs.length === 1 ? `RNN Lab: ${runs[0].info.label}` : 'RNN Lab Dashboard';
    this.pending.clear();
    this.sentUpTo.clear();
    for (const run of runs) {
      const last = (records: { step: number }[]) => records.at(-1)?.step ?? 0;
      const taskEval = last(run.taskEvals ?? []);
      this.sentUpTo.set(run.info.id, { step: last(run.steps), eval: last(run.evals), sample: last(run.samples), gradFlow: last(run.gradFlow), taskEval });
    }
    this.post({ type: 'show', runs });
  }

  private forward(event: EngineEvent): void {
    if (!this.ready || !('runDir' in event) || !this.runDirs.includes(event.runDir)) return;
    const runId = path.basename(event.runDir);
    const sent = this.sentUpTo.get(runId) ?? { step: 0, eval: 0, sample: 0, gradFlow: 0, taskEval: 0 };
    this.sentUpTo.set(runId, sent);
    const batch = this.pending.get(runId) ?? { steps: [], evals: [], samples: [], gradFlow: [] };
    switch (event.event) {
      case 'step':
        if (event.record.step <= sent.step) return;
        sent.step = event.record.step;
        batch.steps.push(event.record);
        break;
      case 'eval':
        if (event.record.step <= sent.eval) return;
        sent.eval = event.record.step;
        batch.evals.push(event.record);
        break;
      case 'sample':
        if (event.record.step <= sent.sample) return;
        sent.sample = event.record.step;
        batch.samples.push(event.record);
        break;
      case 'gradFlow': {
        const fresh = event.records.filter((r) => r.step > sent.gradFlow);
        if (fresh.length === 0) return;
        sent.gradFlow = fresh[0].step;
        batch.gradFlow.push(...fresh);
        break;
      }
      case 'taskEval':
        if (event.record.step <= sent.taskEval) return;
        sent.taskEval = event.record.step;
        (batch.taskEvals ??= []).push(event.record);
        break;
      case 'finished':
        this.flush();
        this.post({ type: 'status', runId, status: event.status, message: event.message, stoppedAt: event.info.nonFinite?.step });
        return;
      default:
        return;
    }
    this.pending.set(runId, batch);
    this.flushTimer ??= setTimeout(() => this.flush(), 100);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [runId, batch] of this.pending) this.post({ type: 'append', runId, ...batch });
    this.pending.clear();
  }

  private post(message: HostToDashboard): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
    this.panel.dispose();
  }
}

/** What was already sent of a run, per kind of record: the last step. */
type Sent = { step: number; eval: number; sample: number; gradFlow: number; taskEval: number };
type Pending = { steps: StepRecord[]; evals: EvalRecord[]; samples: SampleRecord[]; gradFlow: GradFlowRecord[]; taskEvals?: TaskEvalRecord[] };
