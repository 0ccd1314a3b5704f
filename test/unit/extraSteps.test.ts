import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MAX_EXTRA_STEPS, isExtraSteps, parseExtraSteps, suggestedExtraSteps } from '../../src/core/extraSteps';
import { parseDashboardMessage } from '../../src/protocol/dashboard';
import { languageOfFiles } from '../../src/extension/training/languageGlobs';

test('the suggested step count: the rest of the plan for a stopped run, the planned count again for a finished one', () => {
  assert.equal(suggestedExtraSteps({ progress: { step: 793, totalSteps: 2000 } }), 1207);
  assert.equal(suggestedExtraSteps({ progress: { step: 2000, totalSteps: 2000 } }), 2000);
});

test('a typed step count is a whole number from 1 to the limit; separators are allowed', () => {
  assert.deepEqual(parseExtraSteps(' 2,000 '), { steps: 2000 });
  assert.deepEqual(parseExtraSteps('1_500'), { steps: 1500 });
  for (const bad of ['', 'abc', '1.5', '-3', '1e3']) assert.ok('error' in parseExtraSteps(bad), bad);
  assert.match((parseExtraSteps('0') as { error: string }).error, /at least one/);
  assert.match((parseExtraSteps(String(MAX_EXTRA_STEPS + 1)) as { error: string }).error, /At most/);
  assert.equal(isExtraSteps(5), true);
  for (const bad of [0, -1, 1.5, NaN, Infinity, '5', MAX_EXTRA_STEPS + 1]) assert.equal(isExtraSteps(bad), false, String(bad));
});

test('the dashboard’s resumeRun message is checked: a run id (never a path) and a step count', () => {
  assert.deepEqual(parseDashboardMessage({ type: 'resumeRun', runId: '20261205-031555-lstm-2x128', extraSteps: 500 }), {
    type: 'resumeRun',
    runId: '20261205-031555-lstm-2x128',
    extraSteps: 500,
  });
  for (const bad of [
    { type: 'resumeRun', runId: '../elsewhere', extraSteps: 5 },
    { type: 'resumeRun', runId: 'r', extraSteps: 0 },
    { type: 'resumeRun', runId: 'r', extraSteps: 2.5 },
    { type: 'resumeRun', runId: 'r', extraSteps: '5' },
    { type: 'resumeRun', runId: 'r' },
    { type: 'resumeRun', runId: 'r', extraSteps: 5, more: true },
  ])
    assert.equal(parseDashboardMessage(bad), undefined, JSON.stringify(bad));
});

test('a sample opens in the language most of the run’s files are in', () => {
  assert.equal(languageOfFiles(['a.py', 'b/c.py', 'd.ts']), 'python');
  assert.equal(languageOfFiles(['src/x.ts', 'src/y.TS', 'README.md']), 'typescript');
  assert.equal(languageOfFiles(['Makefile', 'notes']), undefined);
  assert.equal(languageOfFiles([]), undefined);
});
