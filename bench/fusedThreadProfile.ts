/**
 * Where a fused training step's threads spend their time on N threads:
 *
 *   node out/bench/fusedThreadProfile.js [lstm|gru|rnn] [hidden] [threads] [layers] [rows|units]
 *
 * One or more layers, batch 32, sequence 64, vocabulary 96, Adam with norm
 * clipping, as `npm run bench`. Each worker runs the real schedule with its
 * kernels and its barrier timed: the step is cut into sections at its full
 * barriers (pack, input products, recurrence + logits, softmax, output
 * gradients, backward + weight gradients, update; split by rows, each
 * recurrence ends at a barrier of its own), and each section's time is
 * split into kernel time, waiting for other threads' blocks (ready flags) and
 * waiting at the barrier that ends it. The main thread's step time includes
 * the hand-off to the workers and back.
 */
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import { createSharedMemory, fusedModule, instantiateKernels, type FusedKernels } from '../src/engine/fused/kernels';
import { CONTROL_INTS, planFusedStep, type FusedPlan, type RecurrenceSplit } from '../src/engine/fused/layout';
import { runFusedStep, runFusedUpdate } from '../src/engine/fused/schedule';
import { Barrier } from '../src/engine/fused/barrier';
import { syncViews } from '../src/engine/fused/fusedStepper';
import { writeInitialState, writeParameters, writeWindow } from '../src/engine/fused/weights';
import { gateCount, type CellType, type ModelSpec } from '../src/core/spec';
import { SeededRandom } from '../src/core/random';
import { timedKernels } from './timedKernels';
import type { UpdateSettings } from '../src/engine/fused/messages';

interface ProfileData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  plan: FusedPlan;
  thread: number;
  threads: number;
}

/** Per section: kernel ms by name, flag-wait ms, barrier-wait ms (at its end). */
interface Section {
  kernels: Record<string, number>;
  flagWait: number;
  barrierWait: number;
  total: number;
}

const UPDATE: UpdateSettings = {
  clipMode: 'norm',
  clipValue: 5,
  optimizer: { kind: 'adam', learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, oneMinusAccBeta1: 0.1, oneMinusAccBeta2: 0.001 },
};

/** A barrier that charges its waits to the current section. */
class TimedBarrier extends Barrier {
  constructor(
    private readonly profile: Profiler,
    ...args: ConstructorParameters<typeof Barrier>
  ) {
    super(...args);
  }
  override wait(): void {
    const t = performance.now();
    super.wait();
    this.profile.barrier(performance.now() - t);
  }
  override awaitBlocks(b0: number, b1: number, phase: number): void {
    const t = performance.now();
    super.awaitBlocks(b0, b1, phase);
    this.profile.current().flagWait += performance.now() - t;
  }
}

class Profiler {
  sections: Section[] = [];
  private index = 0;
  private sectionStart = 0;
  reset(): void {
    this.index = 0;
    this.sectionStart = performance.now();
  }
  current(): Section {
    while (this.sections.length <= this.index) this.sections.push({ kernels: {}, flagWait: 0, barrierWait: 0, total: 0 });
    return this.sections[this.index];
  }
  barrier(ms: number): void {
    this.current().barrierWait += ms;
    this.close();
  }
  close(): void {
    const now = performance.now();
    this.current().total += now - this.sectionStart;
    this.sectionStart = now;
    this.index++;
  }
  timed(raw: FusedKernels): FusedKernels {
    return timedKernels(raw, (name, ms) => {
      const k = this.current().kernels;
      k[name] = (k[name] ?? 0) + ms;
    });
  }
}

function workerMain(): void {
  const data = workerData as ProfileData;
  const { plan } = data;
  const profile = new Profiler();
  const kernels = profile.timed(instantiateKernels(data.module, data.memory));
  const heap = new Float32Array(data.memory.buffer);
  let active = 0;
  parentPort!.on('message', (message: { kind: 'step' | 'report' | 'clear' }) => {
    if (message.kind === 'clear') {
      profile.sections = [];
      parentPort!.postMessage('cleared');
      return;
    }
    if (message.kind === 'report') {
      parentPort!.postMessage(profile.sections);
      return;
    }
    const barrier = new TimedBarrier(
      profile,
      new Int32Array(data.memory.buffer, plan.control, CONTROL_INTS),
      data.threads,
      data.thread,
      new Int32Array(data.memory.buffer, plan.sync, plan.syncInts),
      plan.directions * (plan.hp / 8),
    );
    profile.reset();
    runFusedStep(kernels, plan, data.thread, barrier, heap, active);
    runFusedUpdate(kernels, plan, data.thread, barrier, heap, UPDATE, active);
    profile.close();
    active = 1 - active;
    parentPort!.postMessage('done');
  });
}

