import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODEL, DEFAULT_TRAINING } from '../../src/core/spec';
import type { MetricsRecord, RunInfo } from '../../src/core/runFormat';
import { MAX_TRAIN_POINTS, parseCompareMessage, parseCompareState, specRows, toCompareRun, wallClockSeconds } from '../../src/protocol/compare';
import { experimentFindings } from '../../src/core/experiments/experimentFindings';
import type { MemberSummary } from '../../src/core/experiments/experimentSummary';

function info(over: Partial<RunInfo> = {}): RunInfo {
  return {
    format: 'rnnlab-run',
    version: 1,
    id: 'run-a',
    status: 'completed',
    createdAt: '',
    updatedAt: '',
    model: { ...DEFAULT_MODEL, vocabSize: 50 },
    training: { ...DEFAULT_TRAINING, batchSize: 2, seqLength: 5 },
    corpus: {
      inputs: [],
      documents: 1,
      trainDocuments: 1,
      validationDocuments: 0,
      trainTokens: 900,
      validationTokens: 100,
      characters: 4000,
      skipped: {},
      skippedExamples: [],
    },
    backend: { name: 'wasm' },
    progress: { step: 4, totalSteps: 4, epoch: 0, bestValLoss: Math.LN2 * 2 },
    timings: { trainingMs: 1, startedAt: '' },
    ...over,
  };
}

const step = (n: number, time: number, loss = Math.LN2): Extract<MetricsRecord, { kind: 'step' }> => ({
  kind: 'step',
  step: n,
  epoch: 0,
  loss,
  gradNorm: 1,
  clippedGradNorm: 1,
  lr: 0.01,
  charsPerSec: 10, // 10 tokens of one character per window: one second per step
  time,
});

test('wall-clock seconds follow the records, leaving out the pause between a stop and its resume', () => {
  const steps = [step(1, 10_000), step(2, 11_000), step(3, 500_000), step(4, 502_000)];
  assert.deepEqual(wallClockSeconds(steps, info({ resumedAt: [2] })), [1, 2, 3, 5]);
  assert.deepEqual(wallClockSeconds(steps, info()), [1, 2, 491, 493], 'without a resume, a gap is time spent');
});

test('a token-level run compares in bits per character, with its corpus’s tokens per character', () => {
  const tokenRun = info({ training: { ...DEFAULT_TRAINING, resolution: 'token', batchSize: 2, seqLength: 5 } });
  const metrics: MetricsRecord[] = [step(1, 0, Math.LN2 * 4), { kind: 'eval', step: 1, valLoss: Math.LN2 * 8, time: 0 }];
  const run = toCompareRun(tokenRun, metrics, 'variant');
  // 1000 tokens for 4000 characters: 4 bits per token are 1 bit per character.
  assert.equal(run.train[0].bits, 1);
  assert.equal(run.validation[0].bits, 2);
  assert.equal(run.bestValBitsPerChar, 0.5);
  assert.equal(run.variant, 'variant');
  const charRun = toCompareRun(info(), metrics);
  assert.equal(charRun.train[0].bits, 4);
  assert.equal(charRun.variant, undefined);
});

test('long runs are thinned to at most MAX_TRAIN_POINTS training points, keeping the last; a non-finite loss is null', () => {
  const many = Array.from({ length: 3 * MAX_TRAIN_POINTS + 7 }, (_, i) => step(i + 1, i * 1000, i === 5 ? NaN : 1));
  const run = toCompareRun(info({ nonFinite: { step: many.length + 1, loss: null, gradNorm: null } }), many);
  assert.ok(run.train.length <= MAX_TRAIN_POINTS + 1);
  assert.equal(run.train.at(-1)!.step, many.length);
  assert.equal(run.stoppedAt, many.length + 1);
  const short = toCompareRun(info(), many.slice(0, 10));
  assert.equal(short.train[5].bits, null);
});

test('the spec rows name every field two runs can differ in, in a fixed order', () => {
  const rows = specRows(info()).map((r) => r.field);
  assert.deepEqual(rows.slice(0, 4), ['cell', 'layers', 'hidden units', 'input']);
  assert.ok(rows.includes('clipping') && rows.includes('learning rate') && rows.includes('seed'));
  const clip = (mode: 'norm' | 'value' | 'none') =>
    specRows(info({ training: { ...DEFAULT_TRAINING, clipMode: mode, clipValue: 2 } })).find((r) => r.field === 'clipping')!.value;
  assert.deepEqual([clip('norm'), clip('value'), clip('none')], ['global norm ≤ τ = 2', 'each element to ±2', 'none']);
});

test('messages from the comparison webview are checked; restored state keeps only run folders, title and the log-scale choice', () => {
  assert.deepEqual(parseCompareMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseCompareMessage({ type: 'openRun', runId: 'x' }), { type: 'openRun', runId: 'x' });
  assert.equal(parseCompareMessage({ type: 'openRun', runId: 3 }), undefined);
  assert.equal(parseCompareMessage({ type: 'deleteEverything' }), undefined);
  assert.equal(parseCompareMessage({ type: 'ready', extra: 1 }), undefined);
  assert.deepEqual(parseCompareState({ runDirs: ['/a'], title: 't', logScale: true }), { runDirs: ['/a'], title: 't', logScale: true });
  assert.equal(parseCompareState({ runDirs: 'a', title: 't' }), undefined);
});

test('findings say what happened to each clipping member, in the lecture’s terms', () => {
  const member = (over: Partial<MemberSummary>): MemberSummary => ({
    name: 'x',
    label: 'x',
    runDir: '/r',
    status: 'completed',
    cell: 'rnn',
    clipMode: 'norm',
    clipValue: 1,
    hidden: 8,
    layers: 1,
    parameters: 100,
    steps: 10,
    finalValBitsPerChar: 3,
    bestValBitsPerChar: 3,
    finalLossBitsPerChar: 3,
    maxLossBitsPerChar: 5,
    maxGradNorm: 12,
    maxClippedGradNorm: 1,
    stoppedNonFinite: false,
    nonFiniteStep: null,
    gradFlow: {},
    gradFlowStep: null,
    gradFlowLength: null,
    ...over,
  });
  const lines = experimentFindings({
    kind: 'clipping',
    dir: '/e',
    status: 'completed',
    runs: [
      member({ label: 'norm clipping τ = 1' }),
      member({
        label: 'no clipping',
        clipMode: 'none',
        maxGradNorm: 6000,
        maxClippedGradNorm: 6000,
        stoppedNonFinite: true,
        nonFiniteStep: 6,
        status: 'failed',
      }),
      member({ label: 'pending one', status: 'pending', maxGradNorm: null }),
    ],
  });
  assert.match(lines[0], /max ‖g‖ before clipping 12\.000 = 12\.0·τ; after clipping at most 1\.000 \(never above τ\)/);
  assert.match(lines[1], /stopped by the guard at step 6: the loss or gradient became non-finite/);
  assert.match(lines[1], /6\.00e\+3 = 6000\.0·τ/);
  assert.match(lines[2], /not trained yet/);
});
