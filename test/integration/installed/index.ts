/** extensionTestsPath of the installed-package launch (see runTests.ts): the smoke suite. */
import * as path from 'node:path';
import { runSuite } from '../suite/index';

export function run(): Promise<void> {
  return runSuite(__dirname, path.join('test', 'integration', 'installed'));
}
