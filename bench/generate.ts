/**
 * Step-by-step generation speed (batch 1, one token per call, state carried)
 * of a 2×LSTM-256 character model: onnxruntime (the engine's generate() on
 * the exported model.onnx), tfjs (our RecurrentModel through the sampler, as
 * `rnn-lab sample --engine tfjs` runs it) and PyTorch (bench/torch_generate.py
 * on Debian's /usr/bin/python3), in one invocation, with ratios.
 *
 *   npm run bench                              # after the training benchmark
 *   node out/bench/generate.js --tokens 4000 --runs 5
 *
 * Every engine runs one thread (onnxruntime intra-op threads 1, tfjs wasm,
 * torch.set_num_threads(1) with OPENBLAS_NUM_THREADS=1): one token at a
 * time is latency-bound, and it leaves the other core to a training. Each
 * figure is the median of `runs` timed runs of `tokens` tokens after a
 * warm-up; sampling at temperature 0.8, the same weights in all three.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..');
const LAYERS = 2;
const HIDDEN = 256;
const TEMPERATURE = 0.8;

interface Result {
  engine: string;
  rates: number[];
  note?: string;
  error?: string;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} expects a positive whole number`);
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const tokens = option('tokens', 2000);
  const runs = option('runs', 3);
  const { initBackend } = await import('../src/engine/backend');
  const { RecurrentModel } = await import('../src/engine/model');
  const { Vocabulary } = await import('../src/core/vocabulary');
  const { sampleText } = await import('../src/engine/sampler');
  const { writeOnnxModel } = await import('../src/engine/onnx/onnxExport');
  const { generate } = await import('../src/engine/inference/generate');
  const { releaseAll } = await import('../src/engine/inference/sessionCache');

  const backend = await initBackend('auto');
  // 95 printable ASCII characters and a newline, plus <unk>: a typical source-code vocabulary.
  const vocab = Vocabulary.buildChar([Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\n']);
  const spec = { cell: 'lstm' as const, layers: LAYERS, hidden: HIDDEN, embedding: 0, dropout: 0, vocabSize: vocab.size, bidirectional: false };
  const model = new RecurrentModel(spec, 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-generate-'));
  const file = path.join(dir, 'model.onnx');
  const weights = await model.readWeights();
  writeOnnxModel(file, { spec, weights, vocab });
  // The same weights for PyTorch, as one float32 blob and a list of names and shapes.
  const names = [...weights.keys()];
  fs.writeFileSync(
    path.join(dir, 'weights.bin'),
    Buffer.concat(
      names.map((n) => {
        const v = weights.get(n)!.values;
        return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }),
    ),
  );
  const manifest = names.map((n) => ({ name: n, shape: weights.get(n)!.shape }));

  process.stdout.write(
    `generation, ${LAYERS}×LSTM-${HIDDEN}, vocabulary ${vocab.size}, batch 1, ${tokens} tokens × ${runs} runs (median), temperature ${TEMPERATURE}\n`,
  );
  const results: Result[] = [];

  const onnxRates: number[] = [];
  await generate(file, { length: 200, temperature: TEMPERATURE, seed: 0 }); // warm-up: session, allocations
  for (let r = 0; r < runs; r++) onnxRates.push((await generate(file, { length: tokens, temperature: TEMPERATURE, seed: r + 1 })).charsPerSec);
  results.push({ engine: 'onnxruntime-node', rates: onnxRates, note: `${onnxruntimeVersion()}, 1 intra-op thread` });
  await releaseAll();

  const tfRates: number[] = [];
  sampleText(model, vocab, { length: 100, temperature: TEMPERATURE, seed: 0 });
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const text = sampleText(model, vocab, { length: tokens, temperature: TEMPERATURE, seed: r + 1 });
    tfRates.push([...text].length / ((performance.now() - started) / 1000));
  }
  results.push({ engine: 'tfjs', rates: tfRates, note: `${backend.name}${backend.simd ? ' SIMD' : ''}, RecurrentModel.forward per token` });
  model.dispose();

  const torch = spawnSync(
    PYTHON,
    [
      path.join(ROOT, 'bench', 'torch_generate.py'),
      JSON.stringify({ dir, manifest, vocab: vocab.size, layers: LAYERS, hidden: HIDDEN, tokens, runs, temperature: TEMPERATURE }),
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
      timeout: 600_000,
    },
  );
  try {
    const out = JSON.parse(torch.stdout.trim().split('\n').pop() ?? '') as { rates?: number[]; version?: string; error?: string };
    results.push({ engine: 'pytorch', rates: out.rates ?? [], note: out.version ? `${out.version}, 1 thread` : undefined, error: out.error });
  } catch {
    results.push({ engine: 'pytorch', rates: [], error: (torch.stderr || String(torch.error) || 'no output').split('\n').filter(Boolean).pop() });
  }
  fs.rmSync(dir, { recursive: true, force: true });

  for (const r of results) {
    const line = r.rates.length
      ? `${Math.round(median(r.rates)).toLocaleString('en-US').padStart(8)} chars/s  (runs: ${r.rates.map((x) => Math.round(x)).join(', ')})`
      : `skipped: ${r.error}`;
    process.stdout.write(`  ${r.engine.padEnd(18)}${line}${r.note ? `  [${r.note}]` : ''}\n`);
  }
  const rate = (engine: string) => {
    const r = results.find((x) => x.engine === engine);
    return r && r.rates.length ? median(r.rates) : undefined;
  };
  const onnxRate = rate('onnxruntime-node')!;
  for (const other of ['tfjs', 'pytorch']) {
    const o = rate(other);
    if (o) process.stdout.write(`  onnxruntime / ${other}: ${(onnxRate / o).toFixed(2)}×\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});

function onnxruntimeVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed package's version
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}
