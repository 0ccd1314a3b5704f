#!/usr/bin/env node
// Renders the marketplace icon (media/icon.png, 256×256) from the activity-bar
// icon (media/icons/rnn-lab.svg) in headless Chromium: the same drawing, white
// on a rounded tile. Run it again after changing the SVG; the PNG is committed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from '../test/integration/vscode/installVSCode.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 256;
const svg = fs.readFileSync(path.join(REPO, 'media', 'icons', 'rnn-lab.svg'), 'utf8');
const page = `<!doctype html><html><head><style>
  html, body { margin: 0; background: transparent; }
  .tile { width: ${SIZE}px; height: ${SIZE}px; border-radius: 48px; display: grid; place-items: center;
          background: linear-gradient(135deg, #2b7bd6 0%, #6a3fc8 100%); color: #fff; }
  .tile svg { width: 184px; height: 184px; }
</style></head><body><div class="tile">${svg}</div></body></html>`;

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const tab = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await tab.setContent(page);
  const out = path.join(REPO, 'media', 'icon.png');
  await tab.locator('.tile').screenshot({ path: out, omitBackground: true });
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await browser.close();
}
