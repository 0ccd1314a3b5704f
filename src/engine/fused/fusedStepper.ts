import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { ModelSpec } from '../../core/spec';
import { Barrier } from './barrier';
import { createSharedMemory, fusedModule, MAX_MEMORY_PAGES } from './kernels';
import { CONTROL_INTS, planFusedStep, type FusedPlan } from './layout';
import type { FromFusedWorker, FusedWorkerData, ToFusedWorker } from './messages';
import { readFinalState, readGradients, readLoss, writeInitialState, writeWeights, writeWindow, type NamedArrays, type StateArrays } from './weights';

/** A fused-kernel thread died or failed: the step produced nothing and the stepper cannot be used again. */
export class FusedWorkerError extends Error {}

export interface FusedStepperOptions {
  threads: number;
  /** Tests only: make worker `thread` exit during its step number `step`. */
  exitDuringStep?: { thread: number; step: number };
}

export interface FusedStepResult {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** ∂loss/∂weight for every weight, Keras layout, named as the model's weights. */
  gradients: NamedArrays;
  finalState: StateArrays;
}

interface PendingStep {
  id: number;
  remaining: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The main thread's handle on the fused training kernels: a shared wasm
 * memory and one worker thread per share of the work. `step` copies weights,
 * tokens and state in, lets every worker run its share (schedule.ts), and
 * copies the loss, gradients and final state out; the optimizer stays with
 * tfjs. The event loop stays free while a step runs.
 */
export class FusedStepper {
  readonly threads: number;
  private readonly memory: WebAssembly.Memory;
  private readonly workers: Worker[] = [];
  private plan: FusedPlan | undefined;
  private pending: PendingStep | undefined;
  private nextId = 1;
  private failure: FusedWorkerError | undefined;
  private disposed = false;

  private constructor(
    readonly spec: ModelSpec,
    options: FusedStepperOptions,
  ) {
    this.threads = options.threads;
    this.memory = createSharedMemory(64 * 1024 * 4);
    const module = fusedModule();
    for (let thread = 0; thread < this.threads; thread++) {
      const data: FusedWorkerData = {
        module,
        memory: this.memory,
        thread,
        threads: this.threads,
        exitDuringStep: options.exitDuringStep?.thread === thread ? options.exitDuringStep.step : undefined,
      };
      const worker = new Worker(workerScript(), { workerData: data });
      worker.on('message', (message: FromFusedWorker) => this.onMessage(message));
      worker.on('error', (err) => this.fail(`fused kernel thread ${thread + 1} of ${this.threads} failed: ${err.message}`));
      worker.on('exit', (code) => {
        if (!this.disposed) this.fail(`fused kernel thread ${thread + 1} of ${this.threads} stopped unexpectedly (exit code ${code})`);
      });
      this.workers.push(worker);
    }
  }

  /** Starts the worker threads and waits until each has its kernels instantiated. */
  static async create(spec: ModelSpec, options: FusedStepperOptions): Promise<FusedStepper> {
    if (!(options.threads >= 1 && Number.isInteger(options.threads))) throw new Error(`threads must be a positive integer; got ${options.threads}`);
    const stepper = new FusedStepper(spec, options);
    await Promise.all(
      stepper.workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (message: FromFusedWorker) => {
              if (message.kind !== 'ready') return;
              worker.off('message', onMessage);
              resolve();
            };
            worker.on('message', onMessage);
            worker.once('error', reject);
            worker.once('exit', (code) => reject(new FusedWorkerError(`fused kernel thread stopped while starting (exit code ${code})`)));
          }),
      ),
    ).catch((err) => {
      stepper.dispose();
      throw err;
    });
    return stepper;
  }

  /** Bytes a step of this shape needs, or undefined when it is more than the kernels' memory can hold. */
  static memoryFor(spec: ModelSpec, batch: number, time: number, threads: number): number | undefined {
    const bytes = planFusedStep(spec, batch, time, threads).bytes;
    return bytes <= MAX_MEMORY_PAGES * 65536 ? bytes : undefined;
  }

  /** One forward and backward pass over a [batch, time] window from `state` (zeros when undefined). */
  async step(weights: NamedArrays, inputs: Int32Array, targets: Int32Array, batch: number, time: number, state: StateArrays | undefined): Promise<FusedStepResult> {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new FusedWorkerError('the fused kernels were disposed');
    if (this.pending) throw new Error('a fused step is already running');
    const plan = this.planFor(batch, time);
    let heap = new Float32Array(this.memory.buffer);
    writeWeights(heap, plan, this.spec, weights);
    writeWindow(heap, plan, inputs, targets);
    writeInitialState(heap, plan, state);
    Barrier.reset(new Int32Array(this.memory.buffer, plan.control, CONTROL_INTS));
    const id = this.nextId++;
    await new Promise<void>((resolve, reject) => {
      this.pending = { id, remaining: this.threads, resolve, reject };
      for (const worker of this.workers) worker.postMessage({ kind: 'step', id } satisfies ToFusedWorker);
    }).finally(() => {
      this.pending = undefined;
    });
    heap = new Float32Array(this.memory.buffer);
    return { loss: readLoss(heap, plan), gradients: readGradients(heap, plan, this.spec), finalState: readFinalState(heap, plan) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const worker of this.workers) void worker.terminate();
    this.pending?.reject(new FusedWorkerError('the fused kernels were disposed'));
  }

  private planFor(batch: number, time: number): FusedPlan {
    if (this.plan && this.plan.batch === batch && this.plan.time === time) return this.plan;
    const plan = planFusedStep(this.spec, batch, time, this.threads);
    const missing = plan.bytes - this.memory.buffer.byteLength;
    if (missing > 0) {
      if (plan.bytes > MAX_MEMORY_PAGES * 65536) throw new Error(`a fused step of batch ${batch} × ${time} needs ${Math.round(plan.bytes / 2 ** 20)} MiB, more than the kernels' 2 GiB`);
      this.memory.grow(Math.ceil(missing / 65536));
    }
    // Weights' padding must be zero: a new plan may place buffers over old data.
    new Float32Array(this.memory.buffer).fill(0);
    this.plan = plan;
    for (const worker of this.workers) worker.postMessage({ kind: 'plan', plan } satisfies ToFusedWorker);
    return plan;
  }

  private onMessage(message: FromFusedWorker): void {
    const pending = this.pending;
    if (message.kind === 'ready' || !pending || message.id !== pending.id) return;
    if (message.kind === 'failed') {
      this.fail(message.message);
      return;
    }
    if (--pending.remaining === 0) pending.resolve();
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new FusedWorkerError(message);
    if (this.plan) Barrier.abort(new Int32Array(this.memory.buffer, this.plan.control, CONTROL_INTS));
    this.pending?.reject(this.failure);
    // The survivors are of no use without their partner: stop them too.
    this.disposed = true;
    for (const worker of this.workers) void worker.terminate();
  }
}

/** The worker's script: bundled beside the engine (dist/fusedWorker.js) or compiled beside this file (out/…/worker.js). */
function workerScript(): string {
  const bundled = path.join(__dirname, 'fusedWorker.js');
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'worker.js');
}
