// Starting and stopping code-server from the cached install (installVSCode.mjs):
// a fresh profile, extensions installed from .vsix files, the server on a
// loopback port. Shared by the test launcher (code-launcher.mjs) and
// `npm start` (scripts/start.mjs). Facts behind each step:
// test/integration/README.md ("Why code-server").
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { node24Env } from './installVSCode.mjs';

export class CodeServerError extends Error {}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port the OS says is free right now on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

export function tail(text, n = 20) {
  return text.trim().split('\n').slice(-n).join('\n');
}

/**
 * Profile folders inside `dir`: user data with these user settings, an empty
 * extensions folder, and an explicit config (else code-server writes one into
 * the home folder).
 */
export function createProfile(dir, settings) {
  const profile = { userData: path.join(dir, 'user-data'), extensions: path.join(dir, 'extensions'), config: path.join(dir, 'config.yaml') };
  fs.mkdirSync(path.join(profile.userData, 'User'), { recursive: true });
  fs.mkdirSync(profile.extensions, { recursive: true });
  fs.writeFileSync(path.join(profile.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.writeFileSync(profile.config, 'auth: none\n');
  return profile;
}

function profileArgs(profile) {
  return ['--config', profile.config, '--user-data-dir', profile.userData, '--extensions-dir', profile.extensions];
}

/** The environment for code-server: Node 24 first on PATH, and nothing that would hand the folder to another VS Code. */
function serverEnv(paths, extra) {
  const env = { ...node24Env(paths), ...extra };
  // Started from a VS Code terminal, code-server would see these and hand the
  // folder to that VS Code instead of serving it itself.
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  }
  return env;
}

/** `code-server --install-extension FILE.vsix` into the profile, as a user would install a package. */
export function installExtension(paths, profile, vsix) {
  const r = spawnSync(paths.nodeExe, [paths.codeServerEntry, ...profileArgs(profile), '--install-extension', path.resolve(vsix)], {
    env: serverEnv(paths, {}),
    cwd: path.dirname(profile.config),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new CodeServerError(`code-server --install-extension ${path.basename(vsix)} failed (${r.status ?? r.signal}):\n${tail(out)}`);
  }
}

/**
 * Starts code-server detached (leader of its own process group, so that
 * stopCodeServer can end its file watchers and extension hosts too) and waits
 * for /healthz. `trust`: 'disabled' (no Workspace Trust) or 'restricted'.
 * `onSpawn(child)` runs at once, so a caller's signal handler can stop a server
 * that is still starting. Returns { child, exited, output(), port }.
 */
export async function startCodeServer({ paths, profile, port, open, trust = 'disabled', extraArgs = [], env = {}, onOutput = () => {}, onSpawn = () => {} }) {
  const args = [
    paths.codeServerEntry,
    ...profileArgs(profile),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...extraArgs,
  ];
  if (trust === 'disabled') args.push('--disable-workspace-trust');
  else if (trust !== 'restricted') throw new CodeServerError(`trust must be "restricted" or "disabled", got "${trust}"`);
  if (open) args.push(open);

  const child = spawn(paths.nodeExe, args, {
    env: serverEnv(paths, env),
    cwd: path.dirname(profile.config),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn(child);
  let log = '';
  const onData = (d) => {
    log = (log + d).slice(-20000);
    onOutput(String(d));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig)));
  const output = () => log;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (await httpOk(`http://127.0.0.1:${port}/healthz`)) break;
    const gone = await Promise.race([exited, sleep(200).then(() => undefined)]);
    if (gone !== undefined) throw new CodeServerError(`code-server exited (${gone}) before answering:\n${tail(log)}`);
    if (Date.now() > deadline) {
      stopCodeServerNow(child);
      throw new CodeServerError(`code-server did not answer /healthz within 60 s:\n${tail(log)}`);
    }
  }
  return { child, exited, output, port };
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL to the whole group, for exit handlers that cannot wait. */
export function stopCodeServerNow(child) {
  if (child?.pid && groupAlive(child.pid)) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * code-server leaves file-watcher and extension-host children behind if only
 * its main process is killed: SIGTERM to the whole group, SIGKILL after 3 s.
 */
export async function stopCodeServer(child) {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 30 && groupAlive(child.pid); i++) await sleep(100);
  stopCodeServerNow(child);
}
