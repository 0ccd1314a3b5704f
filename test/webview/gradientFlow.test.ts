/**
 * The dashboard's gradient-flow chart and heatmaps, and the gradient-norm
 * chart's mark of a run stopped by the non-finite guard, in real headless
 * Chromium, fed with the members of two experiments recorded on this
 * repository's src/ (test/fixtures/dashboard). Screenshots go to
 * test-artefacts/webview/ to be looked at.
 */
import * as assert from 'assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { DashboardRun } from '../../src/protocol/dashboard';
import { recordedRun, recordsAfter, runUpTo } from './fixtures';
import { assertNoPageProblems, launchChromium, openDashboard, saveScreenshot, startPageServer, type PageServer, type WebviewPage } from './harness';
import { DARK, LIGHT } from './themes';

describe('dashboard: gradient flow and the non-finite stop', () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let server: PageServer;
  const vanishing = [recordedRun('vanishing-rnn'), recordedRun('vanishing-lstm'), recordedRun('vanishing-gru')];
  const clipping = [
    recordedRun('clipping-norm', 'norm clipping τ = 1'),
    recordedRun('clipping-value', 'value clipping ±1'),
    recordedRun('clipping-none', 'no clipping'),
  ];

  before(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
    server = await startPageServer('RNN Lab Dashboard');
  });

  after(async () => {
    await closeBrowser?.();
    await server?.close();
  });

  async function withDashboard(body: (page: WebviewPage) => Promise<void>, savedState?: unknown): Promise<void> {
    const page = await openDashboard(browser, server, DARK, savedState);
    try {
      await page.waitFor('window.__posted.some((m) => m.type === "ready")');
      await body(page);
      await assertNoPageProblems(page);
    } finally {
      await page.close();
    }
  }

  async function show(page: WebviewPage, runs: DashboardRun[]): Promise<void> {
    await page.send({ type: 'show', runs });
    await page.waitFor(`document.querySelectorAll('.run').length === ${runs.length}`);
  }

  const heatmaps = (page: WebviewPage) =>
    page.js<{ title: string; rows: number; columns: number; width: number }[]>(
      `[...document.querySelectorAll('.flow-heatmap')].map((f) => { const c = f.querySelector('canvas');
        return { title: f.querySelector('figcaption').textContent, rows: Number(c.dataset.rows), columns: Number(c.dataset.columns), width: c.width }; })`,
    );

  it('overlays the latest ‖∂L_T/∂h_t‖ profile of every run and layer on a log scale, and draws a heatmap per run and layer (dark and light)', async () => {
    await withDashboard(async (page) => {
      await show(page, vanishing);
      const body = `document.querySelector('[data-chart="gradFlow"] .chart-body')`;
      assert.equal(await page.js(`${body}.dataset.series`), '6', 'three runs × two layers');
      assert.equal(await page.js(`${body}.dataset.points`), '64', 'distances 0 … T − 1 with T = 64');
      const legend = await page.js<string[]>(
        `[...document.querySelectorAll('[data-chart="gradFlow"] .u-legend .u-series .u-label')].map((e) => e.textContent)`,
      );
      assert.deepEqual(legend.slice(1), [
        '2×RNN-128 layer 0 @1000',
        '2×RNN-128 layer 1 @1000',
        '2×LSTM-128 layer 0 @1000',
        '2×LSTM-128 layer 1 @1000',
        '2×GRU-128 layer 0 @1000',
        '2×GRU-128 layer 1 @1000',
      ]);
      assert.equal(await page.js(`${body}.dataset.logY`), 'true');
      assert.equal(await page.js(`${body}.dataset.yLabel`), '‖∂L_T/∂h_t‖ (last position)');
      const maps = await heatmaps(page);
      assert.deepEqual(
        maps.map((m) => [m.title, m.rows, m.columns]),
        [
          ['2×RNN-128 layer 0', 10, 64],
          ['2×RNN-128 layer 1', 10, 64],
          ['2×LSTM-128 layer 0', 10, 64],
          ['2×LSTM-128 layer 1', 10, 64],
          ['2×GRU-128 layer 0', 10, 64],
          ['2×GRU-128 layer 1', 10, 64],
        ],
        'one row per measurement (steps 100 … 1000), one column per distance',
      );
      // One colour scale for every heatmap: the recorded norms span many powers of ten.
      const range = await page.js<{ min: number; max: number }>(
        `({ min: Number(document.querySelector('.flow-legend').dataset.min), max: Number(document.querySelector('.flow-legend').dataset.max) })`,
      );
      assert.ok(range.max - range.min > 8, `log10 range ${range.min} … ${range.max}`);
      // The cell at distance 0 is brighter than the one at distance T − 1 in the RNN's upper layer (its gradient vanishes).
      const brightness = await page.js<[number, number]>(`(() => {
        const c = document.querySelectorAll('.flow-heatmap canvas')[1];
        const ctx = c.getContext('2d');
        const lum = (x) => { const d = ctx.getImageData(x, c.height - 2, 1, 1).data; return d[0] + d[1] + d[2]; };
        return [lum(1), lum(c.width - 2)];
      })()`);
      assert.ok(brightness[0] > brightness[1] + 60, `near ${brightness[0]} vs far ${brightness[1]}`);
      await page.page.locator('.flow').screenshot({ path: saveScreenshot('dashboard-gradient-flow.png') });
      await page.setTheme(LIGHT);
      await page.page.waitForTimeout(200);
      await page.page.locator('.flow').screenshot({ path: saveScreenshot('dashboard-gradient-flow-light.png') });
    });
  });

  it('switches both views to the whole window’s loss, and keeps that choice in its saved state', async () => {
    await withDashboard(async (page) => {
      await show(page, vanishing.slice(0, 1));
      const yLabel = () => page.js<string>(`document.querySelector('[data-chart="gradFlow"] .chart-body').dataset.yLabel`);
      const pixels = () => page.js<string>(`document.querySelector('.flow-heatmap canvas').toDataURL()`);
      const before = await pixels();
      await page.page.click('.grad-flow-window');
      await page.waitFor(`window.__savedState && window.__savedState.gradFlowWindow === true`);
      assert.equal(await yLabel(), '‖∂L/∂h_t‖ (whole window)');
      assert.notEqual(await pixels(), before, 'the heatmap shows the other measure');
    });
    // Reopened with that state, it starts on the whole window.
    await withDashboard(
      async (page) => {
        await show(page, vanishing.slice(0, 1));
        assert.equal(await page.js(`document.querySelector('.grad-flow-window').checked`), true);
        assert.equal(await page.js(`document.querySelector('[data-chart="gradFlow"] .chart-body').dataset.yLabel`), '‖∂L/∂h_t‖ (whole window)');
      },
      { runIds: [], gradFlowWindow: true },
    );
  });

  it('says when no measurement exists yet', async () => {
    await withDashboard(async (page) => {
      await show(page, [recordedRun('rnn-1x64')]);
      assert.match(await page.js<string>(`document.querySelector('.flow-note').textContent`), /No measurement yet/);
      assert.equal(await page.js(`document.querySelectorAll('.flow-heatmap').length`), 0);
    });
  });

  it('adds live measurements to the profile and a row to the heatmap', async () => {
    await withDashboard(async (page) => {
      const lstm = vanishing[1];
      await show(page, [runUpTo(lstm, 500)]);
      assert.deepEqual(
        (await heatmaps(page)).map((m) => m.rows),
        [5, 5],
      );
      assert.match(await page.js<string>(`document.querySelector('[data-chart="gradFlow"] .u-legend').textContent`), /@500/);
      await page.send({ type: 'append', runId: lstm.info.id, ...recordsAfter(lstm, 500) });
      await page.waitFor(`[...document.querySelectorAll('.flow-heatmap canvas')].every((c) => c.dataset.rows === '10')`);
      assert.match(await page.js<string>(`document.querySelector('[data-chart="gradFlow"] .u-legend').textContent`), /@1000/);
    });
  });

  it('marks on the gradient-norm chart the step where a run stopped on a non-finite loss, also when the stop arrives live', async () => {
    await withDashboard(async (page) => {
      await show(page, clipping);
      const stops = () => page.js<string>(`document.querySelector('[data-chart="gradNorm"] .chart-body').dataset.stops`);
      assert.equal(await stops(), '6');
      const message = await page.js<string>(`document.querySelector('.run[data-status="failed"] .run-message').textContent`);
      assert.match(message, /gradient norm became infinite at step 6/);
      assert.ok(await page.js(`document.querySelector('[data-chart="gradNorm"] .chart-body').dataset.xMax >= 6`));
      await page.page.screenshot({ path: saveScreenshot('dashboard-clipping-stop.png'), fullPage: true });

      const none = clipping[2];
      await show(page, [{ ...none, info: { ...none.info, status: 'running', stoppedAt: undefined, message: undefined } }]);
      assert.equal(await stops(), '');
      await page.send({ type: 'status', runId: none.info.id, status: 'failed', message: none.info.message, stoppedAt: 6 });
      await page.waitFor(`document.querySelector('[data-chart="gradNorm"] .chart-body').dataset.stops === '6'`);
    });
  });
});
