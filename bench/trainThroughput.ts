/**
 * Training throughput of our engine (RecurrentModel + the step runners of
 * src/engine/stepRunner.ts) on every training path that loads, beside PyTorch
 * on the same shapes and data.
 *
 *   npm run bench        # see "Default plan" below
 *   node out/bench/trainThroughput.js --quick --models lstm-1x256 --backends fused,fused-1,pytorch
 *
 * Paths (--backends, comma-separated):
 *   fused       the fused wasm-SIMD kernels on 2 worker threads: forward, BPTT, clipping and
 *               Adam all in the kernels' memory (tfjs wasm only loads the model)
 *   fused-N     the same on N threads (fused-1: one thread)
 *   wasm        tfjs wasm ops: the old reference path (≈ 3–10k chars/s)
 *   tensorflow  tfjs-node, when it loads
 *   cpu         tfjs cpu ops (≈ 230 chars/s): the first model only, one step a run
 *   pytorch     bench/torch_train.py on /usr/bin/python3 (BENCH_PYTHON overrides),
 *               OPENBLAS_NUM_THREADS=1, torch.set_num_threads(2); skipped without torch
 *
 * Default plan: every model below on fused, fused-1, tensorflow (if it loads)
 * and pytorch; wasm on the *-256 models only (it is slow); cpu on the first
 * model only.
 *
 * Options: --models (ids below, comma-separated), --backends (above),
 * --steps per timed run (PyTorch and fused paths run 5× as many: they are
 * ~10× faster, and more steps give a steadier figure), --runs (≥ 3),
 * --quick (fewer steps), --wasm-all (run wasm on every selected model, not
 * only the *-256 ones). The machine should be otherwise idle: a two-thread
 * path slows down several-fold when another process holds a core.
 *
 * The *-tag and *-classify models are issue 13's tagger and classifier with
 * the task defaults (core/tasks/taskDefaults.ts) and --bidirectional: a
 * tagger 2×64 with embedding 16 on batch 32 × 128, each character's target
 * its class (8 tags: letter, capital, digit, bracket, quote, operator, other
 * punctuation, space), every window from a zero state; a classifier 1×64
 * with embedding 16 on batch 32 × 256 (lengths all 256, as 20-line snippets
 * mostly are), one of 5 labels per row (the window's newline count mod 5),
 * mean pooling (the default). PyTorch runs the same model: nn.Embedding,
 * bidirectional nn.LSTM, nn.Linear and cross-entropy.
 *
 * chars/s = batch·seq tokens per optimizer step ÷ step time; a step ends after
 * Adam has updated the weights and the loss has been read; warm-up steps are
 * not timed; each figure is the median of `runs` timed runs of `steps` steps.
 * A tfjs backend is chosen once per process, so each path runs in a child
 * process (this script with `--child`); PyTorch runs bench/torch_train.py.
 * Peak RSS is the child's maximum resident set (worker threads included).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendPreference, CellType, ModelSpec } from '../src/core/spec';
import type { RecurrentState as State } from '../src/engine/model';

interface ModelShape {
  id: string;
  cell: CellType;
  layers: number;
  hidden: number;
  /** Bidirectional layers. */
  bidirectional?: boolean;
  /** A tagger's or classifier's head (issue 13) in place of the language model's. */
  task?: 'tag' | 'classify';
  /** Where they differ from the language models' (one-hot input, batch BATCH × TIME). */
  embedding?: number;
  time?: number;
  pooling?: 'last' | 'mean';
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
  /** Token file of the tags, one per token of `data` (tagger and classifier models). */
  tags: string;
  /** Output classes of a task model: the tags, or the classifier's labels. */
  classes?: number;
}

interface Measurement {
  backend: string;
  rates: number[];
  loss: number;
  maxRssKB: number;
  version?: string;
  /** The fused kernels' SIMD build (relaxed or plain), as the run would record it. */
  simd?: string;
  error?: string;
}

