// `npm run demo`: trains a small LSTM on this project's own TypeScript sources
// for about a minute on two cores, then samples from it. Everything
// goes through the real CLI, so the demo shows exactly what `rnn-lab` does.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const cli = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'bin', 'rnn-lab.js');
const trainArgs = [
  'train',
  'src',
  '--cell',
  'lstm',
  '--layers',
  '1',
  '--hidden',
  '128',
  '--lr',
  '1e-2',
  '--steps',
  '600',
  '--eval-every',
  '100',
  '--sample-every',
  '200',
];

console.error(`$ rnn-lab ${trainArgs.join(' ')}`);
const train = spawnSync(process.execPath, [cli, ...trainArgs], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' });
if (train.status !== 0) process.exit(train.status ?? 1);
const runDir = train.stdout.trim().split('\n').pop();

const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line))
  .filter((m) => m.kind === 'step');
const bits = (nats) => (nats / Math.LN2).toFixed(2);
const mean = (xs) => xs.reduce((a, m) => a + m.loss, 0) / xs.length;
console.log(
  `\nTraining loss fell from ${bits(mean(steps.slice(0, 10)))} to ${bits(mean(steps.slice(-10)))} bits per character (means of the first and last 10 steps).`,
);

const sampleArgs = ['sample', runDir, '--prime', 'export function ', '--length', '400', '--temperature', '0.7'];
console.log(`\n$ rnn-lab ${sampleArgs.join(' ')}`);
const sample = spawnSync(process.execPath, [cli, ...sampleArgs], { stdio: 'inherit' });
console.log(`\nThe run folder is ${runDir}`);
process.exit(sample.status ?? 1);
