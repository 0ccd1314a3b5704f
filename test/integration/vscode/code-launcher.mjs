#!/usr/bin/env node
// Stands in for the VS Code executable that @vscode/test-electron's runTests
// would download: runTests spawns this with VS Code's command line, and we run
// the same extension tests in code-server (VS Code 1.139 workbench + a real
// Node extension host) driven by headless Debian chromium. The exit code is the
// test exit code, so runTests cannot tell the difference.
// Why each step: test/integration/README.md.
//
// Environment:
//   RNNLAB_TEST_TRUST=restricted  open the folder in Restricted Mode (default:
//                                 trust disabled, like runTests' own flag)
//   RNNLAB_TEST_TIMEOUT_S=600     whole-run timeout, seconds
//   RNNLAB_TEST_SCREENSHOT=1|NAME save a PNG of the workbench after the tests
//                                 into test-artefacts/ (NAME.png, default workbench.png)
//   RNNLAB_TEST_LOGS=1            save the workbench's log files into test-artefacts/vscode-logs/
//   RNNLAB_TEST_SETTINGS='{...}'  extra VS Code user settings (JSON object)
//   RNNLAB_TEST_VERBOSE=1         also print workbench logs, browser console, code-server output
//   RNNLAB_TEST_KEEP_TMP=1        keep the temporary profile folders
//   RNNLAB_TEST_INSTALL_VSIX=FILE install this package into the fresh profile
//                                 (code-server --install-extension) before starting
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH, cachePaths, readMarker } from './installVSCode.mjs';
import { CodeServerError, createProfile, freePort, installExtension, startCodeServer, stopCodeServer, stopCodeServerNow, tail } from './codeServer.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ARTEFACTS = path.join(REPO_ROOT, 'test-artefacts');
const env = process.env;
const verbose = env.RNNLAB_TEST_VERBOSE === '1';
const trust = env.RNNLAB_TEST_TRUST || 'disabled';
const timeoutS = Number(env.RNNLAB_TEST_TIMEOUT_S || 600);

// The extension host's console output reaches us as workbench log lines,
// untagged. The suite's index.ts prefixes the extension host's console with
// LOG_MARK (passed through code-server's environment), so without
// RNNLAB_TEST_VERBOSE we print exactly those lines (mocha's report, tests'
// console.log) and drop the workbench's own noise (gallery, auth, chat).
const LOG_MARK = '[rnnlab-test] ';

const say = (m) => console.log(`[code-launcher] ${m}`);

/** Fails the run with one line (cleanup runs through the exit path). */
class LaunchError extends Error {}

/**
 * runTests passes `--extensionDevelopmentPath=`, `--extensionTestsPath=`, the
 * launchArgs (our fixture folder) and desktop-only flags (--no-sandbox,
 * --disable-gpu-sandbox, --disable-updates, --skip-welcome,
 * --skip-release-notes, --disable-workspace-trust, --extensions-dir=,
 * --user-data-dir=). We use the first three; the rest do not apply to
 * code-server or are replaced by our own fresh folders and RNNLAB_TEST_TRUST.
 */