const CELLS: CellType[] = ['lstm', 'gru', 'rnn'];
const MODELS: ModelShape[] = [
  ...CELLS.flatMap((cell) => [128, 256, 512].map((hidden) => ({ id: `${cell}-1x${hidden}`, cell, layers: 1, hidden }))),
  { id: 'lstm-2x128', cell: 'lstm', layers: 2, hidden: 128 },
  { id: 'bilstm-1x256', cell: 'lstm', layers: 1, hidden: 256, bidirectional: true },
  { id: 'bilstm-2x128', cell: 'lstm', layers: 2, hidden: 128, bidirectional: true },
  { id: 'bilstm-tag-2x64', cell: 'lstm', layers: 2, hidden: 64, bidirectional: true, task: 'tag', embedding: 16, time: 128 },
  { id: 'bilstm-classify-1x64', cell: 'lstm', layers: 1, hidden: 64, bidirectional: true, task: 'classify', embedding: 16, time: 256, pooling: 'mean' },
];
/** Tags of the tagger models (charTag) and labels of the classifier models. */
const TAGS = 8;
const LABELS = 5;
const VOCAB = 96;
const BATCH = 32;
const TIME = 64;
/** Debian's python3-torch lives under /usr/bin/python3 (another python3 may come first on PATH). */
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..');

/** `fused` means two threads (the default on two free cores); `fused-N` asks for N. */
function fusedThreads(backend: string): number | undefined {
  if (backend === 'fused') return 2;
  const m = /^fused-(\d+)$/.exec(backend);
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------- child side

async function runChild(job: Job): Promise<Measurement> {
  // Imported here so the parent process never loads tfjs.
  const { initBackend } = await import('../src/engine/backend');
  const { RecurrentModel } = await import('../src/engine/model');
  const { createOptimizer } = await import('../src/engine/training/optimizers');
  const { chooseStepRunner } = await import('../src/engine/training/stepRunner');
  const { disposeState } = await import('../src/engine/recurrentState');

  const threads = fusedThreads(job.backend);
  const preference: BackendPreference = threads !== undefined ? 'fused' : job.backend === 'tensorflow' ? 'node' : (job.backend as BackendPreference);
  const tfjsBackend = await initBackend(preference);
  const spec: ModelSpec = {
    cell: job.cell,
    layers: job.layers,
    hidden: job.hidden,
    embedding: job.embedding ?? 0,
    dropout: 0,
    vocabSize: job.vocab,
    bidirectional: job.bidirectional ?? false,
    ...(job.task === 'tag' ? { task: 'tag', classes: job.classes } : {}),
    ...(job.task === 'classify' ? { task: 'classify', classes: job.classes, pooling: job.pooling ?? 'last' } : {}),
  };
  const model = new RecurrentModel(spec, 1);
  const optimizer = createOptimizer('adam', job.lr);
  // The same selection the trainer makes, so the bench measures what training runs.
  const { runner, backend } = await chooseStepRunner({ model, optimizer, batch: job.batch, time: job.time, preference, tfjsBackend, threads });
  try {
    // A silent fallback to tfjs ops would be reported under the fused label: refuse it.
    if (threads !== undefined && (backend.training !== 'fused' || backend.threads !== threads)) {
      throw new Error(backend.notice ?? `asked for fused on ${threads} threads, got ${JSON.stringify(backend)}`);
    }
    const next = windowReader(fs.readFileSync(job.data), job.batch, job.time, job.task && { tags: fs.readFileSync(job.tags), task: job.task });
    let state: State | undefined;
    let loss = NaN;
    const step = async () => {
      const w = next();
      if (w.reset) {
        disposeState(state);
        state = undefined;
      }
      // Resolves after clipping and Adam were applied and the loss read back: the step is complete.
      const outcome = await runner.step(w, state, { clipMode: 'norm', clipValue: job.clip, dropoutSeed: 0 });
      disposeState(state);
      state = outcome.finalState;
      loss = outcome.loss;
    };
    for (let i = 0; i < job.warmup; i++) await step();
    const rates: number[] = [];
    for (let r = 0; r < job.runs; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < job.steps; i++) await step();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      rates.push((job.steps * job.batch * job.time) / seconds);
    }
    disposeState(state);
    // Untimed: the trainer syncs the tfjs copy only before evaluation, samples and checkpoints, not every step.
    await runner.sync();
    return { backend: job.backend, rates, loss, maxRssKB: process.resourceUsage().maxRSS, simd: backend.fusedSimd };
  } finally {
    runner.dispose();
  }
}

