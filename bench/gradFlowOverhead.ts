/**
 * What the gradient-flow probe (src/engine/training/gradientFlow.ts) costs
 * at its default interval (at each evaluation, every 100 steps), on the fused
 * kernels, measured in one run:
 *
 * 1. in the training loop: a real training of each model on this repository's
 *    src/, whose run.json keeps the step time (timings.trainingMs) and, apart,
 *    the probe's time (timings.gradFlowMs): overhead = probe ÷ steps;
 * 2. directly: the median of training steps and of probes (two passes: the
 *    last position's loss and the window's), interleaved so that a busy
 *    machine slows both alike: overhead = probe ÷ (100 × step).
 *
 *   npm run bench                               # all of it (this is its last part)
 *   node out/bench/gradFlowOverhead.js --quick  # fewer steps
 *
 * The target (issue #12) is under 5% of training time. The machine should be
 * otherwise idle: the two kernel threads slow down several-fold when another
 * process holds a core, and both numbers are noisy when it does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SeededRandom } from '../src/core/random';
import { DEFAULT_MODEL, DEFAULT_TRAINING, gradFlowInterval, type CellType, type ModelSpec } from '../src/core/spec';

const ROOT = path.resolve(__dirname, '..', '..');
const MODELS: { id: string; cell: CellType; layers: number; hidden: number }[] = [
  { id: 'lstm-2x128', cell: 'lstm', layers: 2, hidden: 128 },
  { id: 'gru-2x128', cell: 'gru', layers: 2, hidden: 128 },
  { id: 'rnn-1x128', cell: 'rnn', layers: 1, hidden: 128 },
];
const quick = process.argv.includes('--quick');
const INTERVAL = gradFlowInterval(DEFAULT_TRAINING);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** A real training on src/: the loop's own accounting of step time and probe time. */
async function inTheLoop(model: (typeof MODELS)[number], out: string): Promise<{ steps: number; trainingMs: number; gradFlowMs: number }> {
  const { startTraining } = await import('../src/engine/training/trainingRun');
  const steps = quick ? 200 : 400;
  const started = await startTraining({
    inputs: [path.join(ROOT, 'src')],
    model: { ...DEFAULT_MODEL, cell: model.cell, layers: model.layers, hidden: model.hidden },
    training: { ...DEFAULT_TRAINING, steps, sampleEvery: steps, checkpointEvery: steps },
    outDir: out,
    backend: 'fused',
    threads: 2,
  });
  const outcome = await started.outcome;
  if (outcome.info.backend.training !== 'fused') throw new Error(`trained on ${JSON.stringify(outcome.info.backend)}, not the fused kernels`);
  return { steps, trainingMs: outcome.info.timings.trainingMs, gradFlowMs: outcome.info.timings.gradFlowMs ?? 0 };
}

/** Steps and probes of the step runner, interleaved. */
async function direct(model: (typeof MODELS)[number]): Promise<{ stepMs: number; probeMs: number }> {
  const { initBackend } = await import('../src/engine/backend');
  const { RecurrentModel } = await import('../src/engine/model');
  const { createOptimizer } = await import('../src/engine/training/optimizers');
  const { chooseStepRunner } = await import('../src/engine/training/stepRunner');
  const { measureGradientFlow } = await import('../src/engine/training/gradientFlow');
  const { disposeState } = await import('../src/engine/recurrentState');
  const tfjsBackend = await initBackend('fused');
  const [batch, time, vocab] = [DEFAULT_TRAINING.batchSize, DEFAULT_TRAINING.seqLength, 96];
  const spec: ModelSpec = { ...DEFAULT_MODEL, cell: model.cell, layers: model.layers, hidden: model.hidden, vocabSize: vocab };
  const rnn = new RecurrentModel(spec, 1);
  const optimizer = createOptimizer('adam', DEFAULT_TRAINING.learningRate);
  const { runner, backend } = await chooseStepRunner({ model: rnn, optimizer, batch, time, preference: 'fused', tfjsBackend, threads: 2 });
  if (backend.training !== 'fused') throw new Error(backend.notice ?? 'not on the fused kernels');
  const rng = new SeededRandom(3);
  const window = () => {
    const ids = Int32Array.from({ length: batch * time + 1 }, () => rng.nextInt(vocab));
    return { inputs: ids.subarray(0, batch * time), targets: ids.subarray(1), batch, time };
  };
  const probeWindow = window();
  try {
    const stepTimes: number[] = [];
    const probeTimes: number[] = [];
    for (let round = 0; round < (quick ? 4 : 8); round++) {
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const outcome = await runner.step(window(), undefined, { clipMode: 'norm', clipValue: 5, dropoutSeed: 0 });
        if (round > 0) stepTimes.push(performance.now() - t0); // round 0 warms up
        disposeState(outcome.finalState);
      }
      const t0 = performance.now();
      await measureGradientFlow(runner, probeWindow, round);
      if (round > 0) probeTimes.push(performance.now() - t0);
    }
    return { stepMs: median(stepTimes), probeMs: median(probeTimes) };
  } finally {
    runner.dispose();
    optimizer.dispose();
    rnn.dispose();
  }
}

async function main(): Promise<void> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-gradflow-'));
  console.log(
    `\nGradient-flow probe overhead at the default interval (every ${INTERVAL} steps, T = ${DEFAULT_TRAINING.seqLength}), fused kernels on 2 threads:`,
  );
  console.log(`(load average ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores: figures are noisy on a busy machine)\n`);
  const rows: string[][] = [['model', 'loop: steps ms', 'loop: probe ms', 'loop overhead', 'step ms', 'probe ms', 'probe ÷ (100 steps)']];
  try {
    for (const model of MODELS) {
      const loop = await inTheLoop(model, out);
      const d = await direct(model);
      rows.push([
        model.id,
        loop.trainingMs.toFixed(0),
        loop.gradFlowMs.toFixed(0),
        percent(loop.gradFlowMs / loop.trainingMs),
        d.stepMs.toFixed(1),
        d.probeMs.toFixed(1),
        percent(d.probeMs / (INTERVAL * d.stepMs)),
      ]);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  console.log('\nTarget: under 5% of training time (issue #12).');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
