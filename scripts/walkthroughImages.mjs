#!/usr/bin/env node
// `npm run walkthrough:images`: the Getting Started walkthrough's images are
// screenshots of the real workbench, taken by the installed-package suite
// (test/integration/installed/smoke.test.ts) while it presses the walkthrough's
// buttons on the sample workspace. This runs that suite alone and copies its
// screenshots into media/walkthrough/ (committed; the package ships them).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** walkthrough image → the screenshot it comes from (test-artefacts/<name>.png). */
const IMAGES = {
  'train.png': 'walkthrough-train',
  'dashboard.png': 'walkthrough-dashboard',
  'sample.png': 'walkthrough-sample',
  'neuron.png': 'walkthrough-neuron',
};

const started = Date.now();
const run = spawnSync(process.execPath, [path.join(REPO, 'out', 'test', 'integration', 'runTests.js')], {
  cwd: REPO,
  stdio: 'inherit',
  env: { ...process.env, RNNLAB_TEST_SUITES: 'installed' },
});
const fresh = Object.entries(IMAGES).map(([image, shot]) => {
  const file = path.join(REPO, 'test-artefacts', `${shot}.png`);
  return { image, file, ok: fs.existsSync(file) && fs.statSync(file).mtimeMs >= started };
});
const missing = fresh.filter((f) => !f.ok);
if (missing.length > 0) {
  console.error(`[walkthrough] not taken in this run: ${missing.map((m) => path.basename(m.file)).join(', ')}; media/walkthrough/ is unchanged`);
  process.exit(1);
}
fs.mkdirSync(path.join(REPO, 'media', 'walkthrough'), { recursive: true });
for (const { image, file } of fresh) fs.copyFileSync(file, path.join(REPO, 'media', 'walkthrough', image));
console.log(`[walkthrough] ${fresh.length} images copied into media/walkthrough/ (look at them before committing)`);
// The suite checks that the package holds these images: the first run after adding one fails that check only.
if (run.status !== 0) console.error(`[walkthrough] the suite failed (exit ${run.status}): read its report above`);
process.exit(run.status ?? 1);
