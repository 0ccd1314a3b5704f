import * as vscode from 'vscode';
import type { ExperimentListing } from '../../core/experiments/experimentIndex';
import { experimentFindings } from '../../core/experiments/experimentFindings';
import { summarizeExperiment } from '../../core/experiments/experimentSummary';

const KIND_LABELS = { clipping: 'Clipping experiment', vanishing: 'Vanishing-gradient experiment' } as const;

/** An experiment in the Runs view: a group of its member runs; commands receive it as their argument. */
export class ExperimentItem extends vscode.TreeItem {
  constructor(readonly experiment: ExperimentListing) {
    const info = experiment.info;
    super(info ? `${KIND_LABELS[info.kind]}  ${experiment.id}` : experiment.id, vscode.TreeItemCollapsibleState.Expanded);
    this.id = experiment.dir;
    this.resourceUri = vscode.Uri.file(experiment.dir);
    // The context value drives the menus: a running experiment can be stopped, a stopped or failed one resumed.
    this.contextValue = info ? `rnnLab.experiment.${info.status}` : 'rnnLab.experiment.broken';
    this.description = info ? `${info.status} · ${info.variants.map((v) => v.name).join(', ')}` : 'unreadable';
    this.iconPath = new vscode.ThemeIcon(info?.status === 'running' ? 'sync~spin' : info?.status === 'failed' ? 'error' : 'beaker');
    this.command = { command: 'rnnLab.compareRuns', title: 'Compare Runs', arguments: [this] };
  }

  /** What the experiment found, in sentences (see core/experiments/experimentFindings.ts). */
  resolveTooltip(): void {
    const md = new vscode.MarkdownString();
    md.supportHtml = false; // labels and messages are shown as text only
    md.appendText(`${this.experiment.id}\n\n`);
    const info = this.experiment.info;
    if (!info) {
      md.appendText(this.experiment.problem ?? 'experiment.json is unreadable');
    } else {
      try {
        for (const line of experimentFindings(summarizeExperiment(this.experiment.dir, info))) md.appendText(`${line}\n\n`);
      } catch (err) {
        md.appendText(`cannot read its runs: ${(err as Error).message}\n\n`);
      }
      if (info.message) md.appendText(info.message);
    }
    this.tooltip = md;
  }
}
