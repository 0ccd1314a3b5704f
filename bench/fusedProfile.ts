/**
 * Where a fused training step spends its time, kernel by kernel, on one
 * thread (in this process, so every kernel call can be timed):
 *
 *   node out/bench/fusedProfile.js [lstm|gru|rnn] [hidden] [plain|relaxed]
 *
 * One layer, batch 32, sequence 64, vocabulary 96, Adam with norm clipping,
 * as `npm run bench`. Prints ms per step for each kernel and the GEMM rate
 * (GFLOP/s, from the step's multiply-add count).
 */
import { createSharedMemory, fusedModule, instantiateKernels, type SimdFlavour } from '../src/engine/fused/kernels';
import { planFusedStep } from '../src/engine/fused/layout';
import { runFusedStep, runFusedUpdate } from '../src/engine/fused/schedule';
import { Barrier } from '../src/engine/fused/barrier';
import { writeInitialState, writeParameters, writeWindow } from '../src/engine/fused/weights';
import { gateCount, type CellType } from '../src/core/spec';
import { SeededRandom } from '../src/core/random';
import { timedKernels } from './timedKernels';

const cell = (process.argv[2] ?? 'lstm') as CellType;
const hidden = Number(process.argv[3] ?? 256);
const simd = (process.argv[4] ?? 'auto') as SimdFlavour | 'auto';
const [V, B, T] = [96, 32, 64];
const G = gateCount(cell);
const spec = { cell, layers: 1, hidden, embedding: 0, dropout: 0, vocabSize: V, bidirectional: false };
const plan = planFusedStep(spec, B, T, 1);
const memory = createSharedMemory(plan.bytes);
const { module: compiled, simd: flavour } = fusedModule(simd);
const raw = instantiateKernels(compiled, memory);

// The same kernels, each call timed.
const totals = new Map<string, number>();
const kernels = timedKernels(raw, (name, ms) => totals.set(name, (totals.get(name) ?? 0) + ms));

const rng = new SeededRandom(1);
const random = (n: number) => Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 0.2);
const heap = new Float32Array(memory.buffer);
writeParameters(
  heap,
  plan,
  spec,
  new Map([
    ['layer0/kernel', random(V * G * hidden)],
    ['layer0/recurrentKernel', random(hidden * G * hidden)],
    ['layer0/bias', random(G * hidden)],
    ['output/kernel', random(hidden * V)],
    ['output/bias', random(V)],
  ]),
);
const ids = Int32Array.from({ length: B * T }, () => rng.nextInt(V));
writeWindow(heap, plan, ids, ids);
writeInitialState(heap, plan, undefined);
const barrier = new Barrier(new Int32Array(memory.buffer, plan.control, 16), 1, 0);
const update = {
  clipMode: 'norm' as const,
  clipValue: 5,
  optimizer: { kind: 'adam' as const, learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, oneMinusAccBeta1: 0.1, oneMinusAccBeta2: 0.001 },
};
let active = 0;
const step = () => {
  runFusedStep(kernels, plan, 0, barrier, heap, active);
  runFusedUpdate(kernels, plan, 0, barrier, heap, update, active);
  active = 1 - active;
};
for (let i = 0; i < 3; i++) step();
totals.clear();
const steps = 10;
const started = performance.now();
for (let i = 0; i < steps; i++) step();
const ms = (performance.now() - started) / steps;

// Multiply-adds of the products: recurrent (forward, ∂h, ∂U), output layer (forward, ∂h, ∂W); one-hot input needs none.
const H = hidden;
const flops = 2 * (3 * B * T * H * G * H + 3 * B * T * H * V);
console.log(
  `${cell} 1×${hidden}, batch ${B} × ${T}, vocabulary ${V}, ${flavour} SIMD, 1 thread: ` +
    `${ms.toFixed(1)} ms/step = ${Math.round((B * T * 1000) / ms).toLocaleString('en-US')} chars/s`,
);
// Every product kernel (gemm, gemmPanels, gemmPacked), not the first alone.
const gemm = [...totals].filter(([name]) => name.startsWith('gemm')).reduce((sum, [, total]) => sum + total, 0) / steps;
for (const [name, total] of [...totals].sort((a, b) => b[1] - a[1])) {
  const each = total / steps;
  console.log(`  ${name.padEnd(22)} ${each.toFixed(2).padStart(7)} ms  ${((100 * each) / ms).toFixed(0).padStart(3)}%`);
}
console.log(`  GEMM rate ${(flops / gemm / 1e6).toFixed(1)} GFLOP/s`);
