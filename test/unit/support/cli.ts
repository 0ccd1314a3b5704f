/** Runs the built `rnn-lab` command as a user would, and checks its failures look right. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const CLI = path.join(__dirname, '..', '..', '..', '..', 'bin', 'rnn-lab.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command still running after `timeoutMs` is killed (SIGKILL: a hung one may ignore SIGTERM) and reported with code null. */
export function runCli(args: string[], cwd: string, timeoutMs = 300_000, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, RNNLAB_DEBUG: '', ...env },
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit code as expected, exactly one `rnn-lab: error:` line matching `message`, and no stack trace. */
export function assertCleanFailure(r: { code: number | null; stderr: string }, code: number, message: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('rnn-lab: error:'));
  assert.equal(errorLines.length, 1, `one error line in: ${r.stderr}`);
  assert.match(errorLines[0], message);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}
