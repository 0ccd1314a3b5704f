/**
 * The run comparison webview in real headless Chromium, under the CSP of the
 * page the extension serves, fed with the members of two experiments recorded
 * on this repository's src/ (the host's own mapping, toCompareRun).
 * Screenshots go to test-artefacts/webview/ to be looked at.
 */
import * as assert from 'assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { toCompareRun, type CompareRun } from '../../src/protocol/compare';
import { recordedFolder, type RecordedRunName } from './fixtures';
import { assertNoPageProblems, launchChromium, openWebview, saveScreenshot, startPageServer, type PageServer, type WebviewPage } from './harness';
import { DARK, LIGHT } from './themes';

const HOSTILE = '<img src=x onerror=alert(1)>';

function compareRun(name: RecordedRunName, variant?: string): CompareRun {
  const r = recordedFolder(name);
  return toCompareRun(r.run, r.metrics, variant);
}

describe('run comparison webview', () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let server: PageServer;
  const clipping = [
    compareRun('clipping-norm', 'norm clipping τ = 1'),
    compareRun('clipping-value', 'value clipping ±1'),
    compareRun('clipping-none', 'no clipping'),
  ];
  const vanishing = [compareRun('vanishing-rnn', 'RNN 2×128'), compareRun('vanishing-lstm', 'LSTM 2×128'), compareRun('vanishing-gru', 'GRU 2×128')];

  before(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
    server = await startPageServer('RNN Lab: Compare Runs');
  });

  after(async () => {
    await closeBrowser?.();
    await server?.close();
  });

  async function withCompare(body: (page: WebviewPage) => Promise<void>, theme = DARK): Promise<void> {
    const page = await openWebview(browser, server, 'compare', theme);
    try {
      await page.waitFor('window.__posted.some((m) => m.type === "ready")');
      await body(page);
      await assertNoPageProblems(page);
    } finally {
      await page.close();
    }
  }

  async function show(page: WebviewPage, title: string, runs: CompareRun[]): Promise<void> {
    await page.send({ type: 'show', title, runs, state: { runDirs: runs.map((r) => `/runs/${r.id}`), title } });
    await page.waitFor(`document.querySelectorAll('.compare-table thead th').length === ${runs.length + 1}`);
  }

  const rows = (page: WebviewPage) =>
    page.js<{ field: string; differs: boolean; values: string[] }[]>(
      `[...document.querySelectorAll('.compare-table tbody tr')].map((tr) => ({
        field: tr.dataset.field, differs: tr.classList.contains('differs'), values: [...tr.querySelectorAll('td')].map((td) => td.textContent) }))`,
    );

  it('tables three clipping runs with the one differing field marked, their results, and both loss charts (dark and light)', async () => {
    for (const [theme, file] of [
      [DARK, 'compare-clipping.png'],
      [LIGHT, 'compare-clipping-light.png'],
    ] as const) {
      await withCompare(async (page) => {
        await show(page, 'Compare: clipping experiment', clipping);
        const table = await rows(page);
        const differing = table.filter((r) => r.differs).map((r) => r.field);
        assert.deepEqual(differing, ['clipping'], 'same model, data and seed: only the clipping differs');
        assert.deepEqual(table.find((r) => r.field === 'clipping')!.values, ['global norm ≤ τ = 1', 'each element to ±1', 'none']);
        assert.deepEqual(table.find((r) => r.field === 'cell')!.values, ['lstm', 'lstm', 'lstm']);
        assert.deepEqual(table.find((r) => r.field === 'steps trained')!.values, ['300', '300', '5']);
        assert.match(table.find((r) => r.field === 'status')!.values[2], /failed: non-finite loss at step 6/);
        const params = table.find((r) => r.field === 'parameters')!.values;
        assert.equal(new Set(params).size, 1);
        assert.equal(await page.js(`document.querySelector('tr[data-field="best validation (bits/char)"] td.best')?.cellIndex`), 1, 'the clipped run is best');
        assert.equal(await page.js(`document.querySelector('[data-chart="step"] .chart-body').dataset.series`), '6');
        assert.equal(await page.js(`document.querySelector('[data-chart="time"] .chart-body').dataset.series`), '6');
        const headers = await page.js<string[]>(`[...document.querySelectorAll('.compare-table thead .run-name')].map((e) => e.textContent)`);
        assert.deepEqual(headers, ['norm clipping τ = 1', 'value clipping ±1', 'no clipping']);
        const differsBackground = await page.js<string>(`getComputedStyle(document.querySelector('tr.differs td')).backgroundColor`);
        assert.equal(differsBackground, 'rgba(234, 92, 0, 0.33)', 'marked with the theme’s highlight');
        await page.page.screenshot({ path: saveScreenshot(file), fullPage: true });
      }, theme);
    }
  });

  it('compares cells: the cell, hidden size kept, parameter counts differ; Open posts openRun for that run', async () => {
    await withCompare(async (page) => {
      await show(page, 'Compare: vanishing experiment', vanishing);
      const table = await rows(page);
      assert.deepEqual(
        table.filter((r) => r.differs).map((r) => r.field),
        ['cell'],
      );
      const params = table.find((r) => r.field === 'parameters')!.values.map((v) => Number(v.replace(/,/g, '')));
      assert.ok(params[0] < params[2] && params[2] < params[1], `RNN < GRU < LSTM: ${params}`);
      assert.ok(table.find((r) => r.field === 'wall time')!.values.every((v) => /\d/.test(v)));
      await page.page.click('.compare-table thead th:nth-child(3) .open-run');
      await page.waitFor(`window.__posted.some((m) => m.type === 'openRun')`);
      assert.deepEqual((await page.posted()).at(-1), { type: 'openRun', runId: vanishing[1].id });
      const state = (await page.savedState()) as { runDirs: string[] };
      assert.equal(state.runDirs.length, 3, 'the panel serializer can reopen the same runs');
      await page.page.click('.log-scale-loss');
      await page.waitFor(`document.querySelector('[data-chart="step"] .chart-body').dataset.logY === 'true'`);
      assert.equal(((await page.savedState()) as { logScale: boolean }).logScale, true);
    });
  });

  it('shows token-level runs in bits per character, and hostile labels as text', async () => {
    await withCompare(async (page) => {
      const token = { ...vanishing[0], id: 'token-run', resolution: 'token' as const, label: HOSTILE, variant: undefined };
      await show(page, HOSTILE, [token, vanishing[1]]);
      assert.equal(await page.js(`document.querySelector('h1').textContent`), HOSTILE);
      assert.equal(await page.js(`document.querySelector('.compare-table thead .run-name').textContent`), HOSTILE);
      assert.equal(await page.js(`document.querySelectorAll('img').length`), 0);
      assert.match(await page.js<string>(`document.querySelector('.note').textContent`), /token-level runs converted/);
      assert.equal(await page.js(`document.querySelector('[data-chart="step"] .chart-body').dataset.yLabel`), 'bits per character');
      assert.equal(await page.js(`document.querySelector('[data-chart="time"] .chart-body').dataset.yLabel`), 'bits per character');
    });
  });

  it('asks for two or more runs when given one, and ignores malformed messages', async () => {
    await withCompare(async (page) => {
      await show(page, 'one', [clipping[0]]);
      assert.match(await page.js<string>(`document.querySelector('.note').textContent`), /two or more runs/);
      await page.send({ type: 'show', title: 'x', runs: [{ id: 1 }], state: { runDirs: [], title: 'x' } });
      await page.send({ type: 'explode' });
      await page.page.waitForTimeout(50);
      assert.equal(await page.js(`document.querySelectorAll('.compare-table thead th').length`), 2);
    });
  });
});
