/**
 * A tagger's and a classifier's evaluations on the dashboard, in real headless
 * Chromium under the page's CSP: the accuracy / macro-F1 chart, the confusion
 * matrix as a shaded table with labels on both axes, the per-class table, a
 * selector between overlaid task runs, and labels from user data shown as text.
 * Screenshots (wide and narrow) go to test-artefacts/webview/.
 */
import * as assert from 'assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { DashboardRun } from '../../src/protocol/dashboard';
import type { TaskEvalRecord } from '../../src/protocol/tasks';
import { recordedRun } from './fixtures';
import { assertNoPageProblems, launchChromium, openDashboard, saveScreenshot, startPageServer, type PageServer } from './harness';
import { DARK } from './themes';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** An evaluation whose figures follow from its confusion matrix (rows: truth). */
function evaluation(step: number, labels: string[], confusion: number[][]): TaskEvalRecord {
  const total = confusion.flat().reduce((a, b) => a + b, 0);
  const classes = labels.map((label, k) => {
    const support = confusion[k].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[k], 0);
    const precision = predicted ? confusion[k][k] / predicted : 0;
    const recall = support ? confusion[k][k] / support : 0;
    return { label, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
  const accuracy = labels.reduce((a, _, k) => a + confusion[k][k], 0) / total;
  const macroF1 = classes.reduce((a, c) => a + c.f1, 0) / classes.length;
  return { kind: 'taskEval', step, valLoss: 1 / step, accuracy, macroF1, classes, confusion, time: step };
}

function taskRun(base: DashboardRun, task: 'tag' | 'classify', labels: string[], matrices: number[][][]): DashboardRun {
  return {
    ...base,
    info: { ...base.info, task },
    samples: [],
    gradFlow: [],
    taskEvals: matrices.map((m, i) => evaluation(100 * (i + 1), labels, m)),
  };
}

const CLASSIFIER_LABELS = ['python', 'typescript', 'rust', HOSTILE];
const classifier = taskRun(recordedRun('lstm-1x64'), 'classify', CLASSIFIER_LABELS, [
  [
    [30, 12, 5, 3],
    [10, 28, 8, 4],
    [6, 9, 30, 5],
    [8, 8, 8, 26],
  ],
  [
    [45, 3, 1, 1],
    [2, 44, 3, 1],
    [1, 2, 46, 1],
    [2, 1, 2, 45],
  ],
]);
const TAGGER_LABELS = ['keyword', 'identifier', 'string', 'comment', 'number', 'punctuation', 'whitespace'];
const tagger = taskRun(recordedRun('rnn-1x64'), 'tag', TAGGER_LABELS, [
  TAGGER_LABELS.map((_, i) => TAGGER_LABELS.map((__, j) => (i === j ? 400 + 10 * i : (i + j) % 3) * 1)),
]);

describe('task evaluations on the dashboard', () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let server: PageServer;

  before(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
    server = await startPageServer('RNN Lab Dashboard');
  });

  after(async () => {
    await closeBrowser?.();
    await server?.close();
  });

  it('shows accuracy and macro-F1 over steps, the newest confusion matrix and the per-class table; labels are text', async () => {
    const page = await openDashboard(browser, server, DARK);
    try {
      await page.waitFor('window.__posted.some((m) => m.type === "ready")');
      assert.equal(await page.js('document.querySelector(".task-metrics").hidden'), true, 'no task section for language models');
      await page.send({ type: 'show', runs: [classifier] });
      await page.waitFor(`document.querySelector('.confusion-matrix') !== null`);
      const matrix = await page.js<{ columns: string[]; rows: string[]; cells: string[][] }>(`(() => {
        const t = document.querySelector('.confusion-matrix');
        return {
          columns: [...t.tHead.rows[0].cells].slice(1).map((c) => c.textContent),
          rows: [...t.tBodies[0].rows].map((r) => r.cells[0].textContent),
          cells: [...t.tBodies[0].rows].map((r) => [...r.cells].slice(1).map((c) => c.textContent)),
        };
      })()`);
      assert.deepEqual(matrix.columns, CLASSIFIER_LABELS);
      assert.deepEqual(matrix.rows, CLASSIFIER_LABELS);
      assert.deepEqual(matrix.cells[0], ['45', '3', '1', '1'], 'the newest evaluation');
      assert.equal(await page.js('document.querySelectorAll(".task-metrics img").length'), 0, 'a label is never markup');
      const perClass = await page.js<string[][]>(`[...document.querySelectorAll('.per-class tbody tr')].map((r) => [...r.cells].map((c) => c.textContent))`);
      assert.deepEqual(perClass[0], ['python', '0.900', '0.900', '0.900', '50']);
      assert.equal(perClass[3][0], HOSTILE);
      assert.match(await page.js<string>('document.querySelector(".task-summary").textContent'), /^Step 200: accuracy 90\.00%, macro-F1 0\.900\./);
      assert.equal(await page.js('Number(document.querySelector(\'[data-chart="task-accuracy"] .task-chart-body\').dataset.points)'), 2, 'two evaluations');
      assert.equal(await page.js('document.querySelector(".task-run-select").hidden'), true, 'no selector for one run');
      await page.page.screenshot({ path: saveScreenshot('dashboard-classifier.png'), fullPage: true });

      await page.send({ type: 'show', runs: [classifier, tagger] });
      await page.waitFor(`document.querySelectorAll('.task-run-select option').length === 2`);
      await page.page.selectOption('.task-run-select select', tagger.info.id);
      await page.waitFor(`document.querySelector('.confusion-matrix thead').textContent.includes('whitespace')`);
      assert.equal(await page.js('Number(document.querySelector(\'[data-chart="task-accuracy"] .task-chart-body\').dataset.points)'), 2, 'the same two steps');
      const legend = await page.js<string>('document.querySelector(\'[data-chart="task-accuracy"]\').textContent');
      assert.match(legend, /macro-F1/);
      const legendLabels = `[...document.querySelectorAll('[data-chart="task-accuracy"] .u-legend th')]`;
      const cutLegendLabels = `${legendLabels}.filter((th) => th.scrollWidth > th.clientWidth + 1).length`;
      assert.equal(await page.js(cutLegendLabels), 0, 'no legend label is cut short (the detail tables’ ellipsis is theirs only)');
      await page.page.screenshot({ path: saveScreenshot('dashboard-tasks-overlaid.png'), fullPage: true });

      const next = evaluation(300, CLASSIFIER_LABELS, [
        [50, 0, 0, 0],
        [0, 50, 0, 0],
        [0, 0, 50, 0],
        [0, 0, 1, 49],
      ]);
      await page.page.selectOption('.task-run-select select', classifier.info.id);
      await page.send({ type: 'append', runId: classifier.info.id, steps: [], evals: [], samples: [], taskEvals: [next] });
      await page.waitFor(`document.querySelector('.task-summary').textContent.startsWith('Step 300')`);

      await page.page.setViewportSize({ width: 420, height: 900 });
      await page.page.waitForTimeout(200);
      const overflow = await page.js<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(overflow <= 1, `the page does not scroll sideways at 420 px (${overflow})`);
      await page.page.screenshot({ path: saveScreenshot('dashboard-tasks-narrow.png'), fullPage: true });
      await assertNoPageProblems(page);
    } finally {
      await page.close();
    }
  });

  it('a task evaluation that fails its check is not drawn', async () => {
    const page = await openDashboard(browser, server, DARK);
    try {
      await page.waitFor('window.__posted.some((m) => m.type === "ready")');
      const broken = { ...classifier, taskEvals: [{ ...classifier.taskEvals![0], confusion: [['<b>1</b>']] }] };
      await page.send({ type: 'show', runs: [broken] });
      await page.page.waitForTimeout(200);
      assert.equal(await page.js('document.querySelectorAll(".run").length'), 0, 'the whole message is refused');
      await assertNoPageProblems(page);
    } finally {
      await page.close();
    }
  });
});
