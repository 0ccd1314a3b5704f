/**
 * Smoke test of the integration harness itself: the extension is installed in
 * the extension host, activates, and the fixture workspace is open.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

const EXTENSION_ID = 'rnn-lab.rnn-lab';

describe('activation', () => {
  it('runs inside a real VS Code extension host', () => {
    // Logged rather than asserted: desktop VS Code and code-server differ here.
    console.log(
      `      ${vscode.env.appName} ${vscode.version}, uiKind ${vscode.UIKind[vscode.env.uiKind]}, ` +
        `remote ${vscode.env.remoteName ?? 'none'}, Node ${process.version}`,
    );
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
  });

  it(`finds and activates ${EXTENSION_ID}`, async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed in the extension host`);
    const wasActive = ext.isActive;
    const t0 = performance.now();
    await ext.activate();
    const ms = performance.now() - t0;
    assert.equal(ext.isActive, true);
    console.log(`      activation: ${wasActive ? 'already active' : `${ms.toFixed(1)} ms`}`);
  });

  it('opens the fixture workspace', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'exactly one workspace folder');
    // A fresh copy of test/fixtures/workspace (runTests.ts), never the repository's own files.
    const folder = folders[0].uri.fsPath;
    assert.equal(path.basename(folder), 'workspace');
    assert.notEqual(path.dirname(folder), path.join(ext.extensionPath, 'test', 'fixtures'));
    const fixture = path.join(ext.extensionPath, 'test', 'fixtures', 'workspace');
    for (const name of fs.readdirSync(fixture).filter((n) => n !== '.rnnlab')) {
      assert.equal(fs.readFileSync(path.join(folder, name), 'utf8'), fs.readFileSync(path.join(fixture, name), 'utf8'), `${name} as in the fixture`);
    }
  });

  it('has the workspace trust the launcher was asked for', () => {
    // RNNLAB_TEST_TRUST=restricted opens the folder in Restricted Mode
    // (code-server launcher only; desktop runs always disable trust).
    const restricted = process.env.RNNLAB_TEST_TRUST === 'restricted';
    assert.equal(vscode.workspace.isTrusted, !restricted);
  });
});
