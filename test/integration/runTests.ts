/**
 * Entry point of `npm run test:integration` (compiled to
 * out/test/integration/runTests.js): runs the mocha suites in
 * out/test/integration/suite inside a real VS Code extension host through
 * @vscode/test-electron's runTests, with a copy of test/fixtures/workspace open.
 *
 * Offline (default): VS Code cannot be downloaded here, so runTests is handed
 * test/integration/vscode/code-launcher.mjs as the "VS Code executable"; it
 * runs the same tests in code-server + headless chromium (installed and cached
 * outside the clone by installVSCode.mjs).
 * RNNLAB_TEST_DESKTOP=1: the same call without vscodeExecutablePath, so
 * runTests downloads and drives desktop VS Code (needs internet and a display).
 *
 * Three launches: the main suites (suite/) and the Restricted Mode suite
 * (restricted/) with the repository as the extension under development, then
 * the smoke suite (installed/) against this platform's .vsix built by
 * scripts/package.mjs and installed with --install-extension, as a user would,
 * on a copy of the sample workspace that `npm start` opens (its walkthrough too).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests, runVSCodeCommand } from '@vscode/test-electron';

// out/test/integration -> repository root
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const launcherDir = path.join(repoRoot, 'test', 'integration', 'vscode');

interface Launch {
  suite: 'suite' | 'restricted' | 'installed';
  /** The folder to open, with no runs in it, and what removes it afterwards. */
  workspace: () => { folder: string; dispose(): void };
  trust: 'disabled' | 'restricted';
}

/**
 * A fresh copy of a folder of the repository, under its own name (the
 * screenshots show it), without runs: the tests edit, train and write in the
 * copy, so an edit a failed or killed test never undid cannot reach the
 * repository's fixtures, and no run of an earlier test run is seen.
 */
function freshCopy(from: string): ReturnType<Launch['workspace']> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), `rnnlab-${path.basename(from)}-`));
  const folder = path.join(parent, path.basename(from));
  fs.cpSync(from, folder, { recursive: true, filter: (src) => path.basename(src) !== '.rnnlab' });
  return { folder, dispose: () => fs.rmSync(parent, { recursive: true, force: true }) };
}

const fixture =
  (name: string): Launch['workspace'] =>
  () =>
    freshCopy(path.join(repoRoot, 'test', 'fixtures', name));
const sampleCopy = () => freshCopy(path.join(repoRoot, 'sample'));

/** Builds this platform's package (the other platforms are `npm run package`'s job); returns its path. */
function packageForThisPlatform(): string {
  const target = `${process.platform}-${process.arch}`;
  const outDir = path.join(repoRoot, 'out', 'vsix-test');
  console.log(`packaging ${target} for the installed-package smoke suite`);
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs'), '--target', target, '--out', outDir], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/package.mjs --target ${target} exited with ${r.status ?? r.signal}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(outDir, `${manifest.name}-${manifest.version}-${target}.vsix`);
}

/**
 * VS Code runs extension tests only beside an extension under development. For
 * the installed package that is a harness: out/test/integration (where the
 * compiled suites are) with a manifest that contributes nothing, so the only
 * RNN Lab in the window is the installed one.
 */
function testHarness(): string {
  const manifest = { name: 'rnn-lab-test-harness', publisher: 'rnn-lab', version: '0.0.0', engines: { vscode: '^1.95.0' } };
  fs.writeFileSync(path.join(__dirname, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return __dirname;
}

/** Installs the package where the launch will find it; returns how to undo that. */
async function installPackage(vsix: string, desktop: boolean): Promise<() => Promise<void>> {
  if (!desktop) {
    // The code-server launcher installs it into its fresh profile.
    process.env.RNNLAB_TEST_INSTALL_VSIX = vsix;
    return async () => void delete process.env.RNNLAB_TEST_INSTALL_VSIX;
  }
  // Desktop: runTests' own profile folders (.vscode-test/), as @vscode/test-electron documents.
  await runVSCodeCommand(['--install-extension', vsix], { spawn: { stdio: 'inherit' } });
  return async () => void (await runVSCodeCommand(['--uninstall-extension', 'rnn-lab.rnn-lab']));
}

async function main(): Promise<number> {
  const desktop = process.env.RNNLAB_TEST_DESKTOP === '1';
  let vscodeExecutablePath: string | undefined;
  if (!desktop) {
    // A child process: the installer is an ES module runnable on its own, and
    // it prints its own progress and its one-line error.
    const install = spawnSync(process.execPath, [path.join(launcherDir, 'installVSCode.mjs')], { stdio: 'inherit' });
    if (install.status !== 0) return 1;
    vscodeExecutablePath = path.join(launcherDir, 'code-launcher.mjs');
  }
  // The main suites in a trusted workspace, the Restricted Mode suite in an
  // untrusted one (trust is fixed when the workbench starts), then the package.
  const launches: Launch[] = [
    { suite: 'suite', workspace: fixture('workspace'), trust: 'disabled' },
    { suite: 'restricted', workspace: fixture('workspace-restricted'), trust: 'restricted' },
    { suite: 'installed', workspace: sampleCopy, trust: 'disabled' },
  ];
  // RNNLAB_TEST_SUITES=installed (comma-separated) runs only those launches.
  const only = process.env.RNNLAB_TEST_SUITES?.split(',').map((x) => x.trim());
  try {
    for (const launch of launches.filter((l) => !only || only.includes(l.suite))) {
      const workspace = launch.workspace();
      process.env.RNNLAB_TEST_TRUST = launch.trust;
      const installed = launch.suite === 'installed';
      const uninstall = installed ? await installPackage(packageForThisPlatform(), desktop) : async () => {};
      try {
        const code = await runTests({
          ...(vscodeExecutablePath ? { vscodeExecutablePath } : {}),
          extensionDevelopmentPath: installed ? testHarness() : repoRoot,
          extensionTestsPath: path.join(__dirname, launch.suite, 'index.js'),
          launchArgs: [workspace.folder],
        });
        if (code !== 0) return code;
      } finally {
        await uninstall();
        workspace.dispose();
      }
    }
    return 0;
  } catch (e) {
    // runTests rejects with the exit code when tests fail; it has already
    // printed the report, so one line is enough here.
    const code = (e as { code?: number }).code;
    console.error(`integration tests failed: ${(e as Error).message}`);
    return typeof code === 'number' && code !== 0 ? code : 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`integration tests could not start: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  },
);
