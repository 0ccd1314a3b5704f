#!/usr/bin/env node
// The Debian packages the tests use, listed once, and the step that makes sure
// they are there. `npm test` runs this first: as root with apt-get it installs
// the missing ones itself; otherwise it stops at once with the exact command.
// Nothing is skipped: a test without its package would prove nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';

/** package → why the tests need it */
export const DEBIAN_PACKAGES = {
  'python3-onnx': 'the ONNX tests check exported models with the onnx checker',
  'python3-torch': 'numeric tests compare against PyTorch autograd; npm run bench races it',
  // Without it PyTorch links the reference BLAS and is 14× slower.
  'libopenblas0-pthread': 'PyTorch at its real speed in npm run bench',
  chromium: 'webview tests and the VS Code (code-server) integration tests run in headless Chromium',
  // chromium only recommends fonts, and we install without recommends.
  'fonts-liberation': 'real fonts for screenshots of webviews and the workbench',
  'libkrb5-dev': "code-server's kerberos module builds from source when the test launcher installs it",
};

export class PrerequisiteError extends Error {}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

export function missingPackages(packages = Object.keys(DEBIAN_PACKAGES)) {
  return packages.filter((p) => !installed(p));
}

/** Root with apt-get on PATH. */
function canInstallHere() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

function runApt(args) {
  // No stdin and no debconf prompts, whatever the terminal.
  const r = spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new PrerequisiteError(`apt-get ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/**
 * Installs the missing packages (root with apt-get), or throws with the
 * command a person must run. Cheap when everything is there: one dpkg query each.
 */
export function ensureDebianPackages({ packages = Object.keys(DEBIAN_PACKAGES), log = console.log, canInstall = canInstallHere } = {}) {
  const missing = missingPackages(packages);
  if (missing.length === 0) return [];
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!canInstall()) {
    const why = missing.map((p) => `  ${p}: ${DEBIAN_PACKAGES[p] ?? ''}`).join('\n');
    throw new PrerequisiteError(`the tests need Debian packages that are missing:\n${why}\nInstall them with:\n  sudo ${command}`);
  }
  log(`[prerequisites] installing ${missing.join(' ')} (a few minutes, once)`);
  runApt(['update', '-q']);
  runApt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
  const still = missingPackages(missing);
  if (still.length) throw new PrerequisiteError(`apt-get finished but ${still.join(' ')} is still missing`);
  return missing;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    ensureDebianPackages();
    if (!fs.existsSync('/usr/bin/chromium')) throw new PrerequisiteError('/usr/bin/chromium is missing although chromium is installed');
  } catch (e) {
    console.error(e instanceof PrerequisiteError ? `npm test: ${e.message}` : e);
    process.exit(1);
  }
}
