/**
 * Training throughput of our engine (RecurrentModel + trainStep) on every
 * tfjs backend that loads, beside PyTorch on the same shapes and data.
 *
 *   npm run bench        # every model on wasm, tensorflow (if tfjs-node loads) and PyTorch; cpu for the first model only
 *   node out/bench/trainThroughput.js --quick --backends wasm,pytorch --models lstm-1x256
 *
 * Options: --models (ids below), --backends (tensorflow,wasm,cpu,pytorch),
 * --steps per timed run, --runs (≥ 3), --quick (fewer steps). PyTorch runs on
 * /usr/bin/python3 (BENCH_PYTHON overrides); without torch it is reported as
 * skipped. The machine should be otherwise idle: PyTorch's two threads slow
 * down several-fold when another process holds a core.
 *
 * chars/s = batch·seq tokens per optimizer step ÷ step time; warm-up steps are
 * not timed; each figure is the median of `runs` timed runs of `steps` steps.
 * A tfjs backend is chosen once per process, so each backend runs in a child
 * process (this script with `--child`); PyTorch runs bench/torch_train.py.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CellType } from '../src/core/spec';

interface ModelShape {
  id: string;
  cell: CellType;
  layers: number;
  hidden: number;
}

/** Everything a child needs; the PyTorch script reads the same object. */
interface Job extends ModelShape {
  backend: string;
  vocab: number;
  batch: number;
  time: number;
  data: string;
  warmup: number;
  steps: number;
  runs: number;
  lr: number;
  clip: number;
}

interface Measurement {
  backend: string;
  rates: number[];
  loss: number;
  maxRssKB: number;
  version?: string;
  error?: string;
}

const MODELS: ModelShape[] = [
  { id: 'lstm-1x256', cell: 'lstm', layers: 1, hidden: 256 },
  { id: 'gru-1x256', cell: 'gru', layers: 1, hidden: 256 },
  { id: 'rnn-1x256', cell: 'rnn', layers: 1, hidden: 256 },
  { id: 'lstm-2x128', cell: 'lstm', layers: 2, hidden: 128 },
];
const VOCAB = 96;
const BATCH = 32;
const TIME = 64;
/** Debian's python3-torch lives under /usr/bin/python3 (another python3 may come first on PATH). */
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..');

// ---------------------------------------------------------------- child side

async function runChild(job: Job): Promise<Measurement> {
  // Imported here so the parent process never loads tfjs.
  const { initBackend } = await import('../src/engine/backend');
  const { RecurrentModel } = await import('../src/engine/model');
  const { createOptimizer } = await import('../src/engine/optimizers');
  const { trainStep, disposeState } = await import('../src/engine/trainStep');
  type State = import('../src/engine/model').RecurrentState;

  await initBackend(job.backend === 'tensorflow' ? 'node' : (job.backend as 'wasm' | 'cpu'));
  const model = new RecurrentModel({ cell: job.cell, layers: job.layers, hidden: job.hidden, embedding: 0, dropout: 0, vocabSize: job.vocab, bidirectional: false }, 1);
  const optimizer = createOptimizer('adam', job.lr);
  const next = windowReader(fs.readFileSync(job.data), job.batch, job.time);
  let state: State | undefined;
  let loss = NaN;
  const step = () => {
    const w = next();
    if (w.reset) {
      disposeState(state);
      state = undefined;
    }
    const outcome = trainStep(model, optimizer, w, state, { clipMode: 'norm', clipValue: job.clip, dropoutSeed: 0 });
    disposeState(state);
    state = outcome.finalState;
    loss = outcome.loss; // trainStep reads the loss back, so the step has finished when it returns
  };
  for (let i = 0; i < job.warmup; i++) step();
  const rates: number[] = [];
  for (let r = 0; r < job.runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < job.steps; i++) step();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push((job.steps * job.batch * job.time) / seconds);
  }
  return { backend: job.backend, rates, loss, maxRssKB: process.resourceUsage().maxRSS };
}

/**
 * Window k of B parallel streams (the trainer's truncated-BPTT layout, epoch 0),
 * cycling; `reset` marks the first window of a cycle. torch_train.py reads the same.
 */
function windowReader(tokens: Uint8Array, batch: number, time: number) {
  const stream = Math.floor(tokens.length / batch);
  const windows = Math.floor((stream - 1) / time);
  let k = 0;
  return () => {
    const w = k++ % windows;
    const inputs = new Int32Array(batch * time);
    const targets = new Int32Array(batch * time);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < time; t++) {
        const at = b * stream + w * time + t;
        inputs[b * time + t] = tokens[at];
        targets[b * time + t] = tokens[at + 1];
      }
    }
    return { inputs, targets, batch, time, reset: w === 0 };
  };
}

// --------------------------------------------------------------- parent side

