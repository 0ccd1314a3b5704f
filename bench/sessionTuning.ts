/**
 * onnxruntime session settings for single-stream generation and for
 * activations, measured one at a time against the engine's defaults
 * (sessionCache.ts DEFAULT_SESSION_OPTIONS): a 2×LSTM-256 character model
 * with random weights, float32 and int8. Generation: tokens per second at
 * batch 1 through generate() (sampling included); activations: 256-token
 * chunks with the probe (cell state and gates) through ActivationModel.
 * Each variant runs interleaved with the baseline, `runs` times each, so a
 * machine shared with other work slows both alike; the table gives medians,
 * the ratio to the baseline, and CPU microseconds per token (less sensitive to
 * other processes than wall time).
 *
 *   npm run compile && node out/bench/sessionTuning.js [--tokens 3000] [--runs 5]
 *
 * The other variants change how the token loop feeds onnxruntime: the
 * exported graph as it is (a tensor per layer's state, the hidden sequences
 * among the outputs: the engine before generationGraph.ts), new input tensors
 * every call (before TokenStepper), and preallocated output tensors passed as
 * fetches.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as ortTypes from 'onnxruntime-node';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} expects a positive whole number`);
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Options = ortTypes.InferenceSession.SessionOptions;
interface Measured {
  perSec: number;
  cpuMicros: number;
}

const SESSION_VARIANTS: [string, Options][] = [
  ['2 intra-op threads', { intraOpNumThreads: 2 }],
  ['graph optimization: extended', { graphOptimizationLevel: 'extended' }],
  ['graph optimization: basic', { graphOptimizationLevel: 'basic' }],
  ['graph optimization: disabled', { graphOptimizationLevel: 'disabled' }],
  ['parallel execution, 2 inter-op threads', { executionMode: 'parallel', interOpNumThreads: 2 }],
  ['no CPU memory arena', { enableCpuMemArena: false }],
  ['no memory pattern', { enableMemPattern: false }],
];

async function main(): Promise<void> {
  const tokens = option('tokens', 3000);
  const runs = option('runs', 5);
  const file = await writeBenchModel();
  const { configureSessionCache, DEFAULT_SESSION_OPTIONS, releaseAll } = await import('../src/engine/inference/sessionCache');
  const configure = async (changes: Options) => {
    await releaseAll();
    configureSessionCache({ session: { ...DEFAULT_SESSION_OPTIONS, ...changes } });
  };
  process.stdout.write(`session settings, 2×LSTM-256 (random weights), batch 1; medians of ${runs} interleaved runs, ${tokens} tokens each\n`);
  for (const precision of ['float32', 'int8'] as const) {
    const measure = (mode: StepMode) => measureGeneration(file, precision, tokens, mode);
    process.stdout.write(`\ngeneration, ${precision}\n`);
    for (const [name, variant] of SESSION_VARIANTS) await compare(name, runs, configure, variant, () => measure('reused'));
    await configure({});
    await compare(
      'exported graph: a tensor per state, h_l out',
      runs,
      undefined,
      {},
      () => measure('reused'),
      () => measure('contract'),
    );
    await compare(
      'new input tensors every call',
      runs,
      undefined,
      {},
      () => measure('reused'),
      () => measure('fresh'),
    );
    await compare(
      'preallocated output tensors',
      runs,
      undefined,
      {},
      () => measure('reused'),
      () => measure('preallocated'),
    );
  }
  process.stdout.write('\nactivations (float32, 256-token chunks with the probe)\n');
  for (const [name, variant] of SESSION_VARIANTS) await compare(name, runs, configure, variant, () => measureActivations(file, tokens));
  await releaseAll();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

/** Runs baseline and variant alternately; prints medians, the ratio and CPU µs per token. */
async function compare(
  name: string,
  runs: number,
  configure: ((o: Options) => Promise<void>) | undefined,
  variant: Options,
  baseline: () => Promise<Measured>,
  other: () => Promise<Measured> = baseline,
): Promise<void> {
  const a: Measured[] = [];
  const b: Measured[] = [];
  for (let r = 0; r <= runs; r++) {
    await configure?.({});
    const base = await baseline();
    await configure?.(variant);
    const changed = await other();
    if (r === 0) continue; // warm-up
    a.push(base);
    b.push(changed);
  }
  await configure?.({});
  const rate = (xs: Measured[]) => median(xs.map((x) => x.perSec));
  const cpu = (xs: Measured[]) => median(xs.map((x) => x.cpuMicros));
  process.stdout.write(
    `  ${name.padEnd(40)} ${Math.round(rate(b)).toLocaleString('en-US').padStart(8)}/s vs ${Math.round(rate(a)).toLocaleString('en-US').padStart(8)}/s ` +
      `${(rate(b) / rate(a)).toFixed(2)}×   cpu ${cpu(b).toFixed(1)} vs ${cpu(a).toFixed(1)} µs/token\n`,
  );
}

