/**
 * Train Model… asked step by step in a real extension host, its QuickPicks and
 * InputBoxes answered from a script: the preset list says what each preset
 * costs, Custom asks every field with a step counter, Back keeps answers, and
 * the answers reach the run.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { lab, until } from '../support';
import { scriptQuickInput, type Answer } from '../quickInputScript';

const label = (text: string): Answer => ({ pick: (items) => items.find((i) => i.label === text || i.label.startsWith(text)) });

describe('Train Model… questions', () => {
  it('presets show their steps, size and expected time; Custom asks each field with a step counter, Back keeps answers', async () => {
    const l = await lab();
    const script = scriptQuickInput([
      label('Language model'),
      label('The whole workspace'),
      label('Custom…'),
      label('gru'),
      { type: '1' },
      { type: '16' },
      'back', // from resolution back to the hidden size
      { accept: true }, // 16 kept
      label('char'),
      { type: '16' },
      { type: '4' },
      { type: '6' },
      { type: '0.01' },
      label('none'), // no threshold question follows: the flow ends
    ]);
    let runDir: string | undefined;
    try {
      runDir = await vscode.commands.executeCommand<string | undefined>('rnnLab.train');
    } finally {
      script.restore();
    }
    const { shown } = script;
    assert.deepEqual(
      shown[0].items!.map((i) => i.label),
      ['Language model', 'Tagger', 'Classifier'],
    );
    const presets = shown[2].items!.filter((i) => i.label !== 'Custom…');
    assert.ok(presets.length >= 4);
    for (const p of presets) assert.match(p.detail ?? '', /\d[\d,]* steps · \d+(\.\d)?[kM]? parameters · about \d+ (s|min|h)/, p.label);
    assert.deepEqual(
      shown.map((s) => s.title),
      [
        // Before the task and the preset are chosen, only the files and model questions are known to follow.
        'RNN Lab: Train Model (1/3): task',
        'RNN Lab: Train Model (2/3): files',
        'RNN Lab: Train Model (3/3): model',
        'RNN Lab: Train Model (4/13): cell',
        'RNN Lab: Train Model (5/13): layers',
        'RNN Lab: Train Model (6/13): hidden size',
        'RNN Lab: Train Model (7/13): resolution',
        'RNN Lab: Train Model (6/13): hidden size',
        'RNN Lab: Train Model (7/13): resolution',
        'RNN Lab: Train Model (8/13): window',
        'RNN Lab: Train Model (9/13): batch',
        'RNN Lab: Train Model (10/13): steps',
        'RNN Lab: Train Model (11/13): learning rate',
        'RNN Lab: Train Model (12/13): clipping',
      ],
    );
    assert.equal(shown[7].value, '16', 'Back shows the answer given before');
    assert.match(shown[11].promptAfter ?? '', /^Training steps: 6 steps · \d+(\.\d)?k parameters · about \d+ s here/);
    assert.ok(runDir, 'the training started');
    await until(() => l.training.current === undefined, 'the training finished', 60_000);
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    assert.deepEqual([info.model.cell, info.model.layers, info.model.hidden], ['gru', 1, 16]);
    const t = info.training;
    assert.deepEqual([t.resolution, t.seqLength, t.batchSize, t.steps, t.learningRate, t.clipMode], ['char', 16, 4, 6, 0.01, 'none']);
  });

  it('Escape at any question starts nothing', async () => {
    const l = await lab();
    l.registry.scan();
    const before = l.registry.all.length;
    const script = scriptQuickInput([label('Language model'), label('The whole workspace'), label('Custom…'), label('lstm'), 'escape']);
    try {
      assert.equal(await vscode.commands.executeCommand('rnnLab.train'), undefined);
    } finally {
      script.restore();
    }
    l.registry.scan();
    assert.equal(l.registry.all.length, before);
  });
});
