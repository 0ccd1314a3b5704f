/**
 * Time to compute source features (src/core/features) for a 10,000-character
 * TypeScript text taken from this repository's own sources: the first call,
 * which loads tree-sitter's runtime and the grammar, then the median of warm
 * calls; the fallback lexer on the same text for comparison.
 *
 *   npm run compile && node out/bench/sourceFeatures.js [--chars 10000] [--runs 20]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { computeSourceFeatures, disposeFeatureParsers } from '../src/core/features';

const ROOT = path.resolve(__dirname, '..', '..');

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

function typescriptText(chars: number): string {
  const dir = path.join(ROOT, 'src', 'core');
  let text = '';
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    text += fs.readFileSync(path.join(dir, file), 'utf8');
    if (text.length >= chars) break;
  }
  return text.slice(0, chars);
}

async function timed(text: string, language: string): Promise<number> {
  const start = performance.now();
  await computeSourceFeatures(text, language);
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const chars = option('chars', 10_000);
  const runs = option('runs', 20);
  const text = typescriptText(chars);
  const first = await timed(text, 'typescript');
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) warm.push(await timed(text, 'typescript'));
  const fallback: number[] = [];
  for (let i = 0; i < runs; i++) fallback.push(await timed(text, 'unknown'));
  console.log(`source features, ${text.length} characters of TypeScript:`);
  console.log(`  first call (runtime + grammar load + parse): ${first.toFixed(1)} ms`);
  console.log(`  warm, median of ${runs}: ${median(warm).toFixed(2)} ms`);
  console.log(`  fallback lexer, median of ${runs}: ${median(fallback).toFixed(2)} ms`);
  disposeFeatureParsers();
}

void main();