/** The project's own TypeScript sources as token ids 0…95 (printable ASCII, everything else 95). */
function writeBenchData(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(ROOT, 'src'));
  const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const ids = Uint8Array.from(text, (ch) => {
    const code = ch.charCodeAt(0);
    return code >= 32 && code < 127 ? code - 32 : VOCAB - 1;
  });
  const file = path.join(os.tmpdir(), `rnnlab-bench-${process.pid}.bin`);
  fs.writeFileSync(file, ids);
  return file;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function parseJson(stdout: string, what: string): Measurement {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${what} printed no result`);
  return JSON.parse(line) as Measurement;
}

function runTfjs(job: Job): Measurement {
  const r = spawnSync(process.execPath, [__filename, '--child', JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { backend: job.backend, rates: [], loss: NaN, maxRssKB: 0, error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') };
  return parseJson(r.stdout, `${job.backend} child`);
}

function runTorch(job: Job): Measurement {
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'torch_train.py'), JSON.stringify(job)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.error) return { backend: 'pytorch', rates: [], loss: NaN, maxRssKB: 0, error: `${PYTHON}: ${r.error.message}` };
  if (r.status !== 0) return { backend: 'pytorch', rates: [], loss: NaN, maxRssKB: 0, error: r.stderr.trim().split('\n').pop() };
  return parseJson(r.stdout, 'torch_train.py');
}

/** tfjs-node is an optional dependency that often fails to load (no libtensorflow). */
function tfjsNodeLoads(): boolean {
  try {
    execFileSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { stdio: 'ignore', cwd: ROOT });
    return true;
  } catch {
    return false;
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function runParent(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const models = (option(args, '--models') ?? MODELS.map((m) => m.id).join(',')).split(',').map((id) => {
    const m = MODELS.find((x) => x.id === id);
    if (!m) throw new Error(`unknown model "${id}" (known: ${MODELS.map((x) => x.id).join(', ')})`);
    return m;
  });
  const backends = (option(args, '--backends') ?? 'tensorflow,wasm,cpu,pytorch').split(',');
  const steps = Number(option(args, '--steps') ?? (quick ? 5 : 15));
  const runs = Math.max(3, Number(option(args, '--runs') ?? 3));
  const data = writeBenchData();
  const base = { vocab: VOCAB, batch: BATCH, time: TIME, data, lr: 2e-3, clip: 5 };

  const plans: Array<{ backend: string; model: ModelShape; warmup: number; steps: number }> = [];
  const withTensorflow = backends.includes('tensorflow') && tfjsNodeLoads();
  for (const model of models) {
    if (withTensorflow) plans.push({ backend: 'tensorflow', model, warmup: 3, steps });
    if (backends.includes('wasm')) plans.push({ backend: 'wasm', model, warmup: 3, steps });
    // The cpu backend manages ≈ 230 chars/s (9 s a step): one model, one step a run.
    if (backends.includes('cpu') && model === models[0]) plans.push({ backend: 'cpu', model, warmup: 1, steps: 1 });
    // PyTorch is ~10× faster: more steps per run for a steadier figure.
    if (backends.includes('pytorch')) plans.push({ backend: 'pytorch', model, warmup: 5, steps: steps * 5 });
  }

  const results: Array<{ backend: string; model: ModelShape; steps: string; m: Measurement }> = [];
  try {
    for (const p of plans) {
      const job: Job = { ...base, ...p.model, backend: p.backend, warmup: p.warmup, steps: p.steps, runs };
      process.stderr.write(`${p.model.id} on ${p.backend}: ${p.warmup} warm-up + ${runs}×${p.steps} steps … `);
      const m = p.backend === 'pytorch' ? runTorch(job) : runTfjs(job);
      process.stderr.write(m.error ? `failed\n` : `${Math.round(median(m.rates))} chars/s\n`);
      results.push({ backend: p.backend, model: p.model, steps: `${p.warmup}+${runs}×${p.steps}`, m });
    }
  } finally {
    fs.rmSync(data, { force: true });
  }

  console.log(`\nTraining throughput: batch ${BATCH}, seq ${TIME}, vocab ${VOCAB} one-hot, Adam, global-norm clip; ${os.cpus().length} cores, node ${process.versions.node}`);
  console.log('chars/s: median of the timed runs (min–max); steps: warm-up + runs × steps; peak RSS of the process; ratio = ours ÷ PyTorch\n');
  const rows = [['model', 'backend', 'chars/s', 'min–max', 'steps', 'peak RSS', '÷ PyTorch']];
  for (const model of models) {
    const torch = results.find((r) => r.model === model && r.backend === 'pytorch' && !r.m.error);
    for (const r of results.filter((x) => x.model === model)) {
      if (r.m.error) {
        rows.push([model.id, r.backend, 'skipped', r.m.error.slice(0, 70), '', '', '']);
        continue;
      }
      const rate = median(r.m.rates);
      rows.push([
        model.id,
        r.backend === 'pytorch' ? `pytorch ${r.m.version ?? ''}`.trim() : r.backend,
        Math.round(rate).toLocaleString('en-US'),
        `${Math.round(Math.min(...r.m.rates))}–${Math.round(Math.max(...r.m.rates))}`,
        r.steps,
        `${Math.round(r.m.maxRssKB / 1024)} MB`,
        r.backend === 'pytorch' ? '1' : torch ? (rate / median(torch.m.rates)).toFixed(3) : '—',
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const right = new Set([2, 5, 6]);
  for (const r of rows) console.log(r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '));
  if (backends.includes('pytorch') && !results.some((r) => r.backend === 'pytorch' && !r.m.error)) {
    console.log(`\nPyTorch was skipped (${PYTHON} with python3-torch is needed).`);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  runChild(JSON.parse(argv[1]) as Job)
    .then((m) => console.log(JSON.stringify(m)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
} else {
  runParent(argv).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
