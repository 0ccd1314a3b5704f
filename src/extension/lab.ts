import * as vscode from 'vscode';
import { EngineClient } from './engine/engineClient';
import { RunRegistry } from './runs/runRegistry';
import { TrainingController } from './training/trainingController';
import { RunsTreeProvider } from './runs/runsView';
import { DashboardPanel } from './dashboard/dashboardPanel';
import { SamplesViewProvider } from './samples/samplesView';
import { generateSample } from './samples/generateCommand';
import { trainModel } from './training/trainCommand';
import { isExtraSteps } from '../core/extraSteps';
import { deleteRuns, exportRun, pickRun, resumeRun, runsFromArgs } from './runs/runCommands';
import { OverlayCommands } from './activations/overlayCommands';
import { NeuronsController } from './neurons/neuronsController';
import { NeuronsPanel } from './neurons/neuronsPanel';
import { revealPath } from './runs/revealPath';
import { runExperimentCommand } from './experiments/experimentCommand';
import { compareRunsCommand, deleteExperiment, followExperiments, resumeExperimentCommand } from './experiments/experimentCommands';
import { ExperimentItem } from './experiments/experimentItem';
import { ComparePanel, type CompareHost } from './compare/comparePanel';
import { offerGettingStartedOnce, openGettingStarted } from './walkthrough/gettingStarted';
import { TaskCommands } from './tasks/taskCommands';

/**
 * Owns everything the extension creates, so deactivation disposes it all.
 * The engine process has its own, shorter lifetime inside it: when it dies the
 * client starts a new one on the next request, and nothing here is recreated.
 */
