import * as vscode from 'vscode';
import { markRunInterrupted } from '../../core/runIndex';
import { natsToBits } from '../../core/units';
import { describeBackend, type RunInfo } from '../../core/runFormat';
import type { EngineEvent, ResumeParams, TrainParams } from '../../protocol/engine';
import type { EngineClient } from '../engine/engineClient';

/** What the UI shows about the training in progress. */
export interface ActiveTraining {
  runDir: string;
  label: string;
  step: number;
  totalSteps: number;
  lastLoss?: number;
  charsPerSec?: number;
}

/**
 * Starts and stops trainings in the engine process and shows their progress:
 * a cancellable notification, a status-bar item (click: dashboard) and the log.
 * When the engine dies, the user is told why and the run is marked failed,
 * resumable from its checkpoint.
 */
export class TrainingController implements vscode.Disposable {
  private active: ActiveTraining | undefined;
  private finishProgress: (() => void) | undefined;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly eventEmitter = new vscode.EventEmitter<EngineEvent>();
  private readonly uiTick = new vscode.EventEmitter<void>();
  private readonly onUiTick = this.uiTick.event;
  /** Every engine event, for the dashboard and the Runs view. */
  readonly onEngineEvent = this.eventEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** The status bar and the notification are redrawn at most this often (a small model steps hundreds of times a second). */
  private static readonly UI_INTERVAL_MS = 250;
  private lastUiUpdate = 0;

  constructor(
    private readonly engine: EngineClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.statusItem = vscode.window.createStatusBarItem('rnnLab.training', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'RNN Lab Training';
    this.statusItem.command = 'rnnLab.openDashboard';
    this.disposables.push(this.statusItem, this.eventEmitter, this.uiTick);
    this.disposables.push(engine.onEvent((e) => this.onEvent(e)));
    this.disposables.push(engine.onExit((exit) => !exit.expected && this.onEngineDied(exit.reason)));
  }

  get current(): ActiveTraining | undefined {
    return this.active;
  }

  async train(params: TrainParams, label: string): Promise<string> {
    return this.begin(() => this.engine.request('train', params), label);
  }

  async resume(params: ResumeParams, label: string): Promise<string> {
    return this.begin(() => this.engine.request('resume', params), label);
  }

  /** Asks the engine to stop after the current step; resolves when it has acknowledged. */
  async stop(): Promise<boolean> {
    if (!this.active) return false;
    const { stopped } = await this.engine.request('stop', { runDir: this.active.runDir });
    return stopped;
  }

  private async begin(start: () => Promise<{ runDir: string; info: Pick<RunInfo, 'progress' | 'backend'>; skipped: string }>, label: string): Promise<string> {
    if (this.active) throw new Error(`a training is already running (${this.active.label}); stop it first`);
    const { runDir, info, skipped } = await start();
    this.active = { runDir, label, step: info.progress.step, totalSteps: info.progress.totalSteps };
    this.log.info(`training ${label} in ${runDir} with ${describeBackend(info.backend)}`);
    if (skipped) this.log.info(`skipped files: ${skipped}`);
    if (info.backend.notice) {
      this.log.warn(info.backend.notice);
      void vscode.window.showInformationMessage(`RNN Lab: ${info.backend.notice}`);
    }
    this.showProgress();
    this.updateStatus();
    return runDir;
  }

  private showProgress(): void {
    const training = this.active!;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `RNN Lab: training ${training.label}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let reported = (training.step / training.totalSteps) * 100;
          const report = () => {
            const t = this.active;
            if (!t) return;
            const percent = (t.step / t.totalSteps) * 100;
            progress.report({ increment: percent - reported, message: statusText(t) });
            reported = percent;
          };
          const sub = this.onUiTick(report);
          token.onCancellationRequested(() => {
            progress.report({ message: 'stopping after this step…' });
            this.stop().catch((err: Error) => this.log.error(`stop failed: ${err.message}`));
          });
          this.finishProgress = () => {
            sub.dispose();
            resolve();
          };
        }),
    );
  }

  private onEvent(event: EngineEvent): void {
    const t = this.active;
    if (event.event === 'log') this.log[event.level](event.message);
    if (t && 'runDir' in event && event.runDir === t.runDir) {
      switch (event.event) {
        case 'step':
          t.step = event.record.step;
          t.lastLoss = event.record.loss;
          t.charsPerSec = event.progress.charsPerSec;
          if (Date.now() - this.lastUiUpdate >= TrainingController.UI_INTERVAL_MS) {
            this.lastUiUpdate = Date.now();
            this.updateStatus();
            this.uiTick.fire();
          }
          break;
        case 'eval':
          this.log.info(`step ${event.record.step}: validation ${natsToBits(event.record.valLoss).toFixed(3)} bits per token`);
          break;
        case 'sample':
          this.log.info(`sample at step ${event.record.step}:\n${event.record.text}`);
          break;
        case 'gradFlow':
          break;
        case 'checkpoint':
          this.log.debug(`checkpoint ${event.path}`);
          break;
        case 'finished':
          this.end();
          if (event.status === 'failed') void vscode.window.showErrorMessage(`RNN Lab: training ${t.label} failed: ${event.message}`);
          else if (event.status === 'completed')
            void vscode.window
              .showInformationMessage(`RNN Lab: training ${t.label} finished.`, 'Open Dashboard')
              .then((a) => a && vscode.commands.executeCommand('rnnLab.openDashboard', event.runDir));
          this.log.info(`training ${t.label} ${event.status}${event.message ? `: ${event.message}` : ''}`);
          break;
      }
    }
    this.eventEmitter.fire(event);
  }

  private onEngineDied(reason: string): void {
    const t = this.active;
    this.log.error(`the training engine stopped: ${reason}`);
    if (!t) return;
    this.end();
    try {
      markRunInterrupted(t.runDir, reason);
    } catch (err) {
      this.log.error(`could not mark ${t.runDir} as failed: ${(err as Error).message}`);
    }
    void vscode.window.showErrorMessage(
      `RNN Lab: the training engine stopped (${reason}). Run ${t.label} was marked failed; resume it from its last checkpoint.`,
    );
  }

  private end(): void {
    this.active = undefined;
    this.finishProgress?.();
    this.finishProgress = undefined;
    this.updateStatus();
  }

  private updateStatus(): void {
    const t = this.active;
    if (!t) {
      this.statusItem.hide();
      return;
    }
    this.statusItem.text = `$(pulse) ${statusText(t)}`;
    this.statusItem.tooltip = `RNN Lab: training ${t.label} — click for the dashboard`;
    this.statusItem.show();
  }

  dispose(): void {
    this.finishProgress?.();
    for (const d of this.disposables) d.dispose();
  }
}

function statusText(t: ActiveTraining): string {
  const parts = [`${t.step}/${t.totalSteps}`];
  if (t.lastLoss !== undefined) parts.push(`${natsToBits(t.lastLoss).toFixed(2)} bits`);
  if (t.charsPerSec !== undefined) parts.push(`${Math.round(t.charsPerSec).toLocaleString('en-US')} chars/s`);
  return parts.join(' · ');
}
