/**
 * Serves a webview page to real headless Chromium the way VS Code would: the
 * real page from webviewHtml.ts with its CSP, the built bundle from media/, a
 * stub `acquireVsCodeApi` that records what the page posts and saves, and the
 * theme's `--vscode-*` variables set on the root element.
 *
 * Uses Debian's chromium (never a browser downloaded by Playwright).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createNonce, webviewHtml } from '../../src/extension/webview/webviewHtml';
import type { WebviewTheme } from './themes';

const REPO = path.resolve(__dirname, '../../..');
const MEDIA = path.join(REPO, 'media');
export const ARTEFACTS = path.join(REPO, 'test-artefacts', 'webview');
export const CHROMIUM = '/usr/bin/chromium';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface PageServer {
  origin: string;
  /** The page title, which the tests set to hostile text to check its escaping. */
  title: string;
  close(): Promise<void>;
}

/** The webview pages the server serves, built by the extension's own page function. */
const PAGES = ['dashboard', 'samples', 'neurons', 'compare'] as const;
export type WebviewName = (typeof PAGES)[number];

/** A loopback server for the webview pages (/dashboard.html, /samples.html, /neurons.html, /compare.html) and the extension's media files. */
export async function startPageServer(title: string): Promise<PageServer> {
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const name = /^\/(\w+)\.html$/.exec(url.pathname)?.[1];
    if (name && (PAGES as readonly string[]).includes(name)) {
      const html = webviewHtml({
        cspSource: origin,
        nonce: createNonce(),
        scriptUri: `${origin}/media/${name}/${name}.js`,
        styleUris: [`${origin}/media/${name}/${name}.css`],
        codiconsUri: `${origin}/media/codicons/codicon.css`,
        title,
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      // Chromium asks every http origin for one; a webview in VS Code never does.
      res.writeHead(204).end();
      return;
    }
    const file = path.normalize(path.join(REPO, decodeURIComponent(url.pathname)));
    if (url.pathname.startsWith('/media/') && file.startsWith(MEDIA + path.sep) && fs.existsSync(file)) {
      res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, title, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  // launch() gives every run a fresh temporary profile, deleted on close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return { browser, close: () => browser.close() };
}

/** What the page did that the tests check besides its DOM. */
export interface PageProblems {
  consoleErrors: string[];
  cspViolations: string[];
  dialogs: string[];
}

export interface WebviewPage {
  page: Page;
  context: BrowserContext;
  problems: PageProblems;
  /** Messages the page posted to the host, in order. */
  posted<T extends { type: string } = { type: string; runId?: string }>(): Promise<T[]>;
  /** The state the page last saved with setState. */
  savedState(): Promise<unknown>;
  /** Sends a message from the "host". */
  send(message: unknown): Promise<void>;
  /** Evaluates an expression in the page (a string: the node test build has no DOM types). */
  js<T>(expression: string): Promise<T>;
  /**
   * Waits until the expression is truthy. (Playwright's waitForFunction polls
   * with eval inside the page, which the page's CSP rightly refuses.)
   */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  setTheme(theme: WebviewTheme): Promise<void>;
  close(): Promise<void>;
}

export async function openDashboard(browser: Browser, server: PageServer, theme: WebviewTheme, savedState?: unknown): Promise<WebviewPage> {
  return openWebview(browser, server, 'dashboard', theme, { savedState });
}

export interface OpenOptions {
  savedState?: unknown;
  /** CSS pixels; a side-bar view is narrow. Default 1280×900 (an editor panel). */
  viewport?: { width: number; height: number };
}

export async function openWebview(
  browser: Browser,
  server: PageServer,
  name: WebviewName,
  theme: WebviewTheme,
  { savedState, viewport }: OpenOptions = {},
): Promise<WebviewPage> {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: PageProblems = { consoleErrors: [], cspViolations: [], dialogs: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.consoleErrors.push(`uncaught: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.exposeFunction('__reportCspViolation', (text: string) => problems.cspViolations.push(text));
  await page.addInitScript({ content: initScript(theme, savedState) });
  await page.goto(`${server.origin}/${name}.html`);

  const js = <T>(expression: string): Promise<T> => page.evaluate<T>(expression);
  return {
    page,
    context,
    problems,
    posted: () => js('window.__posted'),
    savedState: () => js('window.__savedState'),
    send: async (message) => {
      await page.evaluate(`window.postMessage(${JSON.stringify(message)}, '*')`);
    },
    js,
    waitFor: async (expression, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await js<unknown>(expression))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    setTheme: async (next) => {
      await page.evaluate(`window.__applyTheme(${JSON.stringify(next)})`);
    },
    close: () => context.close(),
  };
}

/**
 * Runs before the page's own scripts (Playwright injects it past the CSP, as
 * VS Code injects its own bootstrap): the VS Code API stub, a CSP violation
 * listener, and the theme, applied as soon as <html> and <body> exist.
 */
function initScript(theme: WebviewTheme, savedState: unknown): string {
  return `
(() => {
  window.__posted = [];
  window.__savedState = ${JSON.stringify(savedState ?? null)};
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (message) => { window.__posted.push(JSON.parse(JSON.stringify(message))); },
      getState: () => window.__savedState === null ? undefined : JSON.parse(JSON.stringify(window.__savedState)),
      setState: (state) => { window.__savedState = JSON.parse(JSON.stringify(state)); return state; },
    });
  };
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__reportCspViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' + event.lineNumber);
  }, true);
  window.__applyTheme = (theme) => {
    for (const [name, value] of Object.entries(theme.variables)) document.documentElement.style.setProperty(name, value);
    if (document.body) {
      document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
      document.body.classList.add(theme.bodyClass);
    }
  };
  const theme = ${JSON.stringify(theme)};
  const observer = new MutationObserver(() => {
    if (!document.documentElement) return;
    window.__applyTheme(theme);
    if (document.body) observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true });
})();
`;
}

export function saveScreenshot(name: string): string {
  fs.mkdirSync(ARTEFACTS, { recursive: true });
  return path.join(ARTEFACTS, name);
}

/** After a test body: the page logged no error, broke no CSP rule and opened no dialog. */
export async function assertNoPageProblems(page: WebviewPage): Promise<void> {
  // Give late errors (a failed font, a rejected stylesheet) a frame to surface.
  await page.page.waitForTimeout(100);
  assert.deepEqual(page.problems.cspViolations, [], 'CSP violations');
  assert.deepEqual(page.problems.consoleErrors, [], 'console errors');
  assert.deepEqual(page.problems.dialogs, [], 'dialogs opened');
}
