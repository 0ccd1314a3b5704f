/**
 * `rnn-lab predict` on many files in one call, as the built command runs it.
 * Before the fix it died of SIGSEGV with no message once its command line
 * passed about 24 kB (~700 file paths): onnxruntime's telemetry read
 * /proc/self/cmdline and overflowed the native stack (onnx/onnxRuntime.ts).
 * And it held every file's text and result until the end: a character
 * tagger's peak memory grew with the whole output (~35 bytes per character).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeTinyCorpus } from './support/tempDir';
import { CLI, runCli } from './support/cli';

const dir = tempDir('rnnlab-predict-many-');
const out = path.join(dir, 'runs');
const TINY = ['--layers', '1', '--hidden', '8', '--embedding', '4', '--seq', '16', '--batch', '4', '--steps', '3', '--eval-every', '3', '--out', out];
const FILES = 1200;
const LINES = ['const total = items.reduce((a, b) => a + b, 0);\n', '// a comment about the loop\n', 'if (x > 42) return "big";\n'];

/** Files of different lengths (each a different input shape), with long names: 1200 of them make a command line of ~90 kB. */
function writeFiles(count: number, folder: string): string[] {
  fs.mkdirSync(folder, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(folder, `a-source-file-with-a-rather-long-name-${String(i).padStart(4, '0')}.js`);
    fs.writeFileSync(file, Array.from({ length: 20 + (i % 37) }, (_, l) => LINES[(i + l) % LINES.length]).join(''));
    return file;
  });
}

/** Runs the CLI with a preload that reports the process's peak RSS (kB) on stderr as it exits. */
function predictWithPeakRss(run: string, files: string[]): { code: number | null; stdout: string; stderr: string; peakKb: number } {
  const preload = path.join(dir, 'peakRss.js');
  fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\\n`));\n");
  const r = spawnSync(process.execPath, ['--require', preload, CLI, 'predict', run, ...files, '--json'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  const peak = /peak-rss-kb (\d+)/.exec(r.stderr ?? '');
  return { code: r.status, stdout: r.stdout, stderr: `${r.stderr}${r.signal ? ` (killed by ${r.signal})` : ''}`, peakKb: peak ? Number(peak[1]) : NaN };
}

test('predict gives each of 1200 files its result (a command line of ~90 kB), with peak memory not growing with the output', (t) => {
  const corpus = writeTinyCorpus(dir);
  const trained = runCli(['train', corpus, '--task', 'tag', ...TINY], dir);
  assert.equal(trained.code, 0, trained.stderr);
  const run = trained.stdout.trim();
  const files = writeFiles(FILES, path.join(dir, 'many'));
  assert.ok(files.join(' ').length > 64_000, 'the command line is well past the ~24 kB that crashed');

  const big = predictWithPeakRss(run, files);
  assert.equal(big.code, 0, big.stderr);
  const result = JSON.parse(big.stdout) as { task: string; files: { file: string; tags: string[]; tokens: string[] }[] };
  assert.equal(result.task, 'tag');
  assert.deepEqual(
    result.files.map((f) => f.file),
    files,
  );
  for (const [i, f] of result.files.entries()) {
    const text = fs.readFileSync(files[i], 'utf8');
    assert.equal(f.tokens.join(''), text);
    assert.equal(f.tags.length, text.length);
  }

  // The same files, 40 of them: the large run's output is 30 times larger; its peak memory may not be much larger.
  const small = predictWithPeakRss(run, files.slice(0, 40));
  assert.equal(small.code, 0, small.stderr);
  assert.ok(Number.isFinite(big.peakKb) && Number.isFinite(small.peakKb), `peak RSS reported: ${big.stderr} ${small.stderr}`);
  const ratio = big.peakKb / small.peakKb;
  t.diagnostic(`peak RSS: ${big.peakKb} kB for ${FILES} files, ${small.peakKb} kB for 40 (×${ratio.toFixed(2)})`);
  assert.ok(ratio < 1.5, `peak RSS ${big.peakKb} kB for ${FILES} files vs ${small.peakKb} kB for 40 (×${ratio.toFixed(2)}): memory grows with the files`);
});
