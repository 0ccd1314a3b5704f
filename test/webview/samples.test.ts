/**
 * The Samples view in real headless Chromium, under the CSP of the page the
 * extension serves, at side-bar widths. The "host" is the test: it sends the
 * messages the extension would and reads what the page posts.
 * Screenshots go to test-artefacts/webview/ to be looked at.
 */
import * as assert from 'assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { parseSamplesMessage, type GenerationSettings, type HostToSamples, type SampleModelChoice, type SamplesToHost } from '../../src/protocol/samples';
import { recordedRun } from './fixtures';
import { assertNoPageProblems, launchChromium, openWebview, saveScreenshot, startPageServer, type PageServer, type WebviewPage } from './harness';
import { DARK, LIGHT, type WebviewTheme } from './themes';

/** Page-side JavaScript reading a control's value. */
const value = (selector: string) => `document.querySelector('${selector}').value`;

const HOSTILE = '<img src=x onerror=alert(1)>';
const SIDE_BAR = { width: 320, height: 900 };

const MODELS: SampleModelChoice[] = [
  { id: '/ws/.rnnlab/runs/20261126-055427-lstm-1x64', label: '20261126-055427-lstm-1x64', detail: '1×LSTM-64 · completed · 2.41 bits/char' },
  { id: '/ws/.rnnlab/runs/20261126-055425-rnn-1x64', label: '20261126-055425-rnn-1x64', detail: '1×RNN-64 · completed · 2.87 bits/char' },
  { id: '/models/exported/model.onnx', label: 'exported/model.onnx', detail: '/models/exported/model.onnx' },
];

/** 400 characters a 1×LSTM-64 wrote during training on the repository's sources. */
const SAMPLE = recordedRun('lstm-1x64')
  .samples.map((s) => s.text)
  .join('');

