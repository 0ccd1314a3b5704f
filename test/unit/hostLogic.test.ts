/** Pieces of the extension host that need no VS Code: run listing, labels, presets, paths, language globs. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listRuns, markRunInterrupted } from '../../src/core/runIndex';
import { isInside } from '../../src/core/paths';
import { PRESETS, trainingOf } from '../../src/core/presets';
import { modelLabel, runDescription } from '../../src/core/runLabels';
import { DEFAULT_TRAINING, validateModelSpec, validateTrainingSpec } from '../../src/core/spec';
import type { RunInfo } from '../../src/core/runFormat';
import { globsForLanguage } from '../../src/extension/training/languageGlobs';
import { tempDir } from './support/tempDir';

function info(id: string, createdAt: string, overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    format: 'rnnlab-run',
    version: 1,
    id,
    status: 'completed',
    createdAt,
    updatedAt: createdAt,
    model: { cell: 'lstm', layers: 2, hidden: 128, embedding: 0, dropout: 0, vocabSize: 80, bidirectional: false },
    training: { ...DEFAULT_TRAINING },
    corpus: {
      inputs: [],
      documents: 1,
      trainDocuments: 1,
      validationDocuments: 0,
      trainTokens: 10,
      validationTokens: 0,
      characters: 10,
      skipped: {},
      skippedExamples: [],
    },
    backend: { name: 'wasm' },
    progress: { step: 1000, totalSteps: 1000, epoch: 3, bestValLoss: Math.LN2 * 1.5 },
    timings: { trainingMs: 1, startedAt: createdAt },
    ...overrides,
  };
}

test('listRuns lists run folders newest first, shows unreadable ones with the problem, and skips other folders', () => {
  const dir = tempDir();
  const write = (id: string, content: string) => {
    fs.mkdirSync(path.join(dir, id), { recursive: true });
    fs.writeFileSync(path.join(dir, id, 'run.json'), content);
  };
  write('old', JSON.stringify(info('old', '2026-01-01T00:00:00Z')));
  write('new', JSON.stringify(info('new', '2026-02-01T00:00:00Z')));
  write('broken', '{ not json');
  fs.mkdirSync(path.join(dir, 'not-a-run'));
  const runs = listRuns(dir);
  assert.deepEqual(
    runs.map((r) => r.id),
    ['new', 'old', 'broken'],
  );
  assert.match(runs[2].problem!, /not valid JSON/);
  assert.deepEqual(listRuns(path.join(dir, 'missing')), []);
});

test('markRunInterrupted turns a running run into a failed, resumable one and leaves finished runs alone', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'r'));
  fs.writeFileSync(
    path.join(dir, 'r', 'run.json'),
    JSON.stringify(info('r', '2026-01-01T00:00:00Z', { status: 'running', checkpoint: 'checkpoints/step-0000200' })),
  );
  assert.equal(markRunInterrupted(path.join(dir, 'r'), 'the engine process was killed (SIGKILL)'), true);
  const after = JSON.parse(fs.readFileSync(path.join(dir, 'r', 'run.json'), 'utf8')) as RunInfo;
  assert.equal(after.status, 'failed');
  assert.match(after.message!, /killed \(SIGKILL\); resume it from its last checkpoint \(step 200\)/);
  assert.equal(markRunInterrupted(path.join(dir, 'r'), 'again'), false, 'a failed run is not touched again');
});

test('labels: model label and one-line description in bits', () => {
  const i = info('x', '2026-01-01T00:00:00Z');
  assert.equal(modelLabel(i), '2×LSTM-128');
  assert.equal(runDescription(i), 'completed · 1.50 bits/char'); // bestValLoss = 1.5 ln 2 nats = 1.5 bits
  assert.equal(runDescription({ ...i, status: 'running', progress: { step: 5, totalSteps: 10, epoch: 0 } }), 'running 5/10');
});

test('every preset is a valid model and training spec', () => {
  assert.ok(PRESETS.length >= 4);
  for (const p of PRESETS) {
    validateModelSpec({ ...p.model, vocabSize: 50 });
    validateTrainingSpec(trainingOf(p));
  }
  assert.deepEqual(PRESETS.map((p) => p.model.cell).sort(), ['gru', 'lstm', 'lstm', 'rnn']);
  assert.equal(trainingOf(PRESETS[0], { maxFileBytes: 5 }).maxFileBytes, 5);
  // The default (first) preset is the one measured best in a few minutes on a TypeScript workspace (issue #15, presets.ts).
  assert.equal(PRESETS[0].id, 'gru-2x128');
  assert.deepEqual(
    [trainingOf(PRESETS[0]).steps, trainingOf(PRESETS[0]).learningRate, trainingOf(PRESETS[0]).lrDecay, trainingOf(PRESETS[0]).lrDecayEvery],
    [2000, 4e-3, 0.5, 700],
  );
});

test('isInside tells folders inside a workspace from ones that escape it', () => {
  assert.equal(isInside('/w/.rnnlab/runs', '/w'), true);
  assert.equal(isInside('/w', '/w'), true);
  assert.equal(isInside('/w/../etc', '/w'), false);
  assert.equal(isInside('/tmp/runs', '/w'), false);
  assert.equal(isInside('/w2/runs', '/w'), false);
});

test('language globs: known languages, and the file extension as a fallback', () => {
  assert.deepEqual(globsForLanguage('python'), ['*.py', '*.pyi']);
  assert.deepEqual(globsForLanguage('zig', '/src/main.zig'), ['*.zig']);
  assert.equal(globsForLanguage('unknown'), undefined);
});
