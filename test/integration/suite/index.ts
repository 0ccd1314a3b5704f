/**
 * The extensionTestsPath module: VS Code's extension host loads it after
 * starting the extension under development and calls `run()`. A resolved
 * promise means success; a rejection makes VS Code (or our code-server
 * launcher) exit with a non-zero code.
 *
 * Runs every `*.test.js` next to this file (and below it) with mocha's BDD
 * interface. RNNLAB_TEST_GREP narrows the run to matching test titles.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/**
 * In code-server, the extension host's console reaches the test launcher mixed
 * with the workbench's own log lines, untagged. The launcher sets this mark;
 * prefixing the extension host's console output with it lets the launcher
 * print the mocha report and whatever tests log, and drop the rest. Unset
 * under desktop VS Code, whose extension host writes to the terminal directly.
 *
 * VS Code installs console.log & co. as accessors whose setter ignores
 * assignments (its forwarder must stay in place), so we redefine the property,
 * keeping VS Code's function underneath.
 */
function markConsole(mark: string): void {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const forward = console[level];
    const marked = (...args: unknown[]) => forward.call(console, mark + format(...args));
    Object.defineProperty(console, level, {
      configurable: true,
      enumerable: true,
      get: () => marked,
      set: () => {},
    });
  }
  // Mocha's reporters captured console.log when mocha was loaded.
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(...args);
}

export function run(): Promise<void> {
  return runSuite(__dirname, path.join('test', 'integration', 'suite'));
}

/**
 * Runs the `*.test.js` files in `dir` (compiled from `sourceRelative`, a path
 * inside the repository). Separate folders are separate launches: the
 * Restricted Mode suite needs a workbench started without workspace trust.
 */
export async function runSuite(dir: string, sourceRelative: string): Promise<void> {
  const mark = process.env.RNNLAB_TEST_LOG_MARK;
  if (mark) markConsole(mark);
  const mocha = new Mocha({
    ui: 'bdd',
    // Colours survive the trip through the workbench log into the terminal.
    color: !process.env.NO_COLOR,
    // Extension-host work (activation, opening documents) is slower in CI.
    timeout: 60_000,
    ...(process.env.RNNLAB_TEST_GREP ? { grep: process.env.RNNLAB_TEST_GREP } : {}),
  });

  // tsc never deletes outputs: a compiled test whose .ts source was removed
  // or renamed would still run. Only run those that still have a source.
  const sourceDir = path.resolve(__dirname, '..', '..', '..', '..', sourceRelative);
  const files = fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => {
      const hasSource = fs.existsSync(path.join(sourceDir, f.replace(/\.js$/, '.ts')));
      if (!hasSource) console.warn(`skipping ${f}: no ${f.replace(/\.js$/, '.ts')} in ${sourceDir} (stale output)`);
      return hasSource;
    })
    .sort();
  if (files.length === 0) throw new Error(`no *.test.js files in ${dir}`);
  for (const f of files) mocha.addFile(path.join(dir, f));

  // mocha.run() loads the files with require(), which is what VS Code's
  // extension host intercepts to hand out the `vscode` module (its async
  // loader would use import() and bypass that).
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} integration test${failures === 1 ? '' : 's'} failed`);
}