describe('Samples view webview', () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let server: PageServer;

  before(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
    server = await startPageServer(`RNN Lab Samples ${HOSTILE}`);
  });

  after(async () => {
    await closeBrowser?.();
    await server?.close();
  });

  /** Opens the view, runs the test body, then checks the page logged no error and broke no CSP rule. */
  async function withView(
    body: (page: WebviewPage) => Promise<void>,
    options: { savedState?: unknown; theme?: WebviewTheme; width?: number } = {},
  ): Promise<void> {
    const page = await openWebview(browser, server, 'samples', options.theme ?? DARK, {
      savedState: options.savedState,
      viewport: { ...SIDE_BAR, width: options.width ?? SIDE_BAR.width },
    });
    try {
      await page.waitFor('window.__posted.some((m) => m.type === "ready")');
      await body(page);
      await assertNoPageProblems(page);
    } finally {
      await page.close();
    }
  }

  const send = (page: WebviewPage, message: HostToSamples) => page.send(message);
  const posted = (page: WebviewPage) => page.posted<SamplesToHost>();
  const postedOf = async <T extends SamplesToHost['type']>(page: WebviewPage, type: T) =>
    (await posted(page)).filter((m): m is Extract<SamplesToHost, { type: T }> => m.type === type);
  const disabled = (page: WebviewPage, cls: string) => page.js<boolean>(`document.querySelector('vscode-button.${cls}').disabled`);
  const outputText = (page: WebviewPage) => page.js<string>(`document.querySelector('.output').textContent`);
  const status = (page: WebviewPage) => page.js<string>(`document.querySelector('.status').textContent`);

  async function showModels(page: WebviewPage, selected?: string): Promise<void> {
    await send(page, { type: 'models', models: MODELS, ...(selected ? { selected } : {}) });
    await page.waitFor(
      `document.querySelectorAll('vscode-single-select.model vscode-option').length === ${MODELS.length} ` +
        "&& document.querySelector('vscode-single-select.model').value !== ''",
    );
  }

  /** Types into a vscode-textfield / vscode-textarea the way a user does (its inner input, in the shadow root). */
  async function type(page: WebviewPage, selector: string, text: string): Promise<void> {
    await page.page.fill(`${selector} input, ${selector} textarea`, text);
  }

  async function setTemperature(page: WebviewPage, value: number): Promise<void> {
    await page.js(
      `(() => { const t = document.querySelector('input.temperature'); t.value = '${value}'; t.dispatchEvent(new Event('input', { bubbles: true })); })()`,
    );
  }

  /** Plays a generation as the host would: started, text in pieces, done. */
  async function playGeneration(
    page: WebviewPage,
    requestId: string,
    settings: GenerationSettings,
    pieces: string[],
    tokens = pieces.join('').length,
  ): Promise<void> {
    await send(page, { type: 'started', requestId, settings });
    for (const text of pieces) await send(page, { type: 'text', requestId, texts: [text] });
    await send(page, { type: 'done', requestId, tokens, charsPerSec: 10_412.6, stopped: false, precision: 'float32' });
    await page.waitFor(`!document.querySelector('vscode-button.generate').disabled`);
  }

  const settings = (overrides: Partial<GenerationSettings> = {}): GenerationSettings => ({
    modelId: MODELS[0].id,
    prime: 'def ',
    length: 200,
    temperature: 0.8,
    topK: 0,
    seed: 1,
    count: 1,
    precision: 'float32',
    ...overrides,
  });

  it('posts ready, renders its controls with vscode-elements, and lists the models the host sends', async () => {
    await withView(async (page) => {
      assert.deepEqual(await posted(page), [{ type: 'ready' }]);
      const upgraded = await page.js<Record<string, boolean>>(
        "Object.fromEntries(['vscode-single-select', 'vscode-textarea', 'vscode-textfield', 'vscode-button', 'vscode-option']" +
          '.map((t) => [t, !!customElements.get(t) && !!document.querySelector(t)?.shadowRoot]))',
      );
      assert.deepEqual(upgraded, {
        'vscode-single-select': true,
        'vscode-textarea': true,
        'vscode-textfield': true,
        'vscode-button': true,
        'vscode-option': true,
      });
      // Before the host answers: no model, nothing to generate from, and a hint what to do.
      assert.equal(await disabled(page, 'generate'), true);
      assert.match(await page.js<string>(`document.querySelector('.model-detail').textContent`), /Train a model/);
      assert.deepEqual(
        await page.js(
          `({ temperature: ${value('input.temperature')}, shown: ${value('.temperature-value')}, length: ${value('vscode-textfield.length')}, ` +
            `topK: ${value('vscode-textfield.top-k')}, seed: ${value('vscode-textfield.seed')}, count: ${value('vscode-textfield.count')}, ` +
            `int8: document.querySelector('vscode-checkbox.int8').checked })`,
        ),
        { temperature: '0.6', shown: '0.60', length: '500', topK: '0', seed: '1', count: '1', int8: false },
        'the defaults',
      );
      assert.deepEqual(await page.js(`(() => { const t = document.querySelector('input.temperature'); return [t.min, t.max, t.step]; })()`), [
        '0',
        '2',
        '0.05',
      ]);

      await showModels(page);
      assert.equal(await page.js(`document.querySelector('vscode-single-select.model').value`), MODELS[0].id, 'the newest run first');
      assert.equal(await page.js(`document.querySelector('.model-detail').textContent`), MODELS[0].detail);
      assert.equal(await disabled(page, 'generate'), false);
      assert.equal(await disabled(page, 'stop'), true);
      for (const cls of ['insert', 'open', 'copy']) assert.equal(await disabled(page, cls), true, `${cls} has no text yet`);

      await setTemperature(page, 0);
      assert.equal(await page.js(`document.querySelector('.temperature-value').value`), '0 · greedy');
    });
  });

  it('Generate posts a generate message, valid by the protocol, with the chosen model and settings', async () => {
    await withView(async (page) => {
      await showModels(page);
      // Choose the second model through the drop-down, as a user does.
      await page.page.click('vscode-single-select.model');
      await page.page.click(`vscode-single-select.model li.option:has-text("${MODELS[1].label}")`);
      await page.waitFor(`document.querySelector('vscode-single-select.model').value === ${JSON.stringify(MODELS[1].id)}`);
      assert.equal(await page.js(`document.querySelector('.model-detail').textContent`), MODELS[1].detail);

      await type(page, 'vscode-textarea.prime', 'function main() {\n');
      await setTemperature(page, 0.35);
      await type(page, 'vscode-textfield.length', '50');
      await type(page, 'vscode-textfield.top-k', '5');
      await type(page, 'vscode-textfield.seed', '42');
      await page.page.click('vscode-button.generate');

      const [message] = await postedOf(page, 'generate');
      const expected = {
        modelId: MODELS[1].id,
        prime: 'function main() {\n',
        length: 50,
        temperature: 0.35,
        topK: 5,
        seed: 42,
        count: 1,
        precision: 'float32',
      };
      assert.deepEqual(message, { type: 'generate', ...expected });
      assert.deepEqual(parseSamplesMessage(message), message, 'the host accepts it');
      assert.equal(await disabled(page, 'generate'), true, 'one generation at a time');
      assert.equal(await disabled(page, 'stop'), false);
      await page.page.click('vscode-button.generate', { force: true });
      assert.equal((await postedOf(page, 'generate')).length, 1, 'a second click while it starts posts nothing');
    });
  });

  it('Count and the int8 option go with Generate; a count it cannot use is refused, saying why', async () => {
    await withView(async (page) => {
      await showModels(page);
      for (const bad of ['0', '33', '1.5']) {
        await type(page, 'vscode-textfield.count', bad);
        await page.page.click('vscode-button.generate');
        assert.match(await status(page), /Count must be a whole number from 1 to 32/, `count "${bad}"`);
        assert.equal(await page.js(`document.querySelector('vscode-textfield.count').invalid`), true);
      }
      assert.deepEqual(await postedOf(page, 'generate'), []);
      await type(page, 'vscode-textfield.count', '4');
      await page.page.click('vscode-checkbox.int8');
      await page.page.click('vscode-button.generate');
      const [message] = await postedOf(page, 'generate');
      assert.equal(message.count, 4);
      assert.equal(message.precision, 'int8');
      assert.deepEqual(parseSamplesMessage(message), message, 'the host accepts it');
      assert.deepEqual(((await page.savedState()) as { settings: GenerationSettings }).settings.precision, 'int8', 'the option is kept');
    });
  });

  it('several continuations: a block each, labelled with its seed, streamed apart, each with its own Insert, Open and Copy', async () => {
    await withView(async (page) => {
      await showModels(page);
      await page.page.click('vscode-button.generate');
      await send(page, { type: 'started', requestId: 'm1', settings: settings({ prime: 'x = ', count: 3, seed: 7, precision: 'int8' }) });
      await page.waitFor(`document.querySelectorAll('.sample').length === 3`);
      assert.equal(await status(page), 'Generating 3 continuations…');
      await send(page, { type: 'text', requestId: 'm1', texts: ['1', '', '3'] });
      await send(page, { type: 'text', requestId: 'm1', texts: ['1\n', '2\n', '3\n'] });
      await send(page, { type: 'done', requestId: 'm1', tokens: 2, charsPerSec: 31_000, stopped: false, precision: 'int8' });
      await page.waitFor(`!document.querySelector('vscode-button.generate').disabled`);
      const blocks = await page.js<string[]>(`[...document.querySelectorAll('.output')].map((e) => e.textContent)`);
      assert.deepEqual(blocks, ['x = 11\n', 'x = 2\n', 'x = 33\n']);
      const labels = await page.js<string[]>(`[...document.querySelectorAll('.sample-label')].map((e) => e.textContent)`);
      assert.deepEqual(labels, ['#1 · seed 7', '#2 · seed 8', '#3 · seed 9']);
      assert.equal(await status(page), '2 tokens · 3 continuations · 31,000 chars/s · int8');
      // The second continuation's buttons act on its text only.
      for (const cls of ['insert', 'open', 'copy']) await page.page.click(`.sample:nth-child(2) vscode-button.${cls}`);
      const actions = (await posted(page)).filter((m) => ['insertAtCursor', 'openInEditor', 'copy'].includes(m.type));
      assert.deepEqual(actions, [
        { type: 'insertAtCursor', text: '2\n' },
        { type: 'openInEditor', text: 'x = 2\n' },
        { type: 'copy', text: 'x = 2\n' },
      ]);
      const saved = (await page.savedState()) as { texts: string[]; shownSeed: number };
      assert.deepEqual([saved.texts, saved.shownSeed], [['11\n', '2\n', '33\n'], 7]);
      // A new generation of one continuation shows one block again.
      await playGeneration(page, 'm2', settings({ prime: '' }), ['solo']);
      assert.equal(await page.js(`document.querySelectorAll('.sample').length`), 1);
      assert.equal(await outputText(page), 'solo');
    });
  });

  it('continuations stack in a narrow side bar and sit side by side when wide (screenshots, dark and light)', async () => {
    const prime = 'def mean(values):\n';
    const texts = [SAMPLE.slice(0, 130), SAMPLE.slice(130, 260), SAMPLE.slice(260, 400)];
    for (const [theme, suffix] of [
      [DARK, ''],
      [LIGHT, '-light'],
    ] as const) {
      for (const width of [320, 1100]) {
        await withView(
          async (page) => {
            await showModels(page);
            await type(page, 'vscode-textarea.prime', prime);
            await send(page, { type: 'started', requestId: 'w', settings: settings({ prime, count: 3, length: 140, seed: 4 }) });
            await send(page, { type: 'text', requestId: 'w', texts });
            await send(page, { type: 'done', requestId: 'w', tokens: 140, charsPerSec: 30_512, stopped: false, precision: 'float32' });
            await page.waitFor(`!document.querySelector('vscode-button.generate').disabled`);
            const boxes = await page.js<{ left: number; top: number; right: number }[]>(
              `[...document.querySelectorAll('.sample')].map((e) => e.getBoundingClientRect().toJSON())`,
            );
            if (width < 500) assert.ok(boxes.every((b) => b.left === boxes[0].left) && boxes[1].top > boxes[0].top, `stacked at ${width} px`);
            else assert.ok(boxes.every((b) => b.top === boxes[0].top) && boxes[1].left > boxes[0].right, `side by side at ${width} px`);
            const overflow = await page.js<number>(`document.documentElement.scrollWidth - document.documentElement.clientWidth`);
            assert.equal(overflow, 0, `${width} px: ${overflow} px of sideways scrolling`);
            await page.page.screenshot({ path: saveScreenshot(`samples-3-${width < 500 ? 'narrow' : 'wide'}${suffix}.png`), fullPage: true });
          },
          { theme, width },
        );
      }
    }
  });

  it('refuses a length it cannot use, saying why, and posts nothing', async () => {
    await withView(async (page) => {
      await showModels(page);
      for (const bad of ['0', '2.5', '10000001', '']) {
        await type(page, 'vscode-textfield.length', bad);
        await page.page.click('vscode-button.generate');
        assert.match(await status(page), /Length must be a whole number from 1 to 1,000,000/, `length "${bad}"`);
        assert.equal(await page.js(`document.querySelector('.status').classList.contains('error')`), true);
        assert.equal(await page.js(`document.querySelector('vscode-textfield.length').invalid`), true);
      }
      assert.deepEqual(await postedOf(page, 'generate'), []);
    });
  });

  it('streams text in, then done shows tokens and speed and re-enables Generate', async () => {
    await withView(async (page) => {
      await showModels(page);
      await page.page.click('vscode-button.generate');
      await send(page, { type: 'started', requestId: 'r1', settings: settings() });
      await page.waitFor(`document.querySelector('.status').textContent === 'Generating…'`);
      const pieces = ['    return ', 'self', '.value', '\n'];
      for (const text of pieces) await send(page, { type: 'text', requestId: 'r1', texts: [text] });
      // Text of another generation (an older one still draining) is not shown.
      await send(page, { type: 'text', requestId: 'older', texts: ['XXX'] });
      await page.waitFor(`document.querySelector('.output').textContent === ${JSON.stringify('def ' + pieces.join(''))}`);
      assert.equal(await page.js(`document.querySelector('.output-prime').textContent`), 'def ', 'the prime is shown apart');
      assert.equal(await disabled(page, 'generate'), true);
      assert.equal(await disabled(page, 'insert'), false, 'the text so far can be used already');

      await send(page, { type: 'done', requestId: 'r1', tokens: 20, charsPerSec: 10_412.6, stopped: false, precision: 'float32' });
      await page.waitFor(`!document.querySelector('vscode-button.generate').disabled`);
      assert.equal(await status(page), '20 tokens · 10,413 chars/s');
      assert.equal(await page.js(`document.querySelector('.sample-label').textContent`), 'Seed 1');
      assert.equal(await disabled(page, 'stop'), true);
      assert.equal(await page.js(`getComputedStyle(document.querySelector('.output')).whiteSpace`), 'pre-wrap');
    });
  });

  it('Stop posts stop once; a stopped generation says so', async () => {
    await withView(async (page) => {
      await showModels(page);
      await page.page.click('vscode-button.generate');
      await send(page, { type: 'started', requestId: 'r1', settings: settings() });
      await send(page, { type: 'text', requestId: 'r1', texts: ['abc'] });
      await page.page.click('vscode-button.stop');
      await page.page.click('vscode-button.stop', { force: true });
      assert.deepEqual(await postedOf(page, 'stop'), [{ type: 'stop' }]);
      await send(page, { type: 'done', requestId: 'r1', tokens: 3, charsPerSec: 900, stopped: true, precision: 'float32' });
      await page.waitFor(`document.querySelector('.status').textContent.endsWith('stopped')`);
      assert.equal(await status(page), '3 tokens · 900 chars/s · stopped');
    });
  });

  it('an engine error is shown and Generate works again', async () => {
    await withView(async (page) => {
      await showModels(page);
      await page.page.click('vscode-button.generate');
      await send(page, { type: 'error', message: 'Cannot generate: run has no model.onnx yet' });
      await page.waitFor(`!document.querySelector('vscode-button.generate').disabled`);
      assert.equal(await status(page), 'Cannot generate: run has no model.onnx yet');
      assert.equal(await page.js(`document.querySelector('.status').classList.contains('error')`), true);
      assert.equal(await page.js(`document.querySelector('.status').getAttribute('role')`), 'status', 'read out by screen readers');
    });
  });

  it('Insert at Cursor posts the continuation; Open in Editor and Copy post the prime with it', async () => {
    await withView(async (page) => {
      await showModels(page);
      await playGeneration(page, 'r1', settings({ prime: 'x = ' }), ['1', '2\n']);
      await page.page.click('vscode-button.insert');
      await page.page.click('vscode-button.open');
      await page.page.click('vscode-button.copy');
      const actions = (await posted(page)).filter((m) => ['insertAtCursor', 'openInEditor', 'copy'].includes(m.type));
      assert.deepEqual(actions, [
        { type: 'insertAtCursor', text: '12\n' },
        { type: 'openInEditor', text: 'x = 12\n' },
        { type: 'copy', text: 'x = 12\n' },
      ]);
      for (const m of actions) assert.ok(parseSamplesMessage(m));
    });
  });

  it('asks the host for the selection and for a file, and fills the prime box from the host', async () => {
    await withView(async (page) => {
      await showModels(page);
      await page.page.click('vscode-button.use-selection');
      await page.page.click('vscode-button.browse');
      await page.js(`window.dispatchEvent(new Event('focus'))`);
      assert.deepEqual(
        (await posted(page)).slice(1).map((m) => m.type),
        ['primeFromSelection', 'browseOnnx', 'viewFocused'],
      );
      await send(page, { type: 'prime', text: 'class Greeter {\n' });
      await page.waitFor(`document.querySelector('vscode-textarea.prime').value === 'class Greeter {\\n'`);
      // After a browse, the host lists the file and selects it.
      await send(page, { type: 'models', models: MODELS, selected: MODELS[2].id });
      await page.waitFor(`document.querySelector('vscode-single-select.model').value === ${JSON.stringify(MODELS[2].id)}`);
      assert.equal(((await page.savedState()) as { settings: GenerationSettings }).settings.prime, 'class Greeter {\n');
    });
  });

  it('a generation started by the command shows its model and settings', async () => {
    await withView(async (page) => {
      await showModels(page);
      await playGeneration(page, 'cmd-1', settings({ modelId: MODELS[2].id, prime: 'import ', length: 50, temperature: 0, topK: 3, seed: 7 }), ['os\n']);
      assert.deepEqual(
        await page.js(
          `({ model: ${value('vscode-single-select.model')}, prime: ${value('vscode-textarea.prime')}, temperature: ${value('input.temperature')}, ` +
            `length: ${value('vscode-textfield.length')}, topK: ${value('vscode-textfield.top-k')}, seed: ${value('vscode-textfield.seed')} })`,
        ),
        { model: MODELS[2].id, prime: 'import ', temperature: '0', length: '50', topK: '3', seed: '7' },
      );
      assert.equal(await outputText(page), 'import os\n');
    });
  });

  it('restores its settings and the last text after a reload; a replay by the host keeps later edits', async () => {
    let saved: unknown;
    await withView(async (page) => {
      await showModels(page);
      await playGeneration(page, 'r7', settings({ modelId: MODELS[1].id, prime: 'for ', temperature: 1.25, length: 80, seed: 3 }), ['i in ', 'range(10):\n']);
      await type(page, 'vscode-textarea.prime', 'while ');
      // Saving streamed text is throttled: give it time.
      await page.page.waitForTimeout(300);
      saved = await page.savedState();
    });
    assert.deepEqual(saved, {
      settings: { modelId: MODELS[1].id, prime: 'while ', length: 80, temperature: 1.25, topK: 0, seed: 3, count: 1, precision: 'float32' },
      texts: ['i in range(10):\n'],
      requestId: 'r7',
      shownPrime: 'for ',
      shownSeed: 3,
      status: { text: '16 tokens · 10,413 chars/s', error: false },
    });
    await withView(
      async (page) => {
        assert.equal(await outputText(page), 'for i in range(10):\n');
        assert.equal(await status(page), '16 tokens · 10,413 chars/s');
        assert.equal(await page.js(`document.querySelector('vscode-textarea.prime').value`), 'while ');
        assert.equal(await page.js(`document.querySelector('input.temperature').value`), '1.25');
        await showModels(page);
        assert.equal(await page.js(`document.querySelector('vscode-single-select.model').value`), MODELS[1].id, 'the saved model, not the first');
        // The host shows its newest generation again (the page was dropped while hidden): the same text once, the edited prime kept.
        await playGeneration(page, 'r7', settings({ modelId: MODELS[1].id, prime: 'for ', temperature: 1.25, length: 80, seed: 3 }), ['i in range(10):\n'], 16);
        assert.equal(await outputText(page), 'for i in range(10):\n');
        assert.equal(await page.js(`document.querySelector('vscode-textarea.prime').value`), 'while ');
      },
      { savedState: saved },
    );
  });

  it('ignores a corrupt saved state and malformed host messages', async () => {
    await withView(
      async (page) => {
        assert.equal(await page.js(`document.querySelector('vscode-textfield.length').value`), '500', 'the bad length is dropped');
        assert.equal(await page.js(`document.querySelector('vscode-textarea.prime').value`), 'kept');
        await showModels(page);
        await send(page, { type: 'models', models: [{ id: 1 }] } as unknown as HostToSamples);
        await send(page, { type: 'text', requestId: 'r', texts: 5 } as unknown as HostToSamples);
        await send(page, { type: 'explode' } as unknown as HostToSamples);
        await page.send('models');
        await page.page.waitForTimeout(50);
        assert.equal(await page.js(`document.querySelectorAll('vscode-single-select.model vscode-option').length`), MODELS.length);
      },
      { savedState: { settings: { length: 'long', prime: 'kept', temperature: null }, text: 42, status: '<b>' } },
    );
  });

  it('renders hostile model labels, details, errors and generated text as text', async () => {
    await withView(async (page) => {
      await send(page, { type: 'models', models: [{ id: HOSTILE, label: HOSTILE, detail: HOSTILE }] });
      await page.waitFor(`document.querySelector('.model-detail').textContent === ${JSON.stringify(HOSTILE)}`);
      await playGeneration(page, 'x', settings({ modelId: HOSTILE, prime: HOSTILE }), [HOSTILE, '</pre><script>alert(2)</script>']);
      await send(page, { type: 'error', message: HOSTILE });
      await page.waitFor(`document.querySelector('.status').textContent === ${JSON.stringify(HOSTILE)}`);
      assert.equal(await outputText(page), `${HOSTILE}${HOSTILE}</pre><script>alert(2)</script>`);
      assert.equal(await page.js(`document.title`), `RNN Lab Samples ${HOSTILE}`);
      assert.equal(await page.js(`document.querySelectorAll('img').length`), 0, 'no <img> element was created');
      assert.equal(await page.js(`document.querySelectorAll('script').length`), 1, 'only the page script');
      assert.equal(
        await page.js(`[...document.querySelectorAll('vscode-single-select, vscode-option')].some((e) => e.shadowRoot?.querySelector('img'))`),
        false,
      );
    });
  });

  it('keeps up with a fast model: 5,000 text messages of 20 characters', async () => {
    await withView(async (page) => {
      await showModels(page);
      await send(page, { type: 'started', requestId: 'fast', settings: settings({ prime: '' }) });
      const elapsed = await page.js<number>(`(async () => {
        const started = performance.now();
        for (let i = 0; i < 5000; i++) {
          window.postMessage({ type: 'text', requestId: 'fast', texts: ['abcdefghijklmnopqrs\\n'] }, '*');
          if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        return performance.now() - started;
      })()`);
      await page.waitFor(`document.querySelector('.output').textContent.length === 100000`);
      assert.ok(elapsed < 5_000, `100,000 characters took ${Math.round(elapsed)} ms`);
      assert.equal(await page.js(`document.querySelector('.output').childNodes.length`), 2, 'one prime span and one text node');
    });
  });

  it('shows a mostly-whitespace sample faintly marked, and a long one in full in a box that grows', async () => {
    // What a low temperature gives after a short training: runs of spaces and blank lines.
    const spaces = '        \n\n            \n    \treturn \n                \n';
    const long = Array.from({ length: 30 }, (_, i) => `    line ${i}: value = compute(${i})`).join('\n');
    await withView(async (page) => {
      await showModels(page);
      await playGeneration(page, 'ws', settings({ prime: '' }), [spaces.slice(0, 20), spaces.slice(20)]);
      const shown = await page.js<{ text: string; spaces: number; newlines: number; tabs: number; width: number }>(`(() => {
        const box = document.querySelector('.output');
        const space = box.querySelector('.ws-space');
        const spaces = [...box.querySelectorAll('.ws-space')].reduce((n, e) => n + e.textContent.length, 0);
        return { text: box.textContent, spaces, newlines: box.querySelectorAll('.ws-newline').length,
          tabs: box.querySelectorAll('.ws-tab').length, width: space.getBoundingClientRect().width };
      })()`);
      assert.equal(shown.text, spaces, 'the text itself is unchanged (what Copy and a selection give)');
      assert.equal(shown.newlines, 5);
      assert.equal(shown.tabs, 1);
      assert.equal(shown.spaces, [...spaces].filter((c) => c === ' ').length, 'every space is marked (however the pieces arrived)');
      assert.ok(shown.width > 20, `a run of spaces is marked over its width: ${shown.width} px`);
      const marks = await page.js<string>(`getComputedStyle(document.querySelector('.ws-newline'), '::before').content`);
      assert.equal(marks, '"↵"');
      await page.page.screenshot({ path: saveScreenshot('samples-whitespace.png'), fullPage: true });

      await playGeneration(page, 'long', settings({ prime: '' }), [long]);
      const box = await page.js<{ client: number; scroll: number }>(
        `(() => { const b = document.querySelector('.output'); return { client: b.clientHeight, scroll: b.scrollHeight }; })()`,
      );
      assert.ok(box.client > 400, `the box grew with its 30 lines: ${box.client} px`);
      // Indentation is marked; a single space between words is not (as the editor's "boundary" whitespace).
      const marked = await page.js<string[]>(`[...document.querySelectorAll('.output .ws-space')].map((e) => e.textContent)`);
      assert.deepEqual(
        marked,
        Array.from({ length: 30 }, () => '    '),
      );
      assert.ok(box.scroll <= box.client + 1, `all 30 lines show without scrolling inside the box (${box.scroll} > ${box.client})`);
      await page.page.screenshot({ path: saveScreenshot('samples-long.png'), fullPage: true });
    });
  });

  it('fits a narrow side bar without sideways scrolling (screenshots, dark and light)', async () => {
    for (const [theme, name] of [
      [DARK, 'samples.png'],
      [LIGHT, 'samples-light.png'],
    ] as const) {
      await withView(
        async (page) => {
          await showModels(page);
          await type(page, 'vscode-textarea.prime', 'def mean(values):\n');
          await playGeneration(page, 's1', settings({ prime: 'def mean(values):\n', length: 400 }), [SAMPLE.slice(0, 200), SAMPLE.slice(200, 400)], 400);
          await page.page.screenshot({ path: saveScreenshot(name), fullPage: true });
        },
        { theme },
      );
    }
    for (const width of [260, 320, 400]) {
      await withView(
        async (page) => {
          await showModels(page);
          await playGeneration(page, 'w', settings(), [SAMPLE]);
          const overflow = await page.js<number>(`document.documentElement.scrollWidth - document.documentElement.clientWidth`);
          assert.equal(overflow, 0, `${width} px: ${overflow} px of sideways scrolling`);
          const outside = await page.js<
            string[]
          >(`[...document.querySelectorAll('vscode-button, vscode-textfield, vscode-single-select, vscode-textarea, .output')]
            .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).map((e) => e.className)`);
          assert.deepEqual(outside, [], `${width} px: controls cut off on the right`);
        },
        { width },
      );
    }
  });
});
