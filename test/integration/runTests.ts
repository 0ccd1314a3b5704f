/**
 * Entry point of `npm run test:integration` (compiled to
 * out/test/integration/runTests.js): runs the mocha suites in
 * out/test/integration/suite inside a real VS Code extension host through
 * @vscode/test-electron's runTests, with test/fixtures/workspace open.
 *
 * Offline (default): VS Code cannot be downloaded here, so runTests is handed
 * test/integration/vscode/code-launcher.mjs as the "VS Code executable"; it
 * runs the same tests in code-server + headless chromium (installed and cached
 * outside the clone by installVSCode.mjs).
 * RNNLAB_TEST_DESKTOP=1: the same call without vscodeExecutablePath, so
 * runTests downloads and drives desktop VS Code (needs internet and a display).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

// out/test/integration -> repository root
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const launcherDir = path.join(repoRoot, 'test', 'integration', 'vscode');

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
  // Two launches: the main suites in a trusted workspace, then the Restricted
  // Mode suite in an untrusted one (trust is fixed when the workbench starts).
  const launches = [
    { suite: 'suite', workspace: 'workspace', trust: 'disabled' },
    { suite: 'restricted', workspace: 'workspace-restricted', trust: 'restricted' },
  ];
  try {
    for (const launch of launches) {
      const workspace = path.join(repoRoot, 'test', 'fixtures', launch.workspace);
      fs.rmSync(path.join(workspace, '.rnnlab'), { recursive: true, force: true }); // each run starts without runs
      process.env.RNNLAB_TEST_TRUST = launch.trust;
      const code = await runTests({
        ...(vscodeExecutablePath ? { vscodeExecutablePath } : {}),
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath: path.join(__dirname, launch.suite, 'index.js'),
        launchArgs: [workspace],
      });
      if (code !== 0) return code;
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
