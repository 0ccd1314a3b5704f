/**
 * The training dashboard in real headless Chromium, under the CSP of the page
 * the extension serves, fed with metrics recorded from real training runs.
 * Screenshots go to test-artefacts/webview/ to be looked at.
 */
import * as assert from 'assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { DashboardRun } from '../../src/protocol/dashboard';
import { recordedRun, recordsAfter, runUpTo } from './fixtures';
import { assertNoPageProblems, launchChromium, openDashboard, saveScreenshot, startPageServer, type PageServer, type WebviewPage } from './harness';
import { DARK, LIGHT } from './themes';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('training dashboard webview', () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let server: PageServer;
  const rnn = recordedRun('rnn-1x64');
  const lstm = recordedRun('lstm-1x64');

  before(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
    server = await startPageServer(`RNN Lab Dashboard ${HOSTILE}`);
  });

  after(async () => {
    await closeBrowser?.();
    await server?.close();
  });

  /** Opens the page, runs the test body, then checks the page logged no error and broke no CSP rule. */
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

  const points = (page: WebviewPage, chart: string) => page.js<number>(`Number(document.querySelector('[data-chart="${chart}"] .chart-body').dataset.points)`);

  it('posts ready on load and draws three charts, the legend and the samples of two recorded runs', async () => {
    await withDashboard(async (page) => {
      assert.deepEqual(await page.posted(), [{ type: 'ready' }]);
      assert.equal(await page.js('document.querySelector(".empty-note").hidden'), false, 'an empty dashboard says so');

      await show(page, [rnn, lstm]);

      const canvases = await page.js<{ chart: string; width: number; height: number; cssWidth: number }[]>(`
        [...document.querySelectorAll('.charts:not(.flow) > .chart-panel')].map((panel) => {
          const canvas = panel.querySelector('canvas');
          return { chart: panel.dataset.chart, width: canvas.width, height: canvas.height, cssWidth: canvas.getBoundingClientRect().width };
        })`);
      assert.deepEqual(
        canvases.map((c) => c.chart),
        ['loss', 'gradNorm', 'speed'],
      );
      for (const c of canvases) {
        assert.ok(c.width > 300 && c.height > 150, `${c.chart} canvas is ${c.width}×${c.height}`);
        assert.ok(c.cssWidth > 300, `${c.chart} canvas is laid out ${c.cssWidth}px wide`);
      }
      assert.equal(await points(page, 'loss'), 200, 'one x value per recorded step');

      const runLabels = await page.js<string[]>(`[...document.querySelectorAll('.run-label')].map((e) => e.textContent)`);
      assert.deepEqual(runLabels, [rnn.info.label, lstm.info.label]);
      const lossLegend = await page.js<string[]>(
        `[...document.querySelectorAll('[data-chart="loss"] .u-legend .u-series .u-label')].map((e) => e.textContent)`,
      );
      // Legends name runs by the label's first part ("1×RNN-64") when that is unambiguous.
      assert.deepEqual(lossLegend, ['step', '1×RNN-64 train', '1×RNN-64 validation', '1×LSTM-64 train', '1×LSTM-64 validation']);
      const gradLegend = await page.js<string[]>(
        `[...document.querySelectorAll('[data-chart="gradNorm"] .u-legend .u-series .u-label')].map((e) => e.textContent)`,
      );
      assert.ok(gradLegend.includes('τ = 5'), `the clipping threshold is a series: ${gradLegend.join(' | ')}`);
      assert.equal(await page.js(`document.querySelector('[data-chart="gradNorm"] .chart-body').dataset.logScale`), 'true');
      assert.equal(await page.js(`document.querySelector('[data-chart="loss"] .chart-body').dataset.logScale`), 'false');

      const samples = await page.js<{ runId: string; step: string }[]>(`[...document.querySelectorAll('.sample')].map((e) => ({ ...e.dataset }))`);
      assert.deepEqual(
        samples,
        [
          { runId: lstm.info.id, step: '200' },
          { runId: lstm.info.id, step: '100' },
          { runId: rnn.info.id, step: '200' },
          { runId: rnn.info.id, step: '100' },
        ],
        'newest first',
      );
      assert.equal(await page.js(`document.querySelector('.sample-text').textContent`), lstm.samples[1].text);
      assert.equal(await page.js(`getComputedStyle(document.querySelector('.sample-text')).whiteSpace`), 'pre-wrap');

      await page.page.screenshot({ path: saveScreenshot('dashboard.png'), fullPage: true });

      // A theme switch repaints the charts in the new theme's colours.
      const markerColour = `getComputedStyle(document.querySelector('[data-chart="loss"] .u-series:nth-child(2) .u-marker')).borderColor`;
      assert.equal(await page.js(markerColour), 'rgb(55, 148, 255)', 'dark theme blue');
      await page.setTheme(LIGHT);
      await page.waitFor(`${markerColour} === 'rgb(26, 133, 255)'`);
      await page.page.screenshot({ path: saveScreenshot('dashboard-light.png'), fullPage: true });
    });
  });

  it('adds appended records to the charts, the run header and the samples', async () => {
    await withDashboard(async (page) => {
      await show(page, [runUpTo(lstm, 120)]);
      assert.equal(await points(page, 'gradNorm'), 120);
      assert.match(await page.js<string>(`document.querySelector('.run-details').textContent`), /^step 120\/200 · /);

      const xMax = (chart: string) => page.js<number>(`Number(document.querySelector('[data-chart="${chart}"] .chart-body').dataset.xMax)`);
      assert.equal(await xMax('loss'), 120);

      await page.send({ type: 'append', runId: lstm.info.id, ...recordsAfter(lstm, 120) });
      await page.waitFor(`document.querySelector('[data-chart="gradNorm"] .chart-body').dataset.points === '200'`);
      assert.equal(await xMax('loss'), 200, 'the x range follows the new steps');
      assert.equal(await points(page, 'loss'), 200);
      assert.equal(await points(page, 'speed'), 200);
      await page.waitFor(`document.querySelector('.run-details').textContent.startsWith('step 200/200 · ')`);
      assert.deepEqual(await page.js(`[...document.querySelectorAll('.sample')].map((e) => e.dataset.step)`), ['200', '100']);

      // Records for a run that is not shown change nothing.
      await page.send({ type: 'append', runId: 'not-shown', steps: lstm.steps.slice(0, 1), evals: [], samples: [] });
      await page.send({ type: 'status', runId: lstm.info.id, status: 'completed' });
      await page.waitFor(`document.querySelector('.run-status').textContent === 'completed'`);
      assert.equal(await points(page, 'loss'), 200);
    });
  });

  it('keeps a zoomed-in view while records arrive, until a double-click resets it', async () => {
    await withDashboard(async (page) => {
      await show(page, [runUpTo(lstm, 120)]);
      const xMax = () => page.js<number>(`Number(document.querySelector('[data-chart="loss"] .chart-body').dataset.xMax)`);
      const box = await page.page.locator('[data-chart="loss"] .u-over').boundingBox();
      assert.ok(box);
      // Drag across the middle half of the plot: uPlot zooms the x scale to it.
      await page.page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
      await page.page.mouse.down();
      await page.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
      await page.page.mouse.up();
      await page.send({ type: 'append', runId: lstm.info.id, ...recordsAfter(lstm, 120) });
      await page.waitFor(`document.querySelector('[data-chart="loss"] .chart-body').dataset.points === '200'`);
      const kept = await xMax();
      assert.ok(kept < 120, `the zoomed range (max step ${kept}) is kept`);
      await page.page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
      await page.send({ type: 'append', runId: lstm.info.id, steps: [{ ...lstm.steps[199], step: 201 }], evals: [], samples: [] });
      await page.waitFor(`document.querySelector('[data-chart="loss"] .chart-body').dataset.xMax === '201'`);
    });
  });

  it('keeps up with tens of thousands of steps sent one append at a time', async () => {
    await withDashboard(async (page) => {
      await show(page, [runUpTo(rnn, 0)]);
      // 20,000 steps in 200 messages of 100, as a long run's live events would arrive.
      const elapsed = await page.js<number>(`(async () => {
        const started = performance.now();
        const id = ${JSON.stringify(rnn.info.id)};
        for (let batch = 0; batch < 200; batch++) {
          const steps = [];
          for (let i = 1; i <= 100; i++) {
            const step = batch * 100 + i;
            const loss = 4 / Math.sqrt(step);
            steps.push({ kind: 'step', step, epoch: 0, loss, gradNorm: 1 + (step % 7), clippedGradNorm: 1, lr: 0.002, charsPerSec: 3000, time: step });
          }
          window.postMessage({ type: 'append', runId: id, steps, evals: [], samples: [] }, '*');
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        return performance.now() - started;
      })()`);
      assert.equal(await points(page, 'loss'), 20_000);
      assert.ok(elapsed < 5_000, `20,000 steps took ${Math.round(elapsed)} ms`);
    });
  });

  it('tells every series apart in the legends: a colour family per run, a shade and a dash per kind of series', async () => {
    await withDashboard(async (page) => {
      await show(page, [rnn, lstm]);
      type Marker = { label: string; colour: string; style: string; width: number };
      const markers = (chart: string) =>
        page.js<Marker[]>(`[...document.querySelectorAll('[data-chart="${chart}"] .u-legend .u-series')].slice(1).map((row) => {
          const style = getComputedStyle(row.querySelector('.u-marker'));
          const width = row.querySelector('.u-marker').getBoundingClientRect().width;
          return { label: row.querySelector('.u-label').textContent, colour: style.borderTopColor, style: style.borderTopStyle, width };
        })`);
      const loss = await markers('loss');
      const grad = await markers('gradNorm');
      // The same kind of series has the same dash in every chart; the legend draws it as a line swatch.
      assert.deepEqual(
        loss.map((m) => m.style),
        ['solid', 'dashed', 'solid', 'dashed'],
      );
      assert.deepEqual(
        grad.map((m) => m.style),
        ['solid', 'dotted', 'solid', 'dotted', 'dashed'],
        'before clipping solid, after clipping dotted, τ dash-dot',
      );
      for (const m of [...loss, ...grad]) assert.ok(m.width > 16, `${m.label}: a line swatch, not a square (${m.width}px)`);
      // Within a run two shades of one colour; across runs different colour families.
      assert.equal(loss[0].colour, 'rgb(55, 148, 255)', 'the RNN trains in the theme blue');
      assert.notEqual(loss[1].colour, loss[0].colour, 'validation is another shade');
      assert.equal(loss[2].colour, 'rgb(209, 134, 22)', 'the second run in the theme orange');
      assert.notEqual(loss[3].colour, loss[2].colour);
      assert.equal(grad[0].colour, loss[0].colour, 'the same shade for the same place in the family in every chart');
      assert.equal(grad[1].colour, loss[1].colour);
      const blueish = (rgb: string) => {
        const [r, , b] = rgb.match(/\d+/g)!.map(Number);
        return b > r;
      };
      assert.ok(blueish(loss[1].colour) && !blueish(loss[3].colour), `shades stay in their family: ${loss[1].colour}, ${loss[3].colour}`);

      // Neither run's norm reached τ = 5: the chart says so instead of hiding one line under the other.
      const notes = await page.js<string[]>(`[...document.querySelectorAll('.clip-note-line')].map((e) => e.textContent)`);
      assert.deepEqual(notes, ['1×RNN-64: clipping never triggered: peak ‖g‖ 4.7 < τ 5', '1×LSTM-64: clipping never triggered: peak ‖g‖ 0.76 < τ 5']);
    });
  });

  it('counts the clipped steps of a run that clips, as the records arrive, and stays legible in a narrow panel', async () => {
    // The recorded run trained again in thought with τ = 0.5: the norm after clipping is min(‖g‖, τ).
    const tau = 0.5;
    const steps = rnn.steps.map((r) => ({ ...r, clippedGradNorm: Math.min(r.gradNorm, tau) }));
    const clipping: DashboardRun = { ...rnn, info: { ...rnn.info, status: 'running', clipValue: tau }, steps };
    const clipped = runUpTo(clipping, 100);
    const expected = (upTo: number) => rnn.steps.filter((r) => r.step <= upTo && r.gradNorm > tau).length;
    await withDashboard(async (page) => {
      await page.page.setViewportSize({ width: 420, height: 900 });
      await show(page, [clipped]);
      const note = () => page.js<string>(`document.querySelector('.clip-note').textContent`);
      assert.ok(expected(100) > 0 && expected(200) > expected(100), 'the recorded run clips at τ = 0.5 more as it goes on');
      assert.match(await note(), new RegExp(`^clipped at ${expected(100)} of 100 steps \\(\\d+%\\): peak ‖g‖ [\\d.]+, τ 0\\.5$`));
      await page.send({ type: 'append', runId: rnn.info.id, ...recordsAfter(clipping, 100) });
      await page.waitFor(`document.querySelector('.clip-note').textContent.includes('of 200 steps')`);
      assert.match(await note(), new RegExp(`^clipped at ${expected(200)} of 200 steps`));
      // Nothing of the legends or notes is cut off or wider than the panel.
      const overflow = await page.js<string[]>(
        `[...document.querySelectorAll('.chart-panel')].filter((p) => p.scrollWidth > p.clientWidth + 1).map((p) => p.dataset.chart)`,
      );
      assert.deepEqual(overflow, []);
      await page.page.screenshot({ path: saveScreenshot('dashboard-narrow-clipping.png'), fullPage: true });
    });
  });

  it('resizes the charts with the panel', async () => {
    await withDashboard(async (page) => {
      await show(page, [rnn]);
      // [panel body width, canvas width] per chart
      const widths =
        "[...document.querySelectorAll('.chart-body')]" +
        ".map((b) => [b.getBoundingClientRect().width, b.querySelector('canvas').getBoundingClientRect().width])";
      const fits = `.every(([body, canvas]) => Math.abs(body - canvas) <= 1)`;
      const before = await page.js<number[][]>(widths);
      await page.page.setViewportSize({ width: 600, height: 900 });
      // One column: each chart as wide as the narrow panel allows.
      await page.waitFor(`${widths}${fits} && ${widths}.every(([body]) => body > 450 && body < 600)`);
      await page.page.setViewportSize({ width: 1280, height: 900 });
      await page.waitFor(`${widths}${fits} && ${widths}[0][0] === ${before[0][0]}`);
    });
  });

  it('posts hideRun and drops the run when its Hide control is clicked', async () => {
    await withDashboard(async (page) => {
      await show(page, [rnn, lstm]);
      await page.page.click(`.run[data-run-id="${rnn.info.id}"] .hide-run`);
      await page.waitFor(`document.querySelectorAll('.run').length === 1`);
      assert.deepEqual(
        (await page.posted()).filter((m) => m.type === 'hideRun'),
        [{ type: 'hideRun', runId: rnn.info.id }],
      );
      const legend = await page.js<string[]>(`[...document.querySelectorAll('[data-chart="loss"] .u-legend .u-label')].map((e) => e.textContent)`);
      assert.deepEqual(legend, ['step', '1×LSTM-64 train', '1×LSTM-64 validation']);
      assert.deepEqual(await page.js(`[...document.querySelectorAll('.sample')].map((e) => e.dataset.runId)`), [lstm.info.id, lstm.info.id]);
      assert.deepEqual(((await page.savedState()) as { runIds: string[] }).runIds, [lstm.info.id]);
    });
  });

  it('offers Stop only for a running run and posts stopRun once', async () => {
    await withDashboard(async (page) => {
      await show(page, [runUpTo(rnn, 50), lstm]);
      assert.equal(await page.js(`document.querySelectorAll('.stop-run').length`), 1);
      await page.page.click(`.run[data-run-id="${rnn.info.id}"] .stop-run`);
      await page.page.click(`.run[data-run-id="${rnn.info.id}"] .stop-run`, { force: true });
      assert.deepEqual(
        (await page.posted()).filter((m) => m.type === 'stopRun'),
        [{ type: 'stopRun', runId: rnn.info.id }],
      );
      await page.send({ type: 'status', runId: rnn.info.id, status: 'cancelled', message: 'stopped at step 51 (checkpoint saved)' });
      await page.waitFor(`document.querySelectorAll('.stop-run').length === 0`);
      assert.equal(await page.js(`document.querySelector('.run-message').textContent`), 'stopped at step 51 (checkpoint saved)');
    });
  });

  it('offers Resume for a stopped run and Train More for a finished one, asking how many steps, and posts resumeRun once', async () => {
    const stopped: DashboardRun = { ...runUpTo(rnn, 120), info: { ...rnn.info, status: 'cancelled', message: 'Stopped at step 120 (checkpoint saved)' } };
    await withDashboard(async (page) => {
      await page.page.setViewportSize({ width: 420, height: 900 });
      await show(page, [stopped, lstm]);
      const row = (run: DashboardRun) => `.run[data-run-id="${run.info.id}"]`;
      assert.equal(await page.js(`document.querySelector('${row(stopped)} .run-status').textContent`), 'stopped', 'not "cancelled"');
      assert.equal(await page.js(`document.querySelector('${row(stopped)} .resume-run').textContent`), 'Resume…');
      assert.equal(await page.js(`document.querySelector('${row(lstm)} .resume-run').textContent`), 'Train More…');

      await page.page.click(`${row(stopped)} .resume-run`);
      await page.waitFor(`document.querySelector('${row(stopped)} .extra-steps') !== null`);
      // The rest of the planned 200 steps.
      assert.equal(await page.js(`document.querySelector('${row(stopped)} .extra-steps').value`), '80');
      assert.match(await page.js<string>(`document.querySelector('${row(stopped)} .resume-label').textContent`), /after step 120/);
      await page.page.fill(`${row(stopped)} .extra-steps`, 'lots');
      assert.match(await page.js<string>(`document.querySelector('${row(stopped)} .resume-problem').textContent`), /whole number/);
      await page.page.click(`${row(stopped)} .start-resume`);
      assert.deepEqual(
        (await page.posted()).filter((m) => m.type === 'resumeRun'),
        [],
        'nothing sent for a bad count',
      );
      // Records of another run arrive while typing: the form keeps what was typed.
      await page.page.fill(`${row(stopped)} .extra-steps`, '1,500');
      await page.send({ type: 'append', runId: lstm.info.id, steps: [], evals: [], samples: [] });
      await page.page.screenshot({ path: saveScreenshot('dashboard-resume-narrow.png'), fullPage: true });
      await page.page.press(`${row(stopped)} .extra-steps`, 'Enter');
      await page.page.click(`${row(stopped)} .resume-run`, { force: true });
      assert.deepEqual(
        (await page.posted()).filter((m) => m.type === 'resumeRun'),
        [{ type: 'resumeRun', runId: rnn.info.id, extraSteps: 1500 }],
      );
      assert.equal(await page.js(`document.querySelector('${row(stopped)} .resume-run').textContent`), 'Starting…');

      // A finished run: the planned count again.
      await page.page.click(`${row(lstm)} .resume-run`);
      await page.waitFor(`document.querySelector('${row(lstm)} .extra-steps') !== null`);
      assert.equal(await page.js(`document.querySelector('${row(lstm)} .extra-steps').value`), '200');
      await page.page.click(`${row(lstm)} .cancel-resume`);
      await page.waitFor(`document.querySelector('${row(lstm)} .extra-steps') === null`);
    });
  });

  it('restores the log-scale choice and the shown runs from the saved state after a reload', async () => {
    let saved: unknown;
    await withDashboard(async (page) => {
      await show(page, [rnn, lstm]);
      await page.page.click('vscode-checkbox.log-scale-loss');
      await page.waitFor(`document.querySelector('[data-chart="loss"] .chart-body').dataset.logScale === 'true'`);
      saved = await page.savedState();
      assert.deepEqual(saved, { runIds: [rnn.info.id, lstm.info.id], logScaleLoss: true });
    });
    await withDashboard(async (page) => {
      assert.equal(await page.js(`document.querySelector('vscode-checkbox.log-scale-loss').checked`), true);
      await show(page, [rnn, lstm]);
      assert.equal(await page.js(`document.querySelector('[data-chart="loss"] .chart-body').dataset.logScale`), 'true');
    }, saved);
  });

  it('renders hostile run labels and sample text as text', async () => {
    await withDashboard(async (page) => {
      const hostile: DashboardRun = {
        ...rnn,
        info: { ...rnn.info, label: HOSTILE, status: 'failed', message: HOSTILE },
        samples: [{ ...rnn.samples[0], prime: HOSTILE, text: `${HOSTILE}\n</pre><script>alert(2)</script>` }],
      };
      await show(page, [hostile]);
      assert.equal(await page.js(`document.querySelector('.run-label').textContent`), HOSTILE);
      assert.equal(await page.js(`document.querySelector('.run-message').textContent`), HOSTILE);
      assert.equal(await page.js(`document.querySelector('.sample-run').textContent`), HOSTILE);
      assert.ok((await page.js<string>(`document.querySelector('.sample-text').textContent`)).startsWith(HOSTILE + HOSTILE));
      assert.ok((await page.js<string>(`document.querySelector('[data-chart="loss"] .u-legend').textContent`)).includes(HOSTILE));
      assert.equal(await page.js(`document.title`), `RNN Lab Dashboard ${HOSTILE}`);
      assert.equal(await page.js(`document.querySelectorAll('img').length`), 0, 'no <img> element was created');
      assert.equal(await page.js(`document.querySelectorAll('script').length`), 1, 'only the page script');
    });
  });

  it('runs under a CSP that refuses injected inline scripts and styles, and the test sees the refusals', async () => {
    await withDashboard(async (page) => {
      await page.js(`(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__injected = true';
        document.body.appendChild(script);
        const style = document.createElement('style');
        style.textContent = 'body { display: none }';
        document.head.appendChild(style);
      })()`);
      await page.waitFor(`true`);
      await page.page.waitForTimeout(100);
      assert.equal(await page.js(`window.__injected === true`), false);
      assert.notEqual(await page.js(`getComputedStyle(document.body).display`), 'none');
      const directives = page.problems.cspViolations.map((v) => v.split(' ')[0]).sort();
      assert.deepEqual(directives, ['script-src-elem', 'style-src-elem']);
      // Expected refusals: clear them so the usual checks at the end hold for the rest.
      page.problems.cspViolations.length = 0;
      page.problems.consoleErrors.length = 0;
    });
  });

  it('ignores malformed messages from the host', async () => {
    await withDashboard(async (page) => {
      await show(page, [rnn]);
      await page.send({ type: 'show', runs: [{ info: { id: 'x' } }] });
      await page.send({ type: 'append', runId: rnn.info.id, steps: [{ kind: 'step', step: 'two' }], evals: [], samples: [] });
      await page.send({ type: 'explode' });
      await page.send('show');
      await page.page.waitForTimeout(50);
      assert.equal(await page.js(`document.querySelectorAll('.run').length`), 1);
      assert.equal(await points(page, 'loss'), 200);
    });
  });
});
