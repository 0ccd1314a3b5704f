/**
 * Issue #12 in a real extension host: Run Experiment… from the Command
 * Palette on the fixture workspace, the Runs view's group, the dashboard
 * following the members, and the comparison of the experiment's runs.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineEvent } from '../../../src/protocol/engine';
import { lab, until } from '../support';

const isTab = (viewType: string) => (t: vscode.Tab) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType);
const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);

describe('experiments from the Command Palette', () => {
  it('Run Experiment… trains the three clipping members, groups them in the Runs view, and Compare Runs… opens their comparison', async () => {
    const l = await lab();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.extension.rnnLab');
    const finished = new Promise<EngineEvent>((resolve) => {
      const sub = l.training.onEngineEvent((e) => e.event === 'experimentFinished' && (sub.dispose(), resolve(e)));
    });
    const dir = await vscode.commands.executeCommand<string | undefined>('rnnLab.runExperiment', {
      kind: 'clipping',
      files: 'workspace',
      options: { steps: 8, hidden: 16, seq: 16, batch: 4, evalEvery: 4, checkpointEvery: 4 },
    });
    assert.ok(dir, 'Run Experiment… returned the experiment folder');
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.equal(path.dirname(dir), path.join(workspace, '.rnnlab', 'runs'));
    assert.ok(l.training.current?.experiment, 'the status bar and progress follow the experiment');
    const end = await finished;
    assert.equal(end.event === 'experimentFinished' && end.status, 'completed');
    assert.equal(l.training.current, undefined);

    const info = JSON.parse(fs.readFileSync(path.join(dir, 'experiment.json'), 'utf8'));
    assert.equal(info.kind, 'clipping');
    assert.deepEqual(
      info.variants.map((v: { training: { clipMode: string } }) => v.training.clipMode),
      ['norm', 'value', 'none'],
    );
    for (const v of info.variants) {
      const run = JSON.parse(fs.readFileSync(path.join(dir, v.runId, 'run.json'), 'utf8'));
      assert.equal(run.status, 'completed');
      assert.ok(fs.existsSync(path.join(dir, v.runId, 'gradflow.jsonl')), 'every member measured its gradient flow');
    }

    // The Runs view: one group with the three members; each member is a run of its own.
    await vscode.commands.executeCommand('rnnLab.refreshRuns');
    const group = l.registry.findExperiment(dir);
    assert.ok(group, 'the experiment is listed');
    assert.equal(group.members.length, 3);
    assert.ok(!l.registry.topLevelRuns.some((r) => r.dir.startsWith(dir)), 'its members are not listed as loose runs');
    assert.ok(l.registry.find(group.members[0].dir), 'a member can be found (and opened) alone');

    // The dashboard followed the members as they started.
    await until(() => tabs().some(isTab('rnnLab.dashboard')), 'the dashboard is open');

    await vscode.commands.executeCommand('rnnLab.compareRuns', dir);
    // The panel takes the experiment's title once its page loaded and asked for the runs.
    await until(() => tabs().some((t) => isTab('rnnLab.compare')(t) && t.label.includes(path.basename(dir))), 'the comparison shows the experiment');
    await new Promise((r) => setTimeout(r, 1500)); // let the table and charts draw
    console.log('@@screenshot:experiment-compare');
    await new Promise((r) => setTimeout(r, 1500));

    // Opening one member alone from the comparison's host side: the dashboard shows just that run.
    await vscode.commands.executeCommand('rnnLab.openDashboard', group.members[2].dir);
    await until(() => tabs().some((t) => isTab('rnnLab.dashboard')(t) && t.label.includes(group.members[2].id)), 'the dashboard shows the member alone');
  });

  it('Stop Training stops a running experiment as a whole, and Resume Experiment finishes it', async () => {
    const l = await lab();
    const ended = () =>
      new Promise<EngineEvent>((resolve) => {
        const sub = l.training.onEngineEvent((e) => e.event === 'experimentFinished' && (sub.dispose(), resolve(e)));
      });
    const firstStep = new Promise<void>((resolve) => {
      const sub = l.training.onEngineEvent((e) => e.event === 'step' && (sub.dispose(), resolve()));
    });
    const stopped = ended();
    const dir = await vscode.commands.executeCommand<string>('rnnLab.runExperiment', {
      kind: 'vanishing',
      files: 'workspace',
      options: { steps: 60, hidden: 8, seq: 16, batch: 4, evalEvery: 20, checkpointEvery: 20 },
    });
    await firstStep;
    await vscode.commands.executeCommand('rnnLab.stopTraining');
    const first = await stopped;
    assert.equal(first.event === 'experimentFinished' && first.status, 'cancelled');
    const stoppedInfo = JSON.parse(fs.readFileSync(path.join(dir, 'experiment.json'), 'utf8'));
    assert.equal(stoppedInfo.status, 'cancelled');
    assert.equal(stoppedInfo.variants[1].runId, undefined, 'the second member had not begun');

    const done = ended();
    await vscode.commands.executeCommand('rnnLab.refreshRuns');
    await vscode.commands.executeCommand('rnnLab.resumeExperiment', dir);
    const end = await done;
    assert.equal(end.event === 'experimentFinished' && end.status, 'completed', end.event === 'experimentFinished' ? end.message : '');
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'experiment.json'), 'utf8'));
    for (const v of info.variants) assert.equal(JSON.parse(fs.readFileSync(path.join(dir, v.runId, 'run.json'), 'utf8')).progress.step, 60);
  });
});