/**
 * Window k of B parallel streams (the trainer's truncated-BPTT layout, epoch 0),
 * cycling; `reset` marks the first window of a cycle. torch_train.py reads the same.
 * A tagger's targets are the tokens' own tags, a classifier's one label per
 * row (classifyLabel); both start every window from a zero state.
 */
function windowReader(tokens: Uint8Array, batch: number, time: number, head?: { tags: Uint8Array; task: 'tag' | 'classify' }) {
  const stream = Math.floor(tokens.length / batch);
  const windows = Math.floor((stream - 1) / time);
  let k = 0;
  return () => {
    const w = k++ % windows;
    const inputs = new Int32Array(batch * time);
    const targets = new Int32Array(head?.task === 'classify' ? batch : batch * time);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < time; t++) {
        const at = b * stream + w * time + t;
        inputs[b * time + t] = tokens[at];
        if (head?.task !== 'classify') targets[b * time + t] = head ? head.tags[at] : tokens[at + 1];
      }
      if (head?.task === 'classify') targets[b] = classifyLabel(inputs.subarray(b * time, (b + 1) * time));
    }
    const lengths = head?.task === 'classify' ? new Int32Array(batch).fill(time) : undefined;
    return { inputs, targets, batch, time, lengths, reset: head !== undefined || w === 0 };
  };
}

/** A classifier row's label: its newline count mod LABELS (torch_train.py computes the same). */
function classifyLabel(ids: Int32Array): number {
  return ids.reduce((n, id) => n + (id === NEWLINE ? 1 : 0), 0) % LABELS;
}

/** Token id of a newline in the bench data (everything outside printable ASCII is VOCAB − 1). */
const NEWLINE = VOCAB - 1;