export class Lab implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly engine: EngineClient;
  readonly registry: RunRegistry;
  readonly training: TrainingController;
  readonly samples: SamplesViewProvider;
  /** The editor overlay of neuron activations (Show / Hide Neuron Activations, Choose Neuron…). */
  readonly activations: OverlayCommands;
  /** The Neurons view (Show Neurons, Find Neurons for Selection). */
  readonly neurons: NeuronsController;
  /** Classify File / Selection and the tagger overlay (src/extension/tasks/). */
  readonly tasks: TaskCommands;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('RNN Lab', { log: true }));
    this.engine = new EngineClient(context.asAbsolutePath('dist/engine.js'), { onStderr: (text) => this.log.warn(`[engine] ${text.trimEnd()}`) });
    this.own({ dispose: () => this.engine.dispose() });
    this.registry = this.own(new RunRegistry(this.log));
    this.training = this.own(new TrainingController(this.engine, this.log));
    const runsTree = this.own(new RunsTreeProvider(this.registry));
    this.own(vscode.window.createTreeView('rnnLab.runs', { treeDataProvider: runsTree, canSelectMany: true, showCollapseAll: false }));
    this.own(this.training.onEngineEvent((e) => (e.event === 'finished' || e.event === 'checkpoint') && this.registry.refresh()));
    this.own(this.engine.onExit(() => this.registry.refresh()));
    // run.json names the last checkpoint's step: the lists show the step the training has reached.
    this.own(this.training.onProgress((t) => this.registry.setLiveStep(t?.runDir ? { runDir: t.runDir, step: t.step } : undefined)));
    this.samples = this.own(new SamplesViewProvider(context.extensionUri, this.engine, this.registry, context.workspaceState, this.log));
    this.own(vscode.window.registerWebviewViewProvider(SamplesViewProvider.viewType, this.samples, { webviewOptions: { retainContextWhenHidden: false } }));
    this.activations = this.own(new OverlayCommands(this.engine, this.registry, context.workspaceState, this.log));
    this.neurons = this.own(
      new NeuronsController(context.extensionUri, this.engine, this.registry, context.workspaceState, this.log, {
        overlayModel: () => this.activations.overlay?.model,
        onRanked: (ranking) => this.activations.setRanking(ranking),
        onNeuronChosen: (neuron, model) => this.activations.showNeuron(neuron, model?.id),
      }),
    );
    this.own(vscode.window.registerWebviewPanelSerializer(NeuronsPanel.viewType, { deserializeWebviewPanel: async (panel) => this.neurons.revive(panel) }));
    this.own(
      vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
        deserializeWebviewPanel: async (panel, state) => {
          this.registry.scan();
          DashboardPanel.revive(panel, context.extensionUri, this.training, state, this.log, this.registry.all);
        },
      }),
    );
    this.own(
      vscode.window.registerWebviewPanelSerializer(ComparePanel.viewType, {
        deserializeWebviewPanel: async (panel, state) => ComparePanel.revive(panel, this.compareHost, state),
      }),
    );
    this.own(this.training.onEngineEvent((e) => (e.event === 'experimentMember' || e.event === 'experimentFinished') && this.registry.refresh()));
    this.own(followExperiments(this.training, (runDirs) => this.showDashboard(runDirs)));
    this.tasks = this.own(new TaskCommands(this.engine, this.registry, this.log));
    this.registerCommands();
    this.registerExperimentCommands();
    void offerGettingStartedOnce(context).catch((err: unknown) => this.log.warn(`could not open the Getting Started walkthrough: ${String(err)}`));
  }

  private registerCommands(): void {
    const command = (id: string, run: (...args: unknown[]) => unknown) => this.own(vscode.commands.registerCommand(id, run));
    command('rnnLab.train', (args) => trainModel(this.training, this.registry, args));
    command('rnnLab.stopTraining', async () => {
      if (!(await this.training.stop())) void vscode.window.showInformationMessage('RNN Lab: no training is running.');
    });
    command('rnnLab.openDashboard', async (arg, selection) => {
      const runs =
        arg === undefined && selection === undefined && this.training.current
          ? [{ dir: this.training.current.runDir }]
          : await runsFromArgs(this.registry, 'RNN Lab: Open Dashboard', arg, selection);
      if (runs.length > 0)
        DashboardPanel.show(
          this.context.extensionUri,
          this.training,
          runs.map((r) => r.dir),
          this.log,
        );
    });
    command('rnnLab.openRun', async () => {
      const run = await pickRun(this.registry, 'RNN Lab: Open Run');
      if (run) DashboardPanel.show(this.context.extensionUri, this.training, [run.dir], this.log);
    });
    command('rnnLab.deleteRun', async (arg, selection) =>
      arg instanceof ExperimentItem
        ? deleteExperiment(this.registry, this.training, arg)
        : deleteRuns(this.registry, this.training, await runsFromArgs(this.registry, 'RNN Lab: Delete Run', arg, selection)),
    );
    // The dashboard passes how many more steps (validated in protocol/dashboard.ts); else finished runs are asked.
    command('rnnLab.resumeTraining', async (arg, extraSteps) => {
      if (extraSteps !== undefined && !isExtraSteps(extraSteps)) {
        void vscode.window.showErrorMessage(`RNN Lab: cannot resume: ${JSON.stringify(extraSteps)} is not a number of steps.`);
        return undefined;
      }
      const [run] = await runsFromArgs(this.registry, 'RNN Lab: Resume Training', arg);
      return run ? resumeRun(this.training, this.registry, run, extraSteps) : undefined;
    });
    command('rnnLab.trainMore', async (arg) => {
      const [run] = await runsFromArgs(this.registry, 'RNN Lab: Train More', arg);
      return run ? resumeRun(this.training, this.registry, run) : undefined;
    });
    command('rnnLab.refreshRuns', () => this.registry.refreshLocation());
    command('rnnLab.exportModel', async (arg, target) => {
      const [run] = await runsFromArgs(this.registry, 'RNN Lab: Export Model to ONNX', arg);
      return run ? exportRun(this.engine, run, typeof target === 'string' ? target : undefined) : undefined;
    });
    command('rnnLab.generateSample', (args) => generateSample(this.samples, this.registry, args));
    command('rnnLab.showActivations', (args) => this.activations.show(args));
    command('rnnLab.hideActivations', () => this.activations.hide());
    command('rnnLab.pickNeuron', (arg) => this.activations.chooseNeuron(arg));
    command('rnnLab.showNeurons', (args) => this.neurons.showNeurons(args));
    // From the editor's context menu the argument is the document's URI: the active editor is that document.
    command('rnnLab.findNeuronsForSelection', (args) => this.neurons.findForSelection(args instanceof vscode.Uri ? undefined : args));
    command('rnnLab.gettingStarted', () => openGettingStarted());
    command('rnnLab.revealRunFolder', async (arg) => {
      const dir = arg instanceof ExperimentItem ? arg.experiment.dir : (await runsFromArgs(this.registry, 'RNN Lab: Reveal Run Folder', arg))[0]?.dir;
      if (dir) await revealPath(dir);
    });
  }

  /** What the comparison panel needs of the extension. */
  private get compareHost(): CompareHost {
    return {
      extensionUri: this.context.extensionUri,
      log: this.log,
      onEngineEvent: this.training.onEngineEvent,
      openRun: (runDir) => this.showDashboard([runDir]),
    };
  }

  private showDashboard(runDirs: string[]): void {
    DashboardPanel.show(this.context.extensionUri, this.training, runDirs, this.log);
  }

  /** Run Experiment…, Resume Experiment, Compare Runs… (src/extension/experiments/, src/extension/compare/). */
  private registerExperimentCommands(): void {
    const command = (id: string, run: (...args: unknown[]) => unknown) => this.own(vscode.commands.registerCommand(id, run));
    command('rnnLab.runExperiment', (args) => runExperimentCommand(this.training, this.registry, args));
    command('rnnLab.resumeExperiment', (arg) => resumeExperimentCommand(this.training, this.registry, arg));
    command('rnnLab.compareRuns', (arg, selection) => compareRunsCommand(this.compareHost, this.registry, arg, selection));
  }

  private own<T extends vscode.Disposable>(disposable: T): T {
    this.disposables.push(disposable);
    return disposable;
  }

  dispose(): void {
    for (const d of this.disposables.reverse()) {
      try {
        d.dispose();
      } catch (err) {
        console.error(err);
      }
    }
    this.disposables.length = 0;
  }
}
