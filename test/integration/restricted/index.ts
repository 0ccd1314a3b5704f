/** extensionTestsPath of the Restricted Mode launch (RNNLAB_TEST_TRUST=restricted). */
import * as path from 'node:path';
import { runSuite } from '../suite/index';

export function run(): Promise<void> {
  return runSuite(__dirname, path.join('test', 'integration', 'restricted'));
}
