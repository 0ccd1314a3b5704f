import * as vscode from 'vscode';
import { listRuns, type RunSummary } from '../../core/runIndex';
import { RUN_FILES } from '../../core/runFormat';
import { EXPERIMENT_FILE } from '../../core/experiments/experimentFormat';
import { listExperiments, type ExperimentListing } from '../../core/experiments/experimentIndex';
import { runsLocation } from '../settings';
import { applyLiveStep, type LiveStep } from '../../core/liveProgress';

/**
 * The runs and experiments found on disk, kept fresh: a file watcher on each
 * `<run>/run.json`, `<experiment>/experiment.json` and
 * `<experiment>/<member>/run.json` in the runs folder, settings changes and
 * explicit refreshes all lead to one debounced rescan.
 */
export class RunRegistry implements vscode.Disposable {
  /** Run folders directly in the runs folder. */
  private runs: RunSummary[] = [];
  private experimentList: ExperimentListing[] = [];
  /** Every run, experiment members included, newest first. */
  private everyRun: RunSummary[] = [];
  private dir: string | undefined;
  private problem: string | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The step of the run in training, newer than its run.json (see core/liveProgress.ts). */
  private live: LiveStep | undefined;
  private lastLiveChange = 0;
  /** The lists as scanned, before the live step is applied. */
  private scanned: { runs: RunSummary[]; experiments: ExperimentListing[] } = { runs: [], experiments: [] };
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('rnnLab.runsDirectory') && this.relocate()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.relocate()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.relocate()),
    );
    this.relocate();
  }

  get runsDirectory(): string | undefined {
    return this.dir;
  }

  /** Why there is no runs folder (Restricted Mode refused every candidate), for the user. */
  get runsProblem(): string | undefined {
    return this.problem;
  }

  /** Every run, experiment members included (pickers, the Samples and Neurons views), newest first. */
  get all(): readonly RunSummary[] {
    return this.everyRun;
  }

  /** Runs that belong to no experiment. */
  get topLevelRuns(): readonly RunSummary[] {
    return this.runs;
  }

  get experiments(): readonly ExperimentListing[] {
    return this.experimentList;
  }

  find(runDirOrId: string): RunSummary | undefined {
    return this.everyRun.find((r) => r.dir === runDirOrId || r.id === runDirOrId);
  }

  findExperiment(dirOrId: string): ExperimentListing | undefined {
    return this.experimentList.find((e) => e.dir === dirOrId || e.id === dirOrId);
  }

  /** Live views (the Runs view, the Samples view's models) change at most this often as a run trains. */
  static readonly LIVE_INTERVAL_MS = 1000;

  /** The training's current step (undefined: none trains); lists show it at most once a LIVE_INTERVAL_MS. */
  setLiveStep(live: LiveStep | undefined): void {
    const sameRun = live?.runDir === this.live?.runDir;
    this.live = live;
    if (sameRun && live && Date.now() - this.lastLiveChange < RunRegistry.LIVE_INTERVAL_MS) return;
    this.lastLiveChange = Date.now();
    this.publish();
  }

  /** Rescans soon (several changes in a burst cost one scan). */
  refresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.scan(), 150);
  }

  /** Looks the runs folder up again (a symlink may have changed on disk, which no setting event tells), then rescans. */
  refreshLocation(): void {
    const location = runsLocation();
    if (location.dir === this.dir && (location.dir ? undefined : location.ignored) === this.problem) this.scan();
    else this.relocate();
  }

  /** Rescans now. */
  scan(): void {
    this.timer = undefined;
    this.scanned = { runs: this.dir ? listRuns(this.dir) : [], experiments: this.dir ? listExperiments(this.dir) : [] };
    this.publish();
  }

  /** The scanned lists with the live step applied. */
  private publish(): void {
    this.runs = applyLiveStep(this.scanned.runs, this.live);
    this.experimentList = this.scanned.experiments.map((e) => ({ ...e, members: applyLiveStep(e.members, this.live) }));
    const created = (r: RunSummary) => r.info?.createdAt ?? '';
    this.everyRun = [...this.runs, ...this.experimentList.flatMap((e) => e.members)].sort((a, b) => created(b).localeCompare(created(a)));
    this.changed.fire();
  }

  private relocate(): void {
    const location = runsLocation();
    if (location.ignored) this.log.warn(location.ignored);
    this.dir = location.dir;
    this.problem = location.dir ? undefined : location.ignored;
    this.watcher?.dispose();
    this.watcher = undefined;
    if (this.dir) {
      const pattern = `{*/${RUN_FILES.info},*/${EXPERIMENT_FILE},*/*/${RUN_FILES.info}}`;
      this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(this.dir), pattern));
      this.watcher.onDidCreate(() => this.refresh());
      this.watcher.onDidChange(() => this.refresh());
      this.watcher.onDidDelete(() => this.refresh());
    }
    this.scan();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
