/**
 * Step-by-step generation speed (one token per stream per call, state
 * carried) of a 2×LSTM-256 character model at 1 and 8 streams: onnxruntime
 * on the exported model (the engine's generate(), float32 and int8),
 * TensorFlow.js (our RecurrentModel, the streams as one batch) and PyTorch
 * (bench/torch_generate.py on Debian's /usr/bin/python3, the same batch), in
 * one invocation, with ratios measured in the same run.
 *
 *   npm run bench                              # after the training benchmark
 *   node out/bench/generate.js --tokens 2000 --runs 3 [--streams 1,8]
 *   node out/bench/generate.js --model RUN_DIR --score FILE_OR_DIR...
 *
 * With --model, the run's (or .onnx file's) trained weights replace the random
 * ones, and --score prints the held-out bits per character of the float32 and
 * int8 models on the given files (what int8 costs in accuracy).
 *
 * Every engine runs one thread (onnxruntime intra-op threads 1, tfjs wasm,
 * torch.set_num_threads(1) with OPENBLAS_NUM_THREADS=1): one token at a time
 * is latency-bound, and it leaves the other core to a training. Each figure is
 * the median of `runs` timed runs of `tokens` tokens per stream after a
 * warm-up, in characters per second over all streams; sampling at
 * temperature 0.8, the same weights everywhere. The engines take turns, one
 * run each per round (PyTorch in a process that stays up), so a machine
 * shared with other work slows them alike; each ratio is the median of the
 * rounds' ratios. Beside the wall-clock rates, each run's CPU time per
 * character (the process's user and system time): another process's load
 * stretches the first far more than the second, so the CPU-time ratio says
 * what the code costs when the machine is busy.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelSpec } from '../src/core/spec';
import type { Vocabulary } from '../src/core/vocabulary';
import type { NamedWeights } from '../src/engine/onnx/onnxWeights';

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..');
const TEMPERATURE = 0.8;

/** One timed run: characters per second over all streams, and CPU microseconds per character. */
interface Timing {
  rate: number;
  cpu: number;
}

/** One engine at a given number of streams: a warm-up, then timed runs. */
interface Engine {
  name: string;
  note: string;
  warmUp(streams: number): Promise<void>;
  run(streams: number, seed: number): Promise<Timing>;
  close(): Promise<void>;
}

interface Result {
  engine: string;
  streams: number;
  rates: number[];
  cpu: number[];
  note?: string;
}

