import * as vscode from 'vscode';
import { markRunInterrupted } from '../../core/runIndex';
import { natsToBits } from '../../core/units';
import { lossUnitInWords } from '../../core/runLabels';
import type { Resolution } from '../../core/spec';
import { describeBackend, type RunInfo } from '../../core/runFormat';
import type { EngineEvent, ExperimentParams, ResumeExperimentParams, ResumeParams, TrainParams } from '../../protocol/engine';
import type { ExperimentInfo } from '../../core/experiments/experimentFormat';
import { markExperimentInterrupted } from '../../core/experiments/experimentIndex';
import type { EngineClient } from '../engine/engineClient';

/** What the UI shows about the training in progress. */
export interface ActiveTraining {
  runDir: string;
  label: string;
  step: number;
  totalSteps: number;
  lastLoss?: number;
  /** The engine's speed over its last seconds (the step record's): the dashboard shows the same number. */
  charsPerSec?: number;
  /** Characters or code tokens: what the logged bits are per. */
  resolution: Resolution;
  /** Set while an experiment runs: its folder and which of its members trains (`runDir` is that member's). */
  experiment?: { dir: string; member: number; total: number; memberLabel: string };
}

type MemberEvent = Extract<EngineEvent, { event: 'experimentMember' }>;
type ExperimentEnd = Extract<EngineEvent, { event: 'experimentFinished' }>;

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
  /** The training's progress, at most every UI_INTERVAL_MS, and undefined when it ends (the Runs and Samples views follow it). */
  readonly onProgress: vscode.Event<ActiveTraining | undefined>;
  private readonly progressEmitter = new vscode.EventEmitter<ActiveTraining | undefined>();
  /** Every engine event, for the dashboard and the Runs view. */
  readonly onEngineEvent = this.eventEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** The status bar and the notification are redrawn at most this often (a small model steps hundreds of times a second). */
  private static readonly UI_INTERVAL_MS = 250;
  private lastUiUpdate = 0;
  /** Where the training's progress shows: a cancellable notification until a dashboard shows the run, then the status bar's window progress. */
  private progressWhere: 'notification' | 'statusBar' | undefined;
  /** The newest member announcement: it can arrive before the experiment's own response is handled. */
  private lastMember: MemberEvent | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.statusItem = vscode.window.createStatusBarItem('rnnLab.training', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'RNN Lab Training';
    this.statusItem.command = 'rnnLab.openDashboard';
    this.onProgress = this.progressEmitter.event;
    this.disposables.push(this.statusItem, this.eventEmitter, this.uiTick, this.progressEmitter);
    this.disposables.push(engine.onEvent((e) => this.onEvent(e)));
    this.disposables.push(engine.onExit((exit) => !exit.expected && this.onEngineDied(exit.reason)));
  }

  get current(): ActiveTraining | undefined {
    return this.active;
  }

  /** Where the progress of the training shows now (undefined: none runs). */
  get progressLocation(): 'notification' | 'statusBar' | undefined {
    return this.progressWhere;
  }

  /**
   * A dashboard shows the training: the notification would cover its samples
   * for the whole run, so it closes and the progress stays in our status bar
   * item alone (a window progress would repeat it beside it); the dashboard
   * and the Runs view have Stop.
   */
  moveProgressToStatusBar(): void {
    if (!this.active || this.progressWhere !== 'notification') return;
    this.finishProgress?.();
    this.finishProgress = undefined;
    this.progressWhere = 'statusBar';
  }

  async train(params: TrainParams, label: string): Promise<string> {
    return this.begin(() => this.engine.request('train', params), label);
  }

  async resume(params: ResumeParams, label: string): Promise<string> {
    return this.begin(() => this.engine.request('resume', params), label);
  }

  /** Runs an experiment's members in the engine (see src/extension/experiments/); resolves to its folder once it started. */
  async experiment(params: ExperimentParams, label: string): Promise<string> {
    return this.beginExperiment(() => this.engine.request('experiment', params), label);
  }

  async resumeExperiment(params: ResumeExperimentParams, label: string): Promise<string> {
    return this.beginExperiment(() => this.engine.request('resumeExperiment', params), label);
  }

  /** Asks the engine to stop after the current step (a running experiment stops with its member); resolves when it has acknowledged. */
  async stop(): Promise<boolean> {
    if (!this.active) return false;
    const { stopped } = await this.engine.request('stop', this.active.experiment ? {} : { runDir: this.active.runDir });
    return stopped;
  }

  private async beginExperiment(start: () => Promise<{ dir: string; info: ExperimentInfo }>, label: string): Promise<string> {
    if (this.active) throw new Error(`a training is already running (${this.active.label}); stop it first`);
    const { dir, info } = await start();
    const total = info.variants.length;
    const { steps: totalSteps, resolution } = info.shared.training;
    this.active = { runDir: '', label, step: 0, totalSteps, resolution, experiment: { dir, member: 0, total, memberLabel: '' } };
    this.log.info(`experiment ${label} in ${dir}: ${info.variants.map((v) => v.label).join(', ')}`);
    if (this.lastMember?.dir === dir) this.onMember(this.lastMember);
    this.showProgress();
    this.updateStatus();
    return dir;
  }

  private onMember(event: MemberEvent): void {
    this.lastMember = event;
    const t = this.active;
    if (!t?.experiment || t.experiment.dir !== event.dir) return;
    t.runDir = event.runDir;
    t.step = event.info.progress.step;
    t.totalSteps = event.info.progress.totalSteps;
    t.experiment = { ...t.experiment, member: event.index, memberLabel: event.label };
    this.log.info(`experiment ${t.label}: member ${event.index + 1}/${event.total} ${event.label} ${event.resumed ? 'resumes' : 'starts'} in ${event.runDir}`);
    this.updateStatus();
    this.uiTick.fire();
  }

  private onExperimentFinished(event: ExperimentEnd): void {
    const t = this.active;
    if (!t?.experiment || t.experiment.dir !== event.dir) return;
    this.end();
    this.log.info(`experiment ${t.label} ${event.status}${event.message ? `: ${event.message}` : ''}`);
    if (event.status === 'failed') void vscode.window.showErrorMessage(`RNN Lab: experiment ${t.label} failed: ${event.message}`);
    else if (event.status === 'cancelled') void vscode.window.showInformationMessage(`RNN Lab: experiment ${t.label} stopped; resume it from the Runs view.`);
    else
      void vscode.window
        .showInformationMessage(`RNN Lab: experiment ${t.label} finished.`, 'Compare Runs')
        .then((a) => a && vscode.commands.executeCommand('rnnLab.compareRuns', event.dir));
  }

  private async begin(
    start: () => Promise<{ runDir: string; info: Pick<RunInfo, 'progress' | 'backend' | 'training'>; skipped: string }>,
    label: string,
  ): Promise<string> {
    if (this.active) throw new Error(`a training is already running (${this.active.label}); stop it first`);
    const { runDir, info, skipped } = await start();
    this.active = { runDir, label, step: info.progress.step, totalSteps: info.progress.totalSteps, resolution: info.training.resolution };
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
    this.progressWhere = 'notification';
    void vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `RNN Lab: ${training.experiment ? 'experiment' : 'training'} ${training.label}`,
        cancellable: true,
      },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let reported = percentDone(training);
          const report = () => {
            const t = this.active;
            if (!t) return;
            const percent = percentDone(t);
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
    if (event.event === 'experimentMember') this.onMember(event);
    if (event.event === 'experimentFinished') this.onExperimentFinished(event);
    if (t && 'runDir' in event && event.event !== 'experimentMember' && event.runDir === t.runDir) {
      switch (event.event) {
        case 'step':
          t.step = event.record.step;
          t.lastLoss = event.record.loss;
          t.charsPerSec = event.record.charsPerSec;
          if (Date.now() - this.lastUiUpdate >= TrainingController.UI_INTERVAL_MS) {
            this.lastUiUpdate = Date.now();
            this.updateStatus();
            this.uiTick.fire();
            this.progressEmitter.fire(t);
          }
          break;
        case 'eval':
          this.log.info(`step ${event.record.step}: validation ${natsToBits(event.record.valLoss).toFixed(3)} ${lossUnitInWords(t.resolution)}`);
          break;
        case 'sample':
          this.log.info(`sample at step ${event.record.step}:\n${event.record.text}`);
          break;
        case 'taskEval':
          this.log.info(`step ${event.record.step}: accuracy ${(100 * event.record.accuracy).toFixed(2)}%, macro-F1 ${event.record.macroF1.toFixed(3)}`);
          break;
        case 'gradFlow':
          break;
        case 'checkpoint':
          this.log.debug(`checkpoint ${event.path}`);
          break;
        case 'finished':
          if (t.experiment) {
            this.log.info(`experiment ${t.label}: member ${t.experiment.memberLabel} ${event.status}${event.message ? `: ${event.message}` : ''}`);
            break;
          }
          this.end();
          this.announceEnd(t, event);
          this.log.info(`training ${t.label} ${event.status}${event.message ? `: ${event.message}` : ''}`);
          break;
      }
    }
    this.eventEmitter.fire(event);
  }

  /**
   * A toast of its own when a run ends (the progress notification has closed
   * by then, or was never shown: see moveProgressToStatusBar), with what to do next.
   */
  private announceEnd(t: ActiveTraining, event: Extract<EngineEvent, { event: 'finished' }>): void {
    const { runDir, status, message } = event;
    const then = (answer: string | undefined) => {
      if (answer === 'Open Dashboard') void vscode.commands.executeCommand('rnnLab.openDashboard', runDir);
      if (answer === 'Generate Samples') void vscode.commands.executeCommand('rnnLab.generateSample', { modelId: runDir });
      if (answer === 'Resume') void vscode.commands.executeCommand('rnnLab.resumeTraining', runDir);
    };
    if (status === 'failed') void vscode.window.showErrorMessage(`RNN Lab: training ${t.label} failed: ${message}`);
    else if (status === 'cancelled')
      void vscode.window.showInformationMessage(`RNN Lab: ${t.label}: ${message ?? 'stopped'}.`, 'Resume', 'Open Dashboard').then(then);
    else {
      const loss = event.info.progress.bestValLoss;
      const result = loss !== undefined ? ` Best validation loss ${natsToBits(loss).toFixed(3)} ${lossUnitInWords(t.resolution)}.` : '';
      void vscode.window
        .showInformationMessage(`RNN Lab: training ${t.label} finished at step ${event.info.progress.step}.${result}`, 'Open Dashboard', 'Generate Samples')
        .then(then);
    }
  }

  private onEngineDied(reason: string): void {
    const t = this.active;
    this.log.error(`the training engine stopped: ${reason}`);
    if (!t) return;
    this.end();
    try {
      if (t.runDir) markRunInterrupted(t.runDir, reason);
      if (t.experiment) markExperimentInterrupted(t.experiment.dir, reason);
    } catch (err) {
      this.log.error(`could not mark ${t.runDir || t.experiment?.dir} as failed: ${(err as Error).message}`);
    }
    void vscode.window.showErrorMessage(
      `RNN Lab: the training engine stopped (${reason}). Run ${t.label} was marked failed; resume it from its last checkpoint.`,
    );
  }

  private end(): void {
    this.active = undefined;
    this.finishProgress?.();
    this.finishProgress = undefined;
    this.progressWhere = undefined;
    this.updateStatus();
    this.progressEmitter.fire(undefined);
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

/** Of the whole experiment when one runs (its members take turns), else of the run. */
function percentDone(t: ActiveTraining): number {
  const run = t.step / Math.max(1, t.totalSteps);
  return t.experiment ? ((t.experiment.member + run) / t.experiment.total) * 100 : run * 100;
}

function statusText(t: ActiveTraining): string {
  const parts = [`${t.step}/${t.totalSteps}`];
  if (t.experiment) parts.unshift(`member ${t.experiment.member + 1}/${t.experiment.total}${t.experiment.memberLabel ? ` ${t.experiment.memberLabel}` : ''}`);
  if (t.lastLoss !== undefined) parts.push(`${natsToBits(t.lastLoss).toFixed(2)} bits`);
  if (t.charsPerSec !== undefined) parts.push(`${Math.round(t.charsPerSec).toLocaleString('en-US')} chars/s`);
  return parts.join(' · ');
}
