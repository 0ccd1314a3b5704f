import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DashboardRunInfo } from '../../src/protocol/dashboard';
import { parseHostToDashboardMessage } from '../../src/protocol/dashboard';
import { CHARTS, legendNames, tokenUnit } from '../../webview/dashboard/chartDefinitions';
import { StepTable } from '../../webview/dashboard/stepTable';

const run = (id: string, label: string, extra: Partial<DashboardRunInfo> = {}): DashboardRunInfo => ({
  id,
  label,
  status: 'running',
  cell: 'lstm',
  clipMode: 'norm',
  clipValue: 5,
  totalSteps: 100,
  backend: 'wasm',
  resolution: 'char',
  layers: 1,
  ...extra,
});

test('StepTable appends steps in order and keeps every column aligned with nulls', () => {
  const table = new StepTable([null, null]);
  table.set(1, 0, 4.5);
  table.set(2, 0, 4.1);
  table.set(2, 1, 4.3);
  table.set(3, 0, 3.9);
  assert.deepEqual(table.aligned(), [
    [1, 2, 3],
    [4.5, 4.1, 3.9],
    [null, 4.3, null],
  ]);
});

test('StepTable inserts a step that falls between known ones, and overwrites a known step', () => {
  const table = new StepTable([null, null]);
  for (const step of [10, 20, 30]) table.set(step, 0, step);
  table.set(15, 1, 1.5);
  table.set(5, 1, 0.5);
  table.set(20, 1, 2);
  table.set(30, 0, 31);
  assert.deepEqual(table.aligned(), [
    [5, 10, 15, 20, 30],
    [null, 10, null, 20, 31],
    [0.5, null, 1.5, 2, null],
  ]);
  table.set(25, 0, 25);
  assert.deepEqual(table.steps, [5, 10, 15, 20, 25, 30]);
  assert.equal(table.columns[0][5], 31, 'rows after an insertion are still found by step');
  table.set(30, 1, 3);
  assert.deepEqual(table.columns[1], [0.5, null, 1.5, 2, null, 3]);
});

test('StepTable fills a constant column (a threshold line) on every row, inserted or appended', () => {
  const table = new StepTable([null, 5]);
  table.set(2, 0, 1);
  table.set(1, 0, 2);
  table.set(3, 0, 3);
  assert.deepEqual(table.columns[1], [5, 5, 5]);
});

test('the loss chart shows bits (nats / ln 2) and leaves non-finite losses as gaps', () => {
  const loss = CHARTS.find((c) => c.id === 'loss')!;
  const train = loss.metrics[0].fromStep!;
  const step = { kind: 'step', step: 1, epoch: 0, loss: Math.LN2 * 3, gradNorm: 1, clippedGradNorm: 1, lr: 0.002, charsPerSec: 1, time: 0 } as const;
  assert.ok(Math.abs(train(step)! - 3) < 1e-12);
  assert.equal(train({ ...step, loss: null as unknown as number }), null);
  assert.equal(train({ ...step, loss: Number.NaN }), null);
  const validation = loss.metrics[1].fromEval!;
  assert.ok(Math.abs(validation({ kind: 'eval', step: 25, valLoss: Math.LN2, time: 0 })! - 1) < 1e-12);
});

test('the gradient chart is log-scale, drops non-positive norms, and draws one τ line per norm-clipping threshold', () => {
  const grad = CHARTS.find((c) => c.id === 'gradNorm')!;
  assert.equal(grad.logScale({ logScaleLoss: false }), true);
  const step = { kind: 'step', step: 1, epoch: 0, loss: 1, gradNorm: 0, clippedGradNorm: 7, lr: 0.002, charsPerSec: 1, time: 0 } as const;
  assert.equal(grad.metrics[0].fromStep!(step), null);
  assert.equal(grad.metrics[1].fromStep!(step), 7);
  const runs = [
    run('a', 'A'),
    run('b', 'B'),
    run('c', 'C', { clipValue: 1 }),
    run('d', 'D', { clipMode: 'value', clipValue: 0.5 }),
    run('e', 'E', { clipMode: 'none' }),
  ];
  assert.deepEqual(grad.referenceLines(runs), [
    { label: 'τ = 5', value: 5 },
    { label: 'τ = 1', value: 1 },
  ]);
});

test('legends use the first part of a label unless two shown runs share it', () => {
  const names = legendNames([run('a', '2×LSTM-128 · 0510'), run('b', '2×LSTM-128 · 0612'), run('c', '1×GRU-64 · 0700'), run('d', 'plain')]);
  assert.deepEqual([...names.values()], ['2×LSTM-128 · 0510', '2×LSTM-128 · 0612', '1×GRU-64', 'plain']);
});

test('units say characters only when every run reads characters', () => {
  assert.equal(tokenUnit([run('a', 'A')]), 'character');
  assert.equal(tokenUnit([run('a', 'A'), run('b', 'B', { resolution: 'token' })]), 'token');
});

test('host messages to the dashboard are validated, with null standing for a non-finite metric', () => {
  const step = { kind: 'step', step: 3, epoch: 0, loss: null, gradNorm: 1, clippedGradNorm: 1, lr: 0.002, charsPerSec: 10, time: 1 };
  assert.ok(parseHostToDashboardMessage({ type: 'append', runId: 'r', steps: [step], evals: [], samples: [] }));
  const flow = { step: 3, layer: 0, lastLoss: [1, 0.5, null], windowLoss: [0.1, 0.2, 0.3] };
  assert.ok(parseHostToDashboardMessage({ type: 'show', runs: [{ info: run('a', 'A'), steps: [step], evals: [], samples: [], gradFlow: [flow] }] }));
  assert.ok(parseHostToDashboardMessage({ type: 'append', runId: 'r', steps: [], evals: [], samples: [], gradFlow: [flow] }));
  assert.ok(parseHostToDashboardMessage({ type: 'status', runId: 'r', status: 'failed', stoppedAt: 4 }));
  assert.equal(
    parseHostToDashboardMessage({ type: 'append', runId: 'r', steps: [], evals: [], samples: [], gradFlow: [{ ...flow, lastLoss: ['big'] }] }),
    undefined,
  );
  assert.equal(
    parseHostToDashboardMessage({ type: 'append', runId: 'r', steps: [], evals: [], samples: [], gradFlow: [{ ...flow, lastLoss: new Array(513).fill(1) }] }),
    undefined,
  );
  assert.equal(
    parseHostToDashboardMessage({ type: 'show', runs: [{ info: run('a', 'A'), steps: [step], evals: [], samples: [] }] }),
    undefined,
    'a show carries gradFlow',
  );
  assert.ok(parseHostToDashboardMessage({ type: 'status', runId: 'r', status: 'failed', message: 'loss became NaN at step 3' }));
  assert.equal(parseHostToDashboardMessage({ type: 'append', runId: 'r', steps: [{ ...step, step: 'x' }], evals: [], samples: [] }), undefined);
  assert.equal(parseHostToDashboardMessage({ type: 'status', runId: 'r', status: 'exploded' }), undefined);
  assert.equal(parseHostToDashboardMessage({ type: 'show', runs: [{ info: { id: 'a' }, steps: [], evals: [], samples: [] }] }), undefined);
  assert.equal(parseHostToDashboardMessage({ type: 'nope' }), undefined);
  assert.equal(parseHostToDashboardMessage(null), undefined);
});
