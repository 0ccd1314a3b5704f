/**
 * What the manifest (package.json) promises a user who installs the package: a marketplace icon, a
 * walkthrough whose buttons name real commands with arguments those commands accept, images that
 * exist, and the engine running where the files are (extensionKind). The buttons themselves are
 * pressed in the installed package by test/integration/installed/smoke.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRESETS } from '../../src/core/presets';

const ROOT = path.join(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

interface Step {
  id: string;
  title: string;
  description: string;
  media: { image: string; altText: string };
  completionEvents: string[];
}

function commandLinks(markdown: string): { command: string; args: unknown }[] {
  return [...markdown.matchAll(/\]\(command:([\w.]+)(?:\?([^)]*))?\)/g)].map((m) => ({
    command: m[1],
    args: m[2] === undefined ? undefined : JSON.parse(decodeURIComponent(m[2])),
  }));
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const buf = fs.readFileSync(file);
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

test('the marketplace icon is a PNG of at least 128×128 and the metadata a listing needs is there', () => {
  const { width, height } = pngSize(path.join(ROOT, manifest.icon));
  assert.ok(width >= 128 && width === height, `${width}×${height}`);
  for (const key of ['displayName', 'description', 'publisher', 'license', 'categories', 'keywords']) assert.ok(manifest[key], `${key} is set`);
  for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md']) assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} exists`);
  assert.match(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
  assert.equal(manifest.license, 'MIT');
});

test('the extension runs where the workspace is (Remote-SSH, Dev Containers, Codespaces)', () => {
  assert.deepEqual(manifest.extensionKind, ['workspace']);
});

test("every walkthrough step has an image that exists, and buttons that run RNN Lab's own commands", () => {
  const [walkthrough] = manifest.contributes.walkthroughs as { id: string; steps: Step[] }[];
  const contributed = new Set((manifest.contributes.commands as { command: string }[]).map((c) => c.command));
  assert.deepEqual(
    walkthrough.steps.map((s) => s.id),
    ['train', 'dashboard', 'sample', 'neuron'],
  );
  for (const step of walkthrough.steps) {
    const image = path.join(ROOT, step.media.image);
    assert.ok(fs.existsSync(image), `${step.media.image} exists`);
    assert.ok(pngSize(image).width >= 600, `${step.media.image} is a legible part of a workbench screenshot`);
    assert.ok(step.media.altText.length > 20, `${step.id} describes its image`);
    const links = commandLinks(step.description);
    assert.ok(links.length > 0, `${step.id} has a button`);
    for (const link of links) assert.ok(contributed.has(link.command), `${link.command} is a contributed command`);
    for (const event of step.completionEvents) assert.ok(contributed.has(event.replace(/^onCommand:/, '')), event);
  }
});

test('the first button trains a preset that exists on the whole workspace', () => {
  const [first] = commandLinks(manifest.contributes.walkthroughs[0].steps[0].description);
  assert.equal(first.command, 'rnnLab.train');
  assert.deepEqual(first.args, { preset: 'quick-lstm-1x64', files: 'workspace' });
  assert.ok(PRESETS.some((p) => p.id === 'quick-lstm-1x64'));
});

test('RNN Lab: Get Started opens the walkthrough the manifest contributes', () => {
  const source = fs.readFileSync(path.join(ROOT, 'src', 'extension', 'walkthrough', 'gettingStarted.ts'), 'utf8');
  const id = /GETTING_STARTED = '([^']+)'/.exec(source)?.[1];
  assert.equal(id, `${manifest.publisher}.${manifest.name}#${manifest.contributes.walkthroughs[0].id}`);
  assert.ok((manifest.contributes.commands as { command: string }[]).some((c) => c.command === 'rnnLab.gettingStarted'));
});