function parseArgs(argv) {
  const devPaths = [];
  let testsPath;
  const positional = [];
  for (const a of argv) {
    if (a.startsWith('--extensionDevelopmentPath=')) devPaths.push(path.resolve(a.slice(27)));
    else if (a.startsWith('--extensionTestsPath=')) testsPath = path.resolve(a.slice(21));
    else if (a.startsWith('-')) {
      if (verbose) say(`ignoring ${a}`);
    } else positional.push(path.resolve(a));
  }
  if (devPaths.length === 0) throw new LaunchError('no --extensionDevelopmentPath= argument');
  if (!testsPath) throw new LaunchError('no --extensionTestsPath= argument');
  if (positional.length > 1) throw new LaunchError(`only one folder or workspace can be opened, got ${positional.join(', ')}`);
  return { devPaths, testsPath, open: positional[0] };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- state that cleanup needs ----------------------------------------------
let server; // code-server child, leader of its own process group
let serverOutput = () => '';
let context; // Playwright persistent browser context
let tmp;
let cleaning;
// Set when a timeout or signal tears things down under main()'s feet: the
// errors main() then sees are consequences, not news.
let stopping = false;

/** Kills the browser and code-server's whole process group; idempotent. */
function cleanup() {
  cleaning ??= (async () => {
    if (context) {
      // Playwright also kills the browser when this process exits; the race
      // keeps a hung close from delaying us.
      await Promise.race([context.close().catch(() => {}), sleep(5000)]);
    }
    await stopCodeServer(server);
    // Retries: a dying chromium may still be writing into its profile.
    if (tmp && env.RNNLAB_TEST_KEEP_TMP !== '1') fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
    else if (tmp) say(`kept ${tmp}`);
  })();
  return cleaning;
}

// Last resort if we die without running cleanup(): synchronous group kill.
process.on('exit', () => stopCodeServerNow(server));
// runTests forwards Ctrl+C as SIGINT; CI cancels with SIGTERM.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) return; // Ctrl+C reaches us twice: from the terminal and from runTests
    say(`${sig}: stopping`);
    stopping = true;
    cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

/** User settings for the fresh profile: quiet, and no trust prompt. */
function userSettings() {
  const settings = {
    // With trust enabled (restricted mode) the folder would otherwise open
    // behind a modal "Do you trust the authors" dialog; "never" opens it
    // untrusted, i.e. in Restricted Mode, without asking.
    'security.workspace.trust.startupPrompt': 'never',
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.enableExperiments': false,
    'chat.disableAIFeatures': true,
  };
  if (env.RNNLAB_TEST_SETTINGS) {
    try {
      Object.assign(settings, JSON.parse(env.RNNLAB_TEST_SETTINGS));
    } catch (e) {
      throw new LaunchError(`RNNLAB_TEST_SETTINGS is not JSON: ${e.message}`);
    }
  }
  return settings;
}

/**
 * A fresh profile (with the package installed when RNNLAB_TEST_INSTALL_VSIX
 * names one), then code-server serving the folder. From then on an early exit
 * of code-server fails the run instead of hanging it.
 */
async function launchCodeServer(paths, port, open) {
  const profile = createProfile(tmp, userSettings());
  const vsix = env.RNNLAB_TEST_INSTALL_VSIX;
  if (vsix) {
    installExtension(paths, profile, path.resolve(vsix));
    if (verbose) say(`installed ${vsix}`);
  }
  const started = await startCodeServer({
    paths,
    profile,
    port,
    open,
    trust,
    // Without it code-server ignores the payload that carries the test paths.
    extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
    env: { RNNLAB_TEST_LOG_MARK: LOG_MARK },
    onOutput: (d) => verbose && process.stderr.write(`[code-server] ${d}`),
    onSpawn: (child) => (server = child),
  });
  serverOutput = started.output;
  // Wrapped: an async function returning a bare promise would adopt it (and wait for code-server to exit).
  return { exited: started.exited };
}

/** vscode-remote URI of a server-side path, as the workbench's payload wants it. */
function remoteUri(authority, p) {
  return `vscode-remote://${authority}${p.split('/').map(encodeURIComponent).join('/')}`;
}

function workbenchUrl(port, { devPaths, testsPath, open }) {
  const authority = `127.0.0.1:${port}`;
  const payload = [...devPaths.map((p) => ['extensionDevelopmentPath', remoteUri(authority, p)]), ['extensionTestsPath', remoteUri(authority, testsPath)]];
  const q = new URLSearchParams();
  if (open && open.endsWith('.code-workspace')) q.set('workspace', open);
  else if (open) q.set('folder', open);
  else q.set('ew', 'true'); // empty window
  q.set('payload', JSON.stringify(payload));
  return `http://${authority}/?${q}`;
}

/** The workbench passes console-style arguments: a format string and values. */
function formatArgs(args) {
  return format(...(Array.isArray(args) ? args : [args]));
}

async function saveArtefacts(page, logs) {
  const shot = env.RNNLAB_TEST_SCREENSHOT;
  if (shot) {
    const file = path.resolve(ARTEFACTS, `${shot === '1' ? 'workbench' : shot.replace(/\.png$/, '')}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page
      .locator('.monaco-workbench')
      .waitFor({ state: 'visible', timeout: 10_000 })
      .catch(() => {});
    await page.screenshot({ path: file });
    say(`screenshot: ${path.relative(process.cwd(), file)}`);
  }
  if (env.RNNLAB_TEST_LOGS === '1' && Array.isArray(logs)) {
    const dir = path.join(ARTEFACTS, 'vscode-logs');
    for (const { relativePath, contents } of logs) {
      const file = path.join(dir, relativePath);
      if (!file.startsWith(dir + path.sep)) continue; // never write outside
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, contents);
    }
    say(`workbench logs: ${path.relative(process.cwd(), dir)}`);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const paths = cachePaths();
  if (!readMarker(paths)) {
    throw new LaunchError(`code-server is not installed in ${paths.root}; run: node test/integration/vscode/installVSCode.mjs`);
  }
  if (!fs.existsSync(CHROMIUM_PATH)) throw new LaunchError(`${CHROMIUM_PATH} is missing; run installVSCode.mjs`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-vscode-'));
  const started = Date.now();

  const port = await freePort();
  const { exited: serverExited } = await launchCodeServer(paths, port, opts.open);
  if (verbose) say(`code-server up on ${port} after ${Date.now() - started} ms`);

  context = await chromium.launchPersistentContext(path.join(tmp, 'browser-profile'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Playwright would otherwise exit on these itself, before our cleanup.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    viewport: { width: 1280, height: 800 },
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
  const page = context.pages()[0] ?? (await context.newPage());
  screenshotPage = page;

  let finish;
  const finished = new Promise((resolve) => {
    finish = resolve;
  });
  // The workbench calls these once it sees the smoke-test driver option:
  // every log line (the extension host's console, hence mocha's report,
  // included), then the tests' exit code.
  await page.exposeFunction('codeAutomationLog', (type, args) => printLog(type, args));
  await page.exposeFunction('codeAutomationExit', (code, logs) => finish({ code: Number(code), logs }));
  page.on('crash', () => finish({ error: 'the browser page crashed' }));
  if (verbose) {
    page.on('console', (m) => console.error(`[browser:${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => console.error(`[browser:pageerror] ${e.message}`));
  }
  await page.goto(workbenchUrl(port, opts));

  const result = await Promise.race([finished, serverExited.then((c) => ({ error: `code-server exited (${c}) during the tests:\n${tail(serverOutput())}` }))]);
  if (result.error) throw new LaunchError(result.error);
  if (verbose) say(`tests finished with ${result.code} after ${Date.now() - started} ms`);
  else if (result.code !== 0) {
    if (!sawSuiteOutput && recentErrors.length > 0) {
      say(`the test suite printed nothing; last workbench errors:\n  ${recentErrors.join('\n  ')}`);
    }
    say('RNNLAB_TEST_VERBOSE=1 also prints the workbench log');
  }
  await saveArtefacts(page, result.logs).catch((e) => say(`could not save artefacts: ${e.message}`));
  return result.code;
}

// See LOG_MARK. Unmarked error lines are kept: if the suite never printed
// anything (it failed to load, say), they are the only clue.
let sawSuiteOutput = false;
const recentErrors = [];
// A test asks for a picture of the workbench as it is now (e.g. mid-training)
// by logging `@@screenshot:NAME`, or `@@screenshot:NAME:X,Y,W,H` for that
// rectangle of the page (CSS pixels); it should wait a moment before changing the UI.
const SCREENSHOT_REQUEST = /^@@screenshot:([\w-]+)(?::(\d+),(\d+),(\d+),(\d+))?$/;
let screenshotPage;
function printLog(type, args) {
  const line = formatArgs(args);
  const request = line.startsWith(LOG_MARK) ? SCREENSHOT_REQUEST.exec(line.slice(LOG_MARK.length).trim()) : null;
  if (request && screenshotPage) {
    const file = path.resolve(ARTEFACTS, `${request[1]}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const [x, y, width, height] = request.slice(2).map(Number);
    const clip = request[2] === undefined ? undefined : { x, y, width, height };
    screenshotPage.screenshot({ path: file, ...(clip ? { clip } : {}) }).then(
      () => say(`screenshot: ${path.relative(process.cwd(), file)}`),
      (e) => say(`screenshot ${request[1]} failed: ${e.message}`),
    );
    return;
  }
  if (verbose) console.log(`[${type}] ${line}`);
  else if (line.startsWith(LOG_MARK)) {
    sawSuiteOutput = true;
    console.log(line.slice(LOG_MARK.length));
  } else if (type === 'error') {
    recentErrors.push(line.split('\n')[0]);
    if (recentErrors.length > 10) recentErrors.shift();
  }
}

if (!(timeoutS > 0)) {
  console.error(`[code-launcher] RNNLAB_TEST_TIMEOUT_S must be a positive number of seconds, got "${env.RNNLAB_TEST_TIMEOUT_S}"`);
  process.exit(1);
}
setTimeout(() => {
  console.error(`[code-launcher] timed out after ${timeoutS} s (RNNLAB_TEST_TIMEOUT_S)`);
  stopping = true;
  cleanup().finally(() => process.exit(1));
}, timeoutS * 1000);

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (e) => {
    if (stopping) return; // the timeout or signal handler exits
    console.error(`[code-launcher] ${e instanceof LaunchError || e instanceof CodeServerError ? e.message : e.stack}`);
    await cleanup();
    process.exit(1);
  },
);