interface BenchModel {
  spec: ModelSpec;
  vocab: Vocabulary;
  weights: NamedWeights;
  file: string;
  dir: string;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} expects a positive whole number`);
  return n;
}

/** The values after `--name` up to the next flag. */
function listOption(name: string): string[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return [];
  const end = process.argv.findIndex((a, k) => k > i && a.startsWith('--'));
  return process.argv.slice(i + 1, end < 0 ? undefined : end);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const tokens = option('tokens', 2000);
  const runs = option('runs', 3);
  const streamCounts = (listOption('streams')[0] ?? '1,8').split(',').map(Number);
  const { initBackend } = await import('../src/engine/backend');
  const backend = await initBackend('auto');
  const model = await benchModel(listOption('model')[0]);
  const { layers, hidden, vocabSize } = model.spec;
  process.stdout.write(
    `generation, ${layers}×LSTM-${hidden} (${listOption('model')[0] ? 'trained' : 'random'} weights), vocabulary ${vocabSize}, ` +
      `${tokens} tokens per stream × ${runs} rounds (median), temperature ${TEMPERATURE}, one thread each\n`,
  );
  const tfjsTokens = Math.min(tokens, 500); // tfjs is an order of magnitude slower
  const engines: Engine[] = [
    await onnxEngine(model.file, 'float32', tokens),
    await onnxEngine(model.file, 'int8', tokens),
    await tfjsEngine(model, tfjsTokens, `${backend.name}${backend.simd ? ' SIMD' : ''}, RecurrentModel.forward per token, ${tfjsTokens} tokens`),
  ];
  const torch = await torchEngine(model, tokens);
  if (typeof torch === 'string') process.stdout.write(`  pytorch skipped: ${torch}\n`);
  else engines.push(torch);
  let measured: { results: Result[]; ratios: Record<string, number[]> };
  try {
    measured = await measureRounds(engines, streamCounts, runs);
  } finally {
    for (const e of engines) await e.close(); // PyTorch's process too, or it would keep this one alive
  }
  const { results, ratios } = measured;
  report(results, ratios, streamCounts);
  const scored = listOption('score');
  if (scored.length > 0) await reportBitsPerChar(model.file, scored);
  fs.rmSync(model.dir, { recursive: true, force: true });
}

/** Each engine in turn, one run per round; the ratios of each round's rates. */
async function measureRounds(engines: Engine[], streamCounts: number[], runs: number): Promise<{ results: Result[]; ratios: Record<string, number[]> }> {
  const results: Result[] = [];
  const ratios: Record<string, number[]> = {};
  for (const streams of streamCounts) {
    for (const e of engines) await e.warmUp(streams);
    const timings = engines.map(() => [] as Timing[]);
    for (let r = 0; r < runs; r++) {
      const round: Record<string, Timing> = {};
      for (const [i, e] of engines.entries()) timings[i].push((round[e.name] = await e.run(streams, r + 1)));
      for (const [a, b] of RATIOS) {
        if (!round[a] || !round[b]) continue;
        (ratios[`${streams}\0${a}\0${b}`] ??= []).push(round[a].rate / round[b].rate);
        (ratios[`${streams}\0${a}\0${b}\0cpu`] ??= []).push(round[b].cpu / round[a].cpu);
      }
    }
    engines.forEach((e, i) => results.push({ engine: e.name, streams, rates: timings[i].map((t) => t.rate), cpu: timings[i].map((t) => t.cpu), note: e.note }));
  }
  return { results, ratios };
}

/** The ratios reported, each the median of its per-round values. */
const RATIOS: [string, string][] = [
  ['onnxruntime float32', 'pytorch'],
  ['onnxruntime int8', 'pytorch'],
  ['onnxruntime float32', 'tfjs'],
  ['onnxruntime int8', 'onnxruntime float32'],
];

/** onnxruntime through the engine's generate(): all streams as one batch. */
async function onnxEngine(file: string, precision: 'float32' | 'int8', tokens: number): Promise<Engine> {
  const { generate } = await import('../src/engine/inference/generate');
  const options = { length: tokens, temperature: TEMPERATURE, precision };
  return {
    name: `onnxruntime ${precision}`,
    note: `${onnxruntimeVersion()}, 1 intra-op thread`,
    warmUp: async (count) => void (await generate(file, { ...options, count, length: 200, seed: 0 })), // session, allocations
    run: async (count, seed) => {
      const cpu = process.cpuUsage();
      const r = await generate(file, { ...options, count, seed });
      const chars = r.texts.reduce((n, t) => n + [...t].length, 0);
      return { rate: r.charsPerSec, cpu: cpuMicros(cpu) / chars };
    },
    close: async () => {},
  };
}

/** TensorFlow.js: RecurrentModel.forward on [streams, 1] tokens per step, the state carried, the same sampler. */
async function tfjsEngine(model: BenchModel, tokens: number, note: string): Promise<Engine> {
  const tf = await import('../src/engine/tfjs');
  const { RecurrentModel } = await import('../src/engine/model');
  const { pickToken } = await import('../src/engine/sampler');
  const { SeededRandom } = await import('../src/core/random');
  const { disposeState, keepState } = await import('../src/engine/recurrentState');
  const tfModel = new RecurrentModel(model.spec, 1);
  tfModel.setWeights(new Map([...model.weights].map(([k, v]) => [k, { shape: [...v.shape], values: v.values }])));
  const V = model.spec.vocabSize;
  const run = (streams: number, length: number, seed: number): Timing => {
    const rngs = Array.from({ length: streams }, (_, b) => new SeededRandom(seed + b));
    let ids = new Array<number>(streams).fill(model.vocab.idOf('\n'));
    let state: ReturnType<typeof keepState> | undefined;
    let chars = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let t = 0; t < length; t++) {
      const logits = tf.tidy(() => {
        const out = tfModel.forward(tf.tensor2d(ids, [streams, 1], 'int32'), state);
        disposeState(state);
        state = keepState(out.finalState);
        return out.logits.dataSync() as Float32Array;
      });
      ids = ids.map((_, b) => pickToken(logits.subarray(b * V, (b + 1) * V), TEMPERATURE, 0, rngs[b], model.vocab.unk));
      chars += ids.reduce((n, id) => n + [...model.vocab.textOf(id)].length, 0);
    }
    disposeState(state);
    return { rate: chars / ((performance.now() - started) / 1000), cpu: cpuMicros(cpu) / chars };
  };
  return {
    name: 'tfjs',
    note,
    warmUp: async (streams) => void run(streams, 50, 0),
    run: async (streams, seed) => run(streams, tokens, seed),
    close: async () => tfModel.dispose(),
  };
}

/**
 * PyTorch in one process that stays up (bench/torch_generate.py), the same
 * weights as one float32 blob and a list of names and shapes; a string says
 * why it is skipped.
 */
async function torchEngine(model: BenchModel, tokens: number): Promise<Engine | string> {
  const names = [...model.weights.keys()];
  const parts = names.map((n) => {
    const v = model.weights.get(n)!.values;
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  });
  fs.writeFileSync(path.join(model.dir, 'weights.bin'), Buffer.concat(parts));
  const manifest = names.map((n) => ({ name: n, shape: model.weights.get(n)!.shape }));
  const { layers, hidden, vocabSize } = model.spec;
  const config = { dir: model.dir, manifest, vocab: vocabSize, layers, hidden, temperature: TEMPERATURE };
  const child = spawn(PYTHON, [path.join(ROOT, 'bench', 'torch_generate.py'), JSON.stringify(config)], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
  });
  const lines = lineReader(child);
  const hello = (await lines()) as { version?: string; error?: string } | undefined;
  if (!hello?.version) {
    child.kill();
    return hello?.error ?? 'torch_generate.py did not start';
  }
  const ask = async (streams: number, length: number): Promise<Timing> => {
    child.stdin.write(JSON.stringify({ streams, tokens: length }) + '\n');
    const answer = (await lines()) as Partial<Timing> | undefined;
    if (!answer?.rate || !answer.cpu) throw new Error('torch_generate.py stopped answering');
    return { rate: answer.rate, cpu: answer.cpu };
  };
  return {
    name: 'pytorch',
    note: `${hello.version}, 1 thread`,
    warmUp: async (streams) => void (await ask(streams, 200)),
    run: (streams) => ask(streams, tokens),
    close: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Reads the child's stdout one JSON line at a time (undefined once it has ended). */
function lineReader(child: ChildProcessWithoutNullStreams): () => Promise<unknown> {
  let buffered = '';
  let ended = false;
  const waiting: (() => void)[] = [];
  const wake = () => waiting.splice(0).forEach((w) => w());
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((buffered += chunk), wake()));
  child.on('exit', () => ((ended = true), wake()));
  return async () => {
    for (;;) {
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        return JSON.parse(line) as unknown;
      }
      if (ended) return undefined;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
}

function report(results: Result[], ratios: Record<string, number[]>, streamCounts: number[]): void {
  const thousands = (x: number) => Math.round(x).toLocaleString('en-US');
  for (const streams of streamCounts) {
    process.stdout.write(`\n${streams} stream${streams > 1 ? 's' : ''}\n`);
    for (const r of results.filter((x) => x.streams === streams)) {
      const cpu = `${median(r.cpu).toFixed(1).padStart(7)} cpu µs/char`;
      const line = `${thousands(median(r.rates)).padStart(9)} chars/s ${cpu}  (runs: ${r.rates.map(thousands).join(', ')})`;
      process.stdout.write(`  ${r.engine.padEnd(21)}${line}${r.note ? `  [${r.note}]` : ''}\n`);
    }
    for (const [a, b] of RATIOS) {
      const wall = ratios[`${streams}\0${a}\0${b}`];
      const cpu = ratios[`${streams}\0${a}\0${b}\0cpu`];
      if (!wall || !cpu) continue;
      const rounds = wall.map((x) => x.toFixed(2)).join(', ');
      process.stdout.write(`  ${`${a} / ${b}:`.padEnd(42)}${median(wall).toFixed(2)}×  by CPU time ${median(cpu).toFixed(2)}×  (rounds: ${rounds})\n`);
    }
  }
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** Held-out bits per character of the float32 and int8 models on the given files (what int8 costs). */
async function reportBitsPerChar(file: string, inputs: string[]): Promise<void> {
  const { scoreText } = await import('../src/engine/inference/score');
  const { quantizeModelBytes } = await import('../src/engine/onnx/quantizeModel');
  const { readRnnLabModelFile, readModelBytes } = await import('../src/engine/onnx/onnxMetadata');
  const int8File = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-int8-')), 'model.int8.onnx');
  fs.writeFileSync(int8File, quantizeModelBytes(readModelBytes(file), readRnnLabModelFile(file), file));
  const files = inputs.flatMap((p) => (fs.statSync(p).isDirectory() ? listFiles(p) : [p]));
  const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const float = await scoreText(file, text);
  const int8 = await scoreText(int8File, text);
  const size = (f: string) => `${(fs.statSync(f).size / 1024).toFixed(0)} KB`;
  process.stdout.write(`\nheld-out text: ${files.length} files, ${float.chars.toLocaleString('en-US')} characters\n`);
  process.stdout.write(`  float32  ${float.bitsPerChar!.toFixed(4)} bits/char  ${size(file)}\n`);
  process.stdout.write(`  int8     ${int8.bitsPerChar!.toFixed(4)} bits/char  ${size(int8File)}\n`);
  process.stdout.write(`  int8 costs ${((int8.bitsPerChar! / float.bitsPerChar! - 1) * 100).toFixed(2)}% bits/char\n`);
  fs.rmSync(path.dirname(int8File), { recursive: true, force: true });
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
    .sort();
}

/** The random 2×LSTM-256 over 95 printable characters and a newline, or a trained model's weights. */
async function benchModel(source: string | undefined): Promise<BenchModel> {
  const { Vocabulary } = await import('../src/core/vocabulary');
  const { RecurrentModel } = await import('../src/engine/model');
  const { writeOnnxModel } = await import('../src/engine/onnx/onnxExport');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-generate-'));
  const file = path.join(dir, 'model.onnx');
  if (source) {
    const { loadRunModel } = await import('../src/engine/runModel');
    const { model, vocab } = loadRunModel(source);
    const weights = await model.readWeights();
    writeOnnxModel(file, { spec: model.spec, weights, vocab });
    model.dispose();
    return { spec: model.spec, vocab, weights, file, dir };
  }
  // 95 printable ASCII characters and a newline, plus <unk>: a typical source-code vocabulary.
  const vocab = Vocabulary.buildChar([Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\n']);
  const spec: ModelSpec = { cell: 'lstm', layers: 2, hidden: 256, embedding: 0, dropout: 0, vocabSize: vocab.size, bidirectional: false };
  const model = new RecurrentModel(spec, 1);
  const weights = await model.readWeights();
  model.dispose();
  writeOnnxModel(file, { spec, weights, vocab });
  return { spec, vocab, weights, file, dir };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});

function onnxruntimeVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed package's version
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}