async function main(): Promise<void> {
  const cell = (process.argv[2] ?? 'lstm') as CellType;
  const hidden = Number(process.argv[3] ?? 256);
  const threads = Number(process.argv[4] ?? 2);
  const layers = Number(process.argv[5] ?? 1);
  // How the threads share a recurrent step (layout.ts); by default the plan chooses.
  const recurrence = process.argv[6] as RecurrenceSplit | undefined;
  const [V, B, T] = [96, 32, 64];
  const G = gateCount(cell);
  const spec: ModelSpec = { cell, layers, hidden, embedding: 0, dropout: 0, vocabSize: V, bidirectional: false };
  const plan = planFusedStep(spec, B, T, threads, recurrence);
  const memory = createSharedMemory(plan.bytes);
  const { module, simd } = fusedModule('auto');
  const rng = new SeededRandom(1);
  const random = (n: number) => Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 0.2);
  const heap = new Float32Array(memory.buffer);
  const named = new Map<string, Float32Array>();
  for (let l = 0; l < layers; l++) {
    named.set(`layer${l}/kernel`, random((l === 0 ? V : hidden) * G * hidden));
    named.set(`layer${l}/recurrentKernel`, random(hidden * G * hidden));
    named.set(`layer${l}/bias`, random(G * hidden));
  }
  named.set('output/kernel', random(hidden * V));
  named.set('output/bias', random(V));
  writeParameters(heap, plan, spec, named);
  // Both slots hold the weights: the update alternates between them.
  writeParameters(heap, plan, spec, named, 'value', 1);
  const ids = Int32Array.from({ length: B * T }, () => rng.nextInt(V));
  writeWindow(heap, plan, ids, ids);
  writeInitialState(heap, plan, undefined);
  const workers = Array.from({ length: threads }, (_, thread) => new Worker(__filename, { workerData: { module, memory, plan, thread, threads } }));
  const all = <T>(kind: string) =>
    Promise.all(
      workers.map(
        (w) =>
          new Promise<T>((resolve) => {
            w.once('message', resolve);
            w.postMessage({ kind });
          }),
      ),
    );
  const step = async () => {
    Barrier.reset(...syncViews(memory, plan));
    await all('step');
  };
  for (let i = 0; i < 5; i++) await step();
  await all('clear');
  const steps = Number(process.env.PROFILE_STEPS ?? 30);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  const reports = await all<Section[]>('report');
  for (const w of workers) void w.terminate();
  const sorted = [...times].sort((a, b) => a - b);
  const ms = sorted[Math.floor(steps / 2)];
  const mean = times.reduce((a, b) => a + b, 0) / steps;
  console.log(
    `${cell} ${layers}×${hidden}, batch ${B} × ${T}, ${simd} SIMD, ${threads} threads, recurrence split by ${plan.recurrence}: ` +
      `median ${ms.toFixed(2)} ms/step (mean ${mean.toFixed(2)}, min ${sorted[0].toFixed(2)}) = ` +
      `${Math.round((B * T * 1000) / ms).toLocaleString('en-US')} chars/s`,
  );
  // One layer's sections; split by rows, each recurrence ends at a full barrier, which cuts a section.
  const names =
    plan.recurrence === 'rows'
      ? ['pack', 'input', 'recurrence', 'logits', 'softmax', 'out grads', 'backward', 'wgrads+norm', 'update']
      : ['pack', 'input', 'recurrence+logits', 'softmax', 'out grads', 'backward+wgrads+norm', 'update'];
  reports.forEach((sections, thread) => {
    console.log(`thread ${thread} (ms per step): section  total  kernels  flag-wait  barrier-wait  | top kernels`);
    let sum = 0;
    sections.forEach((s, i) => {
      const kernelMs = Object.values(s.kernels).reduce((a, b) => a + b, 0);
      sum += s.total;
      const top = Object.entries(s.kernels)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([n, v]) => `${n} ${(v / steps).toFixed(2)}`)
        .join(', ');
      console.log(
        `  ${String(i).padStart(2)} ${(names[i] ?? '').padEnd(18)} ${(s.total / steps).toFixed(2).padStart(6)} ${(kernelMs / steps).toFixed(2).padStart(7)} ` +
          `${(s.flagWait / steps).toFixed(2).padStart(9)} ${(s.barrierWait / steps).toFixed(2).padStart(12)}  | ${top}`,
      );
    });
    console.log(`  sum ${(sum / steps).toFixed(2)} ms; hand-off and end imbalance ≈ ${(mean - sum / steps).toFixed(2)} ms`);
  });
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  workerMain();
}