/** A character's tag for the tagger models: its class among TAGS (token id = code − 32). */
function charTag(id: number): number {
  const ch = String.fromCharCode(id + 32);
  if (id === 0 || id === VOCAB - 1) return 0;
  if (/[a-z]/.test(ch)) return 1;
  if (/[A-Z]/.test(ch)) return 2;
  if (/[0-9]/.test(ch)) return 3;
  if (/[()[\]{}]/.test(ch)) return 4;
  if (/['"`]/.test(ch)) return 5;
  if (/[-+*/=<>!&|^%~?:]/.test(ch)) return 6;
  return 7;
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
  fs.writeFileSync(`${file}.tags`, ids.map(charTag));
  return file;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function parseJson(stdout: string, what: string): Measurement {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`${what} printed no result`);
  return JSON.parse(line) as Measurement;
}

function failure(backend: string, error: string): Measurement {
  return { backend, rates: [], loss: NaN, maxRssKB: 0, error };
}

function runNode(job: Job): Measurement {
  const r = spawnSync(process.execPath, [__filename, '--child', JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    // The error's own line, not the stack trace under it.
    const lines = (r.stderr || r.stdout).trim().split('\n');
    return failure(job.backend, lines.find((l) => /Error\b/.test(l))?.trim() ?? lines.pop() ?? `exit code ${r.status}`);
  }
  return parseJson(r.stdout, `${job.backend} child`);
}

function runTorch(job: Job): Measurement {
  const r = spawnSync(PYTHON, [path.join(ROOT, 'bench', 'torch_train.py'), JSON.stringify(job)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.error) return failure('pytorch', `${PYTHON}: ${r.error.message}`);
  if (r.status !== 0) return failure('pytorch', r.stderr.trim().split('\n').pop() ?? `exit code ${r.status}`);
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

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/** Prints rows as aligned columns; `right` lists the numeric columns. */
function printTable(rows: string[][], right: Set<number>): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows)
    console.log(
      r
        .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    );
}

async function runParent(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const wasmAll = args.includes('--wasm-all');
  const models = (option(args, '--models') ?? MODELS.map((m) => m.id).join(',')).split(',').map((id) => {
    const m = MODELS.find((x) => x.id === id);
    if (!m) throw new Error(`unknown model "${id}" (known: ${MODELS.map((x) => x.id).join(', ')})`);
    return m;
  });
  const backends = (option(args, '--backends') ?? 'fused,fused-1,tensorflow,wasm,cpu,pytorch').split(',');
  const known = (b: string) => ['tensorflow', 'wasm', 'cpu', 'pytorch'].includes(b) || fusedThreads(b) !== undefined;
  const unknown = backends.filter((b) => !known(b));
  if (unknown.length) throw new Error(`unknown backend "${unknown[0]}" (known: fused, fused-N, tensorflow, wasm, cpu, pytorch)`);
  const steps = Number(option(args, '--steps') ?? (quick ? 5 : 15));
  const runs = Math.max(3, Number(option(args, '--runs') ?? 3));
  const data = writeBenchData();
  const base = { vocab: VOCAB, batch: BATCH, time: TIME, data, tags: `${data}.tags`, lr: 2e-3, clip: 5 };

  const plans: Array<{ backend: string; model: ModelShape; warmup: number; steps: number }> = [];
  const withTensorflow = backends.includes('tensorflow') && tfjsNodeLoads();
  const wasmSkipped: string[] = [];
  for (const model of models) {
    // The paths of one model run back to back, so a change in machine load hits all of them alike.
    for (const b of backends.filter((x) => fusedThreads(x) !== undefined)) plans.push({ backend: b, model, warmup: 3, steps: steps * 5 });
    if (withTensorflow) plans.push({ backend: 'tensorflow', model, warmup: 3, steps });
    if (backends.includes('wasm')) {
      // ≈ 3–10k chars/s: a minute or more per model, so by default only the *-256 models.
      if (wasmAll || (model.layers === 1 && model.hidden === 256 && !model.bidirectional)) plans.push({ backend: 'wasm', model, warmup: 3, steps });
      else wasmSkipped.push(model.id);
    }
    // The cpu backend manages ≈ 230 chars/s (9 s a step): one model, one step a run.
    if (backends.includes('cpu') && model === models[0]) plans.push({ backend: 'cpu', model, warmup: 1, steps: 1 });
    if (backends.includes('pytorch')) plans.push({ backend: 'pytorch', model, warmup: 5, steps: steps * 5 });
  }

  const results: Array<{ backend: string; model: ModelShape; steps: string; m: Measurement }> = [];
  const started = Date.now();
  try {
    for (const p of plans) {
      const classes = p.model.task === 'tag' ? TAGS : p.model.task === 'classify' ? LABELS : undefined;
      const job: Job = { ...base, ...p.model, time: p.model.time ?? TIME, classes, backend: p.backend, warmup: p.warmup, steps: p.steps, runs };
      process.stderr.write(`${p.model.id} on ${p.backend}: ${p.warmup} warm-up + ${runs}×${p.steps} steps … `);
      const m = p.backend === 'pytorch' ? runTorch(job) : runNode(job);
      process.stderr.write(m.error ? `failed: ${m.error}\n` : `${fmt(median(m.rates))} chars/s\n`);
      results.push({ backend: p.backend, model: p.model, steps: `${p.warmup}+${runs}×${p.steps}`, m });
    }
  } finally {
    fs.rmSync(data, { force: true });
    fs.rmSync(base.tags, { force: true });
  }
  const ok = (model: ModelShape, backend: string) => results.find((r) => r.model === model && r.backend === backend && !r.m.error);
  const ratio = (model: ModelShape, rate: number) => {
    const torch = ok(model, 'pytorch');
    return torch ? (rate / median(torch.m.rates)).toFixed(2) : '—';
  };

  console.log(
    `\nTraining throughput: batch ${BATCH}, seq ${TIME}, vocab ${VOCAB} one-hot (the *-tag and *-classify rows: seq 128 and 256, embedding 16), ` +
      `Adam lr ${base.lr}, global-norm clip ${base.clip}; ` +
      `${os.cpus().length} cores, node ${process.versions.node}; ${Math.round((Date.now() - started) / 1000)} s`,
  );
  console.log(
    "chars/s: median of the timed runs (min–max); steps: warm-up + runs × steps; peak RSS of the process; ratio = ours ÷ PyTorch; loss: the last step's\n",
  );
  const rows = [['model', 'path', 'chars/s', 'min–max', 'steps', 'peak RSS', 'loss', '÷ PyTorch']];
  for (const model of models) {
    for (const r of results.filter((x) => x.model === model)) {
      if (r.m.error) {
        rows.push([model.id, r.backend, 'failed', r.m.error.slice(0, 90), '', '', '', '']);
        continue;
      }
      const rate = median(r.m.rates);
      const threads = fusedThreads(r.backend);
      rows.push([
        model.id,
        r.backend === 'pytorch'
          ? `pytorch ${r.m.version ?? ''}`.trim()
          : threads !== undefined
            ? `fused ×${threads}${r.m.simd ? ` (${r.m.simd} SIMD)` : ''}`
            : r.backend,
        fmt(rate),
        `${fmt(Math.min(...r.m.rates))}–${fmt(Math.max(...r.m.rates))}`,
        r.steps,
        `${Math.round(r.m.maxRssKB / 1024)} MB`,
        r.m.loss.toFixed(3),
        r.backend === 'pytorch' ? '1' : ratio(model, rate),
      ]);
    }
  }
  printTable(rows, new Set([2, 5, 6, 7]));

  // The compact view: one row per model, each path's chars/s with its ratio to PyTorch.
  const columns = ['fused', 'fused-1', ...(withTensorflow ? ['tensorflow'] : []), 'wasm'].filter((b) => backends.includes(b));
  const label = (b: string) => (fusedThreads(b) !== undefined ? `fused ×${fusedThreads(b)}` : b);
  const summary = [['model', ...columns.flatMap((b) => [label(b), '÷ pt']), ...(backends.includes('pytorch') ? ['pytorch'] : [])]];
  for (const model of models) {
    const row = [model.id];
    for (const b of columns) {
      const r = ok(model, b);
      row.push(r ? fmt(median(r.m.rates)) : '—', r ? ratio(model, median(r.m.rates)) : '');
    }
    if (backends.includes('pytorch')) {
      const t = ok(model, 'pytorch');
      row.push(t ? fmt(median(t.m.rates)) : '—');
    }
    summary.push(row);
  }
  console.log('\nSummary (chars/s, ÷ pt = ours ÷ PyTorch):\n');
  printTable(summary, new Set(summary[0].map((_, c) => c).filter((c) => c > 0)));
  if (wasmSkipped.length) console.log(`\nwasm not run on ${wasmSkipped.join(', ')} (slow; --wasm-all runs it everywhere).`);
  if (backends.includes('tensorflow') && !withTensorflow) console.log('tensorflow not run: @tensorflow/tfjs-node does not load here.');
  if (backends.includes('pytorch') && !results.some((r) => r.backend === 'pytorch' && !r.m.error)) {
    console.log(`\nPyTorch was skipped (${PYTHON} with python3-torch is needed).`);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  runChild(JSON.parse(argv[1]) as Job)
    .then((m) => {
      console.log(JSON.stringify(m));
      // Terminated workers can keep the event loop alive for a moment; the result is out.
      process.exit(0);
    })
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
