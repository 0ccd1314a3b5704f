/**
 * The Neurons view in real headless Chromium, under the CSP of the page the
 * extension serves, with results recorded from a real run through the engine
 * (see neuronsFixture.ts). The "host" is the test: it sends the messages the
 * extension would and reads what the page posts.
 * Screenshots go to test-artefacts/webview/ to be looked at.
 */
import * as assert from 'assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { parseNeuronsMessage, type HostToNeurons, type NeuronsRanking, type NeuronsSelection, type NeuronsTrace } from '../../src/protocol/neuronsView';
import { recordedMessages, recordedNeurons } from './neuronsFixture';
import { assertNoPageProblems, launchChromium, openWebview, saveScreenshot, startPageServer, type PageServer, type WebviewPage } from './harness';
import { DARK, LIGHT, type WebviewTheme } from './themes';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('Neurons view webview', () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let server: PageServer;
  const recorded = recordedNeurons();
  const { ranking, trace, selection, selectionTrace } = recordedMessages(recorded);

  before(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
    server = await startPageServer(`RNN Lab Neurons ${HOSTILE}`);
  });

  after(async () => {
    await closeBrowser?.();
    await server?.close();
  });

  async function withView(body: (page: WebviewPage) => Promise<void>, options: { theme?: WebviewTheme; savedState?: unknown } = {}): Promise<void> {
    const page = await openWebview(browser, server, 'neurons', options.theme ?? DARK, { savedState: options.savedState });
    try {
      await page.waitFor('window.__posted.some((m) => m.type === "ready")');
      await body(page);
      await assertNoPageProblems(page);
    } finally {
      await page.close();
    }
  }

  const send = (page: WebviewPage, message: HostToNeurons) => page.send(message);

  async function showAll(page: WebviewPage, content: { ranking?: NeuronsRanking; selection?: NeuronsSelection; trace?: NeuronsTrace }): Promise<void> {
    if (content.ranking) await send(page, { type: 'ranking', ranking: content.ranking });
    if (content.selection) await send(page, { type: 'selection', selection: content.selection });
    if (content.trace) await send(page, { type: 'trace', trace: content.trace });
    if (content.ranking) await page.waitFor(`document.querySelectorAll('.feature-table tbody tr').length === ${content.ranking.features.length}`);
    if (content.trace) await page.waitFor(`document.querySelector('.trace-text')?.dataset.characters === '${content.trace.values.length}'`);
  }

  it('renders the recorded ranking as a features × top-neurons table with scores, and a gate saturation scatter per layer', async () => {
    await withView(async (page) => {
      assert.equal(await page.js(`document.querySelector('.empty-note').hidden`), false, 'an empty view says what to do');
      await showAll(page, { ranking });
      assert.equal(await page.js(`document.querySelector('.empty-note').hidden`), true);

      const rows = await page.js<{ feature: string; name: string; neurons: string[]; scores: string[] }[]>(`
        [...document.querySelectorAll('.feature-table tbody tr')].map((row) => ({
          feature: row.dataset.feature,
          name: row.querySelector('.feature-name').textContent,
          neurons: [...row.querySelectorAll('button.neuron')].map((b) => b.dataset.neuron),
          scores: [...row.querySelectorAll('.neuron-score')].map((s) => s.textContent),
        }))`);
      assert.deepEqual(
        rows.map((r) => r.feature),
        ranking.features.map((f) => f.feature),
      );
      const inString = rows.find((r) => r.feature === 'inString')!;
      const recordedInString = ranking.features.find((f) => f.feature === 'inString')!;
      assert.equal(inString.name, 'in a string');
      assert.deepEqual(
        inString.neurons,
        recordedInString.top.map((n) => n.label),
      );
      assert.equal(inString.scores[0], `AUC ${recordedInString.top[0].auc!.toFixed(3)}`, 'binary features show their AUC');
      const column = rows.find((r) => r.feature === 'column')!;
      assert.match(column.scores[0], /^r [−+]0\.\d{3}$/, 'scalar features show a signed r');
      assert.equal(await page.js(`document.querySelectorAll('.feature-table thead th').length`), 1 + 5);

      // One LSTM layer: input, forget and output gates, a point per unit each.
      const plots = await page.js<{ layer: string; points: string; canvas: boolean; legend: string[] }[]>(`
        [...document.querySelectorAll('.gate-plot')].map((p) => ({
          layer: p.dataset.layer,
          points: p.querySelector('.chart-body').dataset.points,
          canvas: p.querySelector('canvas') !== null,
          legend: [...p.querySelectorAll('.u-legend .u-series .u-label')].map((e) => e.textContent),
        }))`);
      assert.deepEqual(plots, [{ layer: '0', points: String(3 * 64), canvas: true, legend: ['i (input)', 'f (forget)', 'o (output)'] }]);
      assert.match(await page.js<string>(`document.querySelector('.gate-summary').textContent`), /^i: \d+% shut, \d+% open · f: /);
    });
  });

  it('colours the text character by character from a diverging palette, and marks the chosen neuron', async () => {
    await withView(async (page) => {
      await showAll(page, { ranking, trace });
      const characters = [...recorded.text];
      const coloured = characters.filter((c) => c !== '\n' && c !== '\r').length;
      assert.equal(await page.js(`document.querySelectorAll('.trace-text span').length`), coloured, 'one span per character, newlines left plain');
      assert.equal(await page.js(`document.querySelector('.trace-text').textContent`), recorded.text, 'the text itself, unchanged');
      const backgrounds = await page.js<string[]>(`[...document.querySelectorAll('.trace-text span')].map((s) => getComputedStyle(s).backgroundColor)`);
      const distinct = new Set(backgrounds);
      assert.ok(distinct.size >= 5, `several colours are used: ${[...distinct].join(', ')}`);
      assert.ok(
        backgrounds.some((b) => b !== 'rgba(0, 0, 0, 0)'),
        'some characters are coloured',
      );
      // The value under the mouse: the title of each character.
      const firstTitle = await page.js<string>(`document.querySelector('.trace-text span').title`);
      assert.equal(firstTitle, trace.values[0].toFixed(3));
      assert.equal(await page.js(`document.querySelector('.trace-neuron strong').textContent`), trace.neuron.label);
      const pressed = await page.js<string[]>(`[...document.querySelectorAll('button.neuron[aria-pressed="true"]')].map((b) => b.dataset.neuron)`);
      assert.ok(pressed.length >= 1 && pressed.every((l) => l === trace.neuron.label), `the traced neuron is marked: ${pressed.join(', ')}`);
    });
  });

  it('posts a valid chooseNeuron when a neuron is clicked, marks it, and keeps it in the saved state', async () => {
    await withView(async (page) => {
      await showAll(page, { ranking, trace });
      const target = ranking.features.find((f) => f.feature === 'token:whitespace')!.top[1];
      await page.page.click(`tr[data-feature="token:whitespace"] button.neuron[data-neuron="${target.label}"]`);
      const chosen = (await page.posted()).filter((m) => m.type === 'chooseNeuron');
      assert.equal(chosen.length, 1);
      assert.deepEqual(
        parseNeuronsMessage(chosen[0]),
        { type: 'chooseNeuron', layer: target.layer, kind: target.kind, unit: target.unit },
        'the message passes the host-side validation',
      );
      assert.equal(
        await page.js(
          `document.querySelector('tr[data-feature="token:whitespace"] button.neuron[data-neuron="${target.label}"]').getAttribute('aria-pressed')`,
        ),
        'true',
      );
      const saved = (await page.savedState()) as { chosen: unknown; ranking: NeuronsRanking };
      assert.deepEqual(saved.chosen, { layer: target.layer, kind: target.kind, unit: target.unit });
      assert.equal(saved.ranking.features.length, ranking.features.length);
    });
  });

  it('shows the selection match: its neurons, and matches that reveal their span in the editor when clicked', async () => {
    await withView(async (page) => {
      await showAll(page, { selection, trace: selectionTrace });
      assert.equal(await page.js(`document.querySelector('.selected-span .span-preview').textContent`), selection.selected.preview);
      assert.equal(
        await page.js(`document.querySelector('.selected-span .span-where').textContent`),
        `${selection.selected.line + 1}:${selection.selected.character + 1}`,
      );
      assert.deepEqual(
        await page.js(`[...document.querySelectorAll('.selected-neurons button.neuron')].map((b) => b.dataset.neuron)`),
        selection.neurons.map((n) => n.label),
      );
      const matches = await page.js<{ start: string; end: string; preview: string }[]>(
        `[...document.querySelectorAll('.matches .span-link')].map((b) => ({ ...b.dataset, preview: b.querySelector('.span-preview').textContent }))`,
      );
      assert.deepEqual(
        matches,
        selection.matches.map((m) => ({ start: String(m.start), end: String(m.end), preview: m.preview })),
      );
      assert.ok(matches.length >= 1, 'the recorded selection has a match');

      // The selection is underlined in the coloured text.
      const underlined = await page.js<string>(`[...document.querySelectorAll('.trace-text .hl-selection')].map((s) => s.textContent).join('')`);
      assert.equal(underlined, recorded.text.slice(selection.selected.start, selection.selected.end));

      await page.page.click('.matches .span-link');
      await page.page.click('.selected-span');
      await page.page.click('.selected-neurons button.neuron:nth-child(2)');
      const posted = (await page.posted()).filter((m) => m.type !== 'ready');
      assert.deepEqual(posted.map(parseNeuronsMessage), [
        { type: 'revealSpan', start: selection.matches[0].start, end: selection.matches[0].end },
        { type: 'revealSpan', start: selection.selected.start, end: selection.selected.end },
        { type: 'chooseNeuron', layer: selection.neurons[1].layer, kind: selection.neurons[1].kind, unit: selection.neurons[1].unit },
      ]);
    });
  });

  it('looks right in the dark and light themes (screenshots)', async () => {
    await withView(async (page) => {
      await showAll(page, { ranking, selection, trace: selectionTrace });
      await send(page, { type: 'status', status: { kind: 'idle' } });
      assert.equal(await page.js(`document.querySelector('.status').hidden`), true);
      await page.page.screenshot({ path: saveScreenshot('neurons.png'), fullPage: true });
      const markerColour = `getComputedStyle(document.querySelector('.gate-plot .u-series:nth-child(1) .u-marker')).borderColor`;
      assert.equal(await page.js(markerColour), 'rgb(55, 148, 255)', 'dark theme blue for the input gate');
      await page.setTheme(LIGHT);
      await page.waitFor(`${markerColour} === 'rgb(26, 133, 255)'`);
      await page.page.screenshot({ path: saveScreenshot('neurons-light.png'), fullPage: true });
    });
  });

  it('fits a panel opened beside the editor (440 px): every neuron of every feature visible, nothing scrolled sideways', async () => {
    await withView(async (page) => {
      await page.page.setViewportSize({ width: 440, height: 900 });
      await showAll(page, { ranking, trace });
      const layout = await page.js<{ scroll: number; client: number; hidden: string[]; buttons: number }>(`(() => {
        const scroller = document.querySelector('.table-scroll');
        const right = document.documentElement.clientWidth;
        const buttons = [...document.querySelectorAll('.feature-table button.neuron')];
        const cut = (b) => { const r = b.getBoundingClientRect(); return r.right > right || r.left < 0 || r.width === 0; };
        const hidden = buttons.filter(cut).map((b) => b.dataset.neuron);
        return { scroll: scroller.scrollWidth, client: scroller.clientWidth, hidden, buttons: buttons.length };
      })()`);
      const expected = ranking.features.reduce((n, f) => n + f.top.length, 0);
      assert.equal(layout.buttons, expected);
      assert.ok(expected >= 5 * 3, 'several features with five neurons each');
      assert.deepEqual(layout.hidden, [], 'no neuron button is cut off');
      assert.ok(layout.scroll <= layout.client + 1, `the table does not scroll sideways (${layout.scroll} > ${layout.client})`);
      await page.page.screenshot({ path: saveScreenshot('neurons-narrow.png'), fullPage: true });
    });
  });

  it("a bidirectional model's gates: one scatter per layer and direction, forward first (screenshot)", async () => {
    await withView(async (page) => {
      // The recorded layer's gates as the forward direction, and the same units shifted as a backward one.
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const backward = ranking.gates.map((g) => {
        const left = g.left.map((x) => x / 2);
        const right = g.right.map((y) => 1 - y);
        return { ...g, direction: 'backward' as const, left, right, meanLeft: mean(left), meanRight: mean(right) };
      });
      await showAll(page, { ranking: { ...ranking, gates: [...ranking.gates, ...backward] } });
      await page.waitFor(`document.querySelectorAll('.gate-plot canvas').length === 2`);
      const panels = await page.js<{ direction: string; caption: string; summary: string }[]>(`
        [...document.querySelectorAll('.gate-plot')].map((p) => ({
          direction: p.dataset.direction,
          caption: p.querySelector('figcaption').textContent,
          summary: p.querySelector('.gate-summary').textContent,
        }))`);
      assert.deepEqual(
        panels.map((p) => [p.direction, p.caption]),
        [
          ['forward', 'Layer 0 → forward'],
          ['backward', 'Layer 0 ← backward'],
        ],
      );
      assert.notEqual(panels[0].summary, panels[1].summary, 'each direction has its own shares');
      await page.page.screenshot({ path: saveScreenshot('neurons-bidirectional-gates.png'), fullPage: true });
    });
  });

  it('shows work in progress and errors in the status line', async () => {
    await withView(async (page) => {
      await send(page, { type: 'status', status: { kind: 'busy', message: 'Ranking neurons…' } });
      await page.waitFor(`document.querySelector('.status').hidden === false`);
      assert.equal(await page.js(`document.querySelector('.status').textContent`), 'Ranking neurons…');
      await send(page, { type: 'status', status: { kind: 'error', message: `Cannot rank neurons: ${HOSTILE}` } });
      await page.waitFor(`document.querySelector('.status').classList.contains('error')`);
      assert.equal(await page.js(`document.querySelector('.status').textContent`), `Cannot rank neurons: ${HOSTILE}`);
      assert.equal(await page.js(`document.querySelectorAll('img').length`), 0);
    });
  });

  it('renders hostile feature names, document names and text as text', async () => {
    await withView(async (page) => {
      const hostileRanking: NeuronsRanking = {
        ...ranking,
        subject: { ...ranking.subject, document: HOSTILE, model: HOSTILE },
        features: [
          { ...ranking.features[0], feature: HOSTILE },
          { ...ranking.features[1], top: [], note: HOSTILE },
        ],
      };
      const text = `const a = "${HOSTILE}";\n// </pre><script>alert(2)</script>\n`;
      const hostileTrace: NeuronsTrace = {
        ...trace,
        text,
        values: [...text].map((_, i) => Math.sin(i / 3)),
        characters: [...text].length,
        totalCharacters: [...text].length,
        highlights: [],
      };
      const hostileSelection: NeuronsSelection = {
        ...selection,
        subject: hostileRanking.subject,
        selected: { ...selection.selected, preview: HOSTILE },
        matches: [{ ...selection.matches[0], preview: `</code>${HOSTILE}` }],
      };
      await showAll(page, { ranking: hostileRanking, selection: hostileSelection, trace: hostileTrace });
      assert.equal(await page.js(`document.querySelector('.feature-name').textContent`), HOSTILE);
      assert.equal(await page.js(`document.querySelector('.feature-note').textContent`), HOSTILE);
      assert.equal(await page.js(`document.querySelector('.trace-text').textContent`), text);
      assert.equal(await page.js(`document.querySelector('.selected-span .span-preview').textContent`), HOSTILE);
      assert.equal(await page.js(`document.querySelector('.matches .span-preview').textContent`), `</code>${HOSTILE}`);
      assert.ok((await page.js<string>(`document.querySelector('.subject').textContent`)).startsWith(`${HOSTILE} · ${HOSTILE} · `));
      assert.equal(await page.js(`document.title`), `RNN Lab Neurons ${HOSTILE}`);
      assert.equal(await page.js(`document.querySelectorAll('img').length`), 0, 'no <img> element was created');
      assert.equal(await page.js(`document.querySelectorAll('script').length`), 1, 'only the page script');
    });
  });

  it('comes back from its saved state after a reload, before the host says anything', async () => {
    let saved: unknown;
    await withView(async (page) => {
      await showAll(page, { ranking, selection, trace });
      saved = await page.savedState();
    });
    assert.ok(!JSON.stringify(saved).includes('"values"'), 'the trace (large) is not saved: the host sends it again');
    await withView(
      async (page) => {
        assert.equal(await page.js(`document.querySelectorAll('.feature-table tbody tr').length`), ranking.features.length);
        assert.equal(await page.js(`document.querySelectorAll('.matches li').length`), selection.matches.length);
        assert.equal(await page.js(`document.querySelector('button.neuron[aria-pressed="true"]')?.dataset.neuron`), trace.neuron.label);
        assert.match(await page.js<string>(`document.querySelector('.trace-section .note').textContent`), /^Choose a neuron/);
      },
      { savedState: saved },
    );
    // A state written by something else is dropped, not trusted.
    await withView(
      async (page) => {
        assert.equal(await page.js(`document.querySelector('.empty-note').hidden`), false);
      },
      { savedState: { ranking: { features: 'x' }, chosen: { layer: -1 } } },
    );
  });

  it('ignores malformed messages from the host', async () => {
    await withView(async (page) => {
      await showAll(page, { ranking, trace });
      await send(page, { type: 'trace', trace: { ...trace, values: trace.values.slice(1) } });
      await send(page, {
        type: 'ranking',
        ranking: { ...ranking, features: [{ feature: 'x', kind: 'binary', top: [{ layer: 0, kind: 'q', unit: 0 }] }] },
      } as unknown as HostToNeurons);
      await page.send({ type: 'explode' });
      await page.send('ranking');
      await page.page.waitForTimeout(50);
      assert.equal(await page.js(`document.querySelectorAll('.feature-table tbody tr').length`), ranking.features.length);
      assert.equal(await page.js(`document.querySelector('.trace-text').dataset.characters`), String(trace.values.length));
    });
  });
});
