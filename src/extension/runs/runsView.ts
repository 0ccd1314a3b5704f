import * as vscode from 'vscode';
import type { RunSummary } from '../../core/runIndex';
import { lossUnit, modelLabel, runDescription, statusLabel } from '../../core/runLabels';
import { natsToBits } from '../../core/units';
import type { RunRegistry } from './runRegistry';
import { ExperimentItem } from '../experiments/experimentItem';
import { describeBackend } from '../../core/runFormat';

/** A run in the Runs view; commands receive it as their argument. */
export class RunItem extends vscode.TreeItem {
  /** `variant`: its name within its experiment ("no clipping"), which then heads the label. */
  constructor(
    readonly run: RunSummary,
    variant?: string,
  ) {
    // Short label, status and best loss first in the description: a narrow side bar cuts the end of a row, not what matters.
    super(variant ?? (run.info ? modelLabel(run.info) : run.id), vscode.TreeItemCollapsibleState.None);
    this.id = run.dir;
    this.resourceUri = vscode.Uri.file(run.dir);
    const info = run.info;
    // The context value drives the menus: only running runs can be stopped, only stopped ones resumed.
    this.contextValue = info ? `rnnLab.run.${info.status}` : 'rnnLab.run.broken';
    this.description = info ? `${runDescription(info)}${variant ? ` · ${modelLabel(info)}` : ''} · ${startedLabel(run.id)}` : 'unreadable';
    this.iconPath = new vscode.ThemeIcon(iconFor(info?.status));
    this.tooltip = tooltipFor(run);
    this.command = { command: 'rnnLab.openDashboard', title: 'Open Dashboard', arguments: [this] };
  }
}

/** "12-05 03:15" from a run id "20261205-031555-lstm-2x128" (the id itself is in the tooltip). */
export function startedLabel(runId: string): string {
  const m = /^\d{4}(\d{2})(\d{2})-(\d{2})(\d{2})/.exec(runId);
  return m ? `${m[1]}-${m[2]} ${m[3]}:${m[4]}` : runId;
}

function iconFor(status: string | undefined): string {
  switch (status) {
    case 'running':
      return 'sync~spin';
    case 'completed':
      return 'pass';
    case 'cancelled':
      return 'debug-pause';
    case 'failed':
      return 'error';
    default:
      return 'warning';
  }
}

function tooltipFor(run: RunSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.supportHtml = false; // run data is shown as text only
  md.appendText(run.id + '\n\n');
  const info = run.info;
  if (!info) {
    md.appendText(run.problem ?? 'run.json is unreadable');
    return md;
  }
  const m = info.model;
  const t = info.training;
  // What the row may cut off comes first: status and best loss.
  const best = info.progress.bestValLoss;
  md.appendText(`${statusLabel(info)}${best !== undefined ? ` · best validation ${natsToBits(best).toFixed(3)} ${lossUnit(info)}` : ''}\n\n`);
  md.appendText(`${modelLabel(info)} · ${m.embedding ? `embedding ${m.embedding}` : 'one-hot'} · vocabulary ${m.vocabSize} (${t.resolution})\n`);
  md.appendText(
    `steps ${info.progress.step}/${info.progress.totalSteps} · ${t.optimizer} lr ${t.learningRate} · ` +
      `clip ${t.clipMode}${t.clipMode === 'none' ? '' : ` ${t.clipValue}`}\n`,
  );
  md.appendText(`${info.corpus.documents} files · ${describeBackend(info.backend)}\n`);
  if (info.message) md.appendText(`\n${info.message}`);
  return md;
}

type RunsViewItem = RunItem | ExperimentItem;

/** The Runs view: experiments (groups of their member runs) and runs, newest first. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsViewItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly registry: RunRegistry) {
    this.subscription = registry.onDidChange(() => this.changed.fire());
  }

  getTreeItem(item: RunsViewItem): RunsViewItem {
    return item;
  }

  getChildren(item?: RunsViewItem): RunsViewItem[] {
    if (item instanceof ExperimentItem) {
      const variants = item.experiment.info?.variants ?? [];
      return item.experiment.members.map((r) => new RunItem(r, variants.find((v) => v.runId === r.id)?.label));
    }
    if (item) return [];
    const created = (i: RunsViewItem) => (i instanceof ExperimentItem ? i.experiment.info?.createdAt : i.run.info?.createdAt) ?? '';
    const items: RunsViewItem[] = [...this.registry.experiments.map((e) => new ExperimentItem(e)), ...this.registry.topLevelRuns.map((r) => new RunItem(r))];
    return items.sort((a, b) => created(b).localeCompare(created(a)));
  }

  /** An experiment's findings read its members' files: only when its tooltip is about to show. */
  resolveTreeItem(_item: vscode.TreeItem, element: RunsViewItem): RunsViewItem {
    if (element instanceof ExperimentItem) element.resolveTooltip();
    return element;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