type StepMode = 'reused' | 'contract' | 'fresh' | 'preallocated';

/** Tokens per second of a batch-1 generation loop (sampling included) in the given feeding mode. */
async function measureGeneration(file: string, precision: 'float32' | 'int8', tokens: number, mode: StepMode): Promise<Measured> {
  const { generate } = await import('../src/engine/inference/generate');
  if (mode === 'reused') {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const r = await generate(file, { length: tokens, temperature: 0.8, seed: 1, precision });
    return { perSec: r.tokens / ((performance.now() - started) / 1000), cpuMicros: cpuMicros(cpu) / r.tokens };
  }
  return measureHandLoop(file, precision, tokens, mode);
}

/**
 * The token loop written against the sessions directly: the exported graph
 * (a state tensor per layer and the hidden sequences as outputs, new tensors
 * every call), the packed-state generation graph with new tensors every call,
 * or with preallocated output tensors passed as fetches.
 */
async function measureHandLoop(file: string, precision: 'float32' | 'int8', tokens: number, mode: Exclude<StepMode, 'reused'>): Promise<Measured> {
  const ort = await import('onnxruntime-node');
  const { OnnxLanguageModel } = await import('../src/engine/inference/onnxLanguageModel');
  const { GenerationModel } = await import('../src/engine/inference/generationModel');
  const { acquireSession } = await import('../src/engine/inference/sessionCache');
  const { pickToken } = await import('../src/engine/sampler');
  const { SeededRandom } = await import('../src/core/random');
  const names = await import('../src/engine/onnx/onnxNames');
  const contract = await OnnxLanguageModel.open(file, precision);
  const packed = await GenerationModel.open(file, precision);
  const lease = await acquireSession(file, { precision, generation: true });
  const V = packed.spec.vocabSize;
  const unk = packed.vocab.unk;
  const rng = new SeededRandom(1);
  let layered = contract.zeroState(1);
  let state = packed.zeroState(1);
  let spare = packed.zeroState(1);
  const logits = new ort.Tensor('float32', new Float32Array(V), [1, 1, V]);
  let id = 1;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let t = 0; t < tokens; t++) {
    if (mode === 'contract') {
      const out = await contract.run([id], 1, 1, layered, { sequences: true });
      layered = out.state;
      id = pickToken(out.logits, 0.8, 0, rng, unk);
    } else if (mode === 'fresh') {
      const out = await packed.run([id], 1, 1, state);
      state = out.state;
      id = pickToken(out.logits, 0.8, 0, rng, unk);
    } else {
      const feeds = { [names.TOKENS_INPUT]: new ort.Tensor('int64', BigInt64Array.of(BigInt(id)), [1, 1]), [names.PACKED_STATE_INPUT]: state };
      await lease.session.run(feeds, { [names.LOGITS_OUTPUT]: logits, [names.PACKED_STATE_OUTPUT]: spare });
      [state, spare] = [spare, state];
      id = pickToken(logits.data, 0.8, 0, rng, unk);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  contract.close();
  packed.close();
  lease.release();
  return { perSec: tokens / seconds, cpuMicros: cpuMicros(cpu) / tokens };
}

/** Tokens per second of the activation probe over 256-token chunks (a fresh model each time: it holds its own session). */
async function measureActivations(file: string, tokens: number): Promise<Measured> {
  const { ActivationModel } = await import('../src/engine/activations/activationModel');
  const model = await ActivationModel.open(file);
  const ids = Array.from({ length: 256 }, (_, i) => 1 + ((i * 7) % (model.spec.vocabSize - 1)));
  let state = model.zeroState();
  const chunks = Math.max(1, Math.round(tokens / 256));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let c = 0; c < chunks; c++) state = (await model.run(ids, state, true)).state;
  const seconds = (performance.now() - started) / 1000;
  await model.close();
  return { perSec: (chunks * 256) / seconds, cpuMicros: cpuMicros(cpu) / (chunks * 256) };
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** The generation benchmark's model: 2×LSTM-256 over 95 printable characters and a newline, random weights. */
async function writeBenchModel(): Promise<string> {
  const { initBackend } = await import('../src/engine/backend');
  const { RecurrentModel } = await import('../src/engine/model');
  const { Vocabulary } = await import('../src/core/vocabulary');
  const { writeOnnxModel } = await import('../src/engine/onnx/onnxExport');
  await initBackend('auto');
  const vocab = Vocabulary.buildChar([Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\n']);
  const spec = { cell: 'lstm' as const, layers: 2, hidden: 256, embedding: 0, dropout: 0, vocabSize: vocab.size, bidirectional: false };
  const model = new RecurrentModel(spec, 1);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-session-')), 'model.onnx');
  writeOnnxModel(file, { spec, weights: await model.readWeights(), vocab });
  model.dispose();
  return file;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
