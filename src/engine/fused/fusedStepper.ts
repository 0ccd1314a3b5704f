import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { taskOf, type ModelSpec } from '../../core/spec';
import { Barrier } from './barrier';
import { createSharedMemory, fusedModule, MAX_MEMORY_PAGES, type SimdFlavour } from './kernels';
import { CONTROL_INTS, CONTROL_RESULTS, PLAN_BASE, planFusedStep, shortenedPlan, type FusedPlan, type RecurrenceSplit } from './layout';
import type { FaultPhase, FromFusedWorker, FusedWorkerData, ToFusedWorker, UpdateSettings } from './messages';
import { readFinalState, readLoss, readParameters, writeInitialState, writeParameters, writeWindow, type NamedArrays, type StateArrays } from './weights';
import { StepNotTakenError } from '../training/stepTypes';

/**
 * A fused-kernel thread died or failed: the step produced nothing (the two
 * parameter slots keep the last step whole) and the stepper cannot be used again.
 */
export class FusedWorkerError extends StepNotTakenError {}

export interface FusedStepperOptions {
  threads: number;
  /** The window shape the memory is planned for (another shape re-plans, keeping the parameters). */
  batch: number;
  time: number;
  /** Which build of the kernels (default auto: relaxed SIMD where the runtime has it). */
  simd?: SimdFlavour | 'auto';
  /** How the threads share a recurrent step (layout.ts); tests and benchmarks force one, by default the plan chooses. */
  recurrence?: RecurrenceSplit;
  /** Tests only: make worker `thread` exit during its step number `step`, at its start (default) or as its update begins. */
  exitDuringStep?: { thread: number; step: number; phase?: FaultPhase };
}

export interface FusedStepResult {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** Global gradient norm before and after clipping. */
  gradNorm: number;
  clippedGradNorm: number;
  /** True when the update was asked for and made (loss and norm finite). */
  applied: boolean;
  finalState: StateArrays;
}

/** Weights and optimizer moments in the model's Keras layout and names. */
export interface FusedParameters {
  weights: NamedArrays;
  /** Adam's m and v, RMSprop's mean square and momentum; absent means zeros. */
  moments?: [NamedArrays, NamedArrays];
}

/** A window as the kernels take it (see FusedStepper.step). */
interface FusedWindow {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  time: number;
  lengths?: Int32Array;
}

interface PendingStep {
  id: number;
  remaining: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The main thread's handle on the fused training kernels: a shared wasm
 * memory holding the parameters, their gradients and optimizer moments, and
 * one worker thread per share of the work. `step` copies tokens and state in,
 * lets every worker run its share (schedule.ts: forward, backward, clipping,
 * update) and copies the loss, norms and final state out. The event loop stays
 * free while a step runs.
 */
export class FusedStepper {
  readonly threads: number;
  readonly simd: SimdFlavour;
  private readonly recurrence: RecurrenceSplit | undefined;
  private readonly memory: WebAssembly.Memory;
  private readonly workers: Worker[] = [];
  private plan: FusedPlan;
  /** The parameter slot holding the last completed step's parameters (layout.ts). */
  private active = 0;
  private pending: PendingStep | undefined;
  private nextId = 1;
  private failure: FusedWorkerError | undefined;
  private disposed = false;

  private constructor(
    readonly spec: ModelSpec,
    options: FusedStepperOptions,
  ) {
    this.threads = options.threads;
    this.recurrence = options.recurrence;
    this.plan = planFusedStep(spec, options.batch, options.time, options.threads, this.recurrence);
    if (this.plan.bytes > MAX_MEMORY_PAGES * 65536)
      throw new Error(
        `a fused step of batch ${options.batch} × ${options.time} needs ${Math.round(this.plan.bytes / 2 ** 20)} MiB, more than the kernels' 2 GiB`,
      );
    this.memory = createSharedMemory(this.plan.bytes);
    const { module, simd } = fusedModule(options.simd);
    this.simd = simd;
    for (let thread = 0; thread < this.threads; thread++) {
      const data: FusedWorkerData = {
        module,
        memory: this.memory,
        thread,
        threads: this.threads,
        exitDuringStep:
          options.exitDuringStep?.thread === thread ? { step: options.exitDuringStep.step, phase: options.exitDuringStep.phase ?? 'start' } : undefined,
      };
      const worker = new Worker(workerScript(), { workerData: data });
      worker.postMessage({ kind: 'plan', plan: this.plan } satisfies ToFusedWorker);
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
    if (!(options.threads >= 1 && options.threads <= 8 && Number.isInteger(options.threads)))
      throw new Error(`threads must be a whole number from 1 to 8; got ${options.threads}`);
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

  /** The window shape the memory is planned for. */
  get windowShape(): { batch: number; time: number } {
    return { batch: this.plan.batch, time: this.plan.time };
  }

  /** Replaces the parameters (and moments: zeros when not given). */
  loadParameters(parameters: FusedParameters): void {
    this.usable();
    const heap = new Float32Array(this.memory.buffer);
    writeParameters(heap, this.plan, this.spec, parameters.weights, 'value', this.active);
    const offset = this.active * this.plan.parameterSlotBytes;
    for (const [index, buffer] of (['moment1', 'moment2'] as const).entries()) {
      const moments = parameters.moments?.[index];
      if (moments) writeParameters(heap, this.plan, this.spec, moments, buffer, this.active);
      else for (const p of this.plan.parameters) heap.fill(0, (p[buffer] + offset) / 4, (p[buffer] + offset) / 4 + p.rows * p.ld);
    }
  }

  /**
   * The parameters and moments as the last completed step left them. Works
   * after a worker died too: the memory outlives the threads, and a step that
   * fails anywhere wrote only into the inactive slot.
   */
  readParameters(): Required<FusedParameters> {
    const heap = new Float32Array(this.memory.buffer);
    const read = (buffer: 'value' | 'moment1' | 'moment2') => readParameters(heap, this.plan, this.spec, buffer, this.active);
    return { weights: read('value'), moments: [read('moment1'), read('moment2')] };
  }

  /** The last step's gradients (clipped, when that step clipped by value). */
  readGradients(): NamedArrays {
    this.usable();
    return readParameters(new Float32Array(this.memory.buffer), this.plan, this.spec, 'grad');
  }

  /**
   * One forward and backward pass over a [batch, time] window from `state`
   * (zeros when undefined), then, with `update`, clipping and the optimizer's
   * update of the parameters in place. A model with dropout drops out its
   * layers' outputs with masks drawn from `dropoutSeed` (dropoutMask.ts);
   * without a seed it drops nothing. A classifier's window has one target per
   * row and `lengths` (each row's real tokens; all when not given).
   */
  async step(
    inputs: Int32Array,
    targets: Int32Array,
    batch: number,
    time: number,
    state: StateArrays | undefined,
    update?: UpdateSettings,
    dropoutSeed?: number,
    lengths?: Int32Array,
  ): Promise<FusedStepResult> {
    const window = { inputs, targets, batch, time, lengths };
    const plan = await this.run(window, state, (id) => ({ kind: 'step', id, time, active: this.active, update, dropoutSeed }));
    const heap = new Float32Array(this.memory.buffer);
    const results = new Float64Array(this.memory.buffer, plan.control + CONTROL_RESULTS, 3);
    const applied = results[2] === 1;
    // Every thread finished: the updated slot becomes the parameters.
    if (applied) this.active = 1 - this.active;
    return { loss: readLoss(heap, plan), gradNorm: results[0], clippedGradNorm: results[1], applied, finalState: readFinalState(heap, plan) };
  }

  /** The mean loss of a window and the state after it, with the current parameters (validation). */
  async evaluate(
    inputs: Int32Array,
    targets: Int32Array,
    batch: number,
    time: number,
    state: StateArrays | undefined,
    lengths?: Int32Array,
  ): Promise<{ loss: number; finalState: StateArrays }> {
    const plan = await this.run({ inputs, targets, batch, time, lengths }, state, (id) => ({ kind: 'evaluate', id, time, active: this.active }));
    const heap = new Float32Array(this.memory.buffer);
    return { loss: readLoss(heap, plan), finalState: readFinalState(heap, plan) };
  }

  /**
   * The gradient-flow probe: a forward and backward pass over a window from a
   * zero state with the current parameters, nothing updated. Returns per
   * layer ‖∂L/∂h_t‖ for t = 0 … time − 1 (norm over streams and units), where
   * L is the mean loss of the last position (`lastOnly`) or of the window.
   */
  async gradientFlow(inputs: Int32Array, targets: Int32Array, batch: number, time: number, lastOnly: boolean): Promise<Float64Array[]> {
    if (this.spec.bidirectional) throw new Error('the gradient-flow probe is for unidirectional layers');
    if (taskOf(this.spec) !== 'lm') throw new Error('the gradient-flow probe is for language models');
    const plan = await this.run({ inputs, targets, batch, time }, undefined, (id) => ({ kind: 'probe', id, time, active: this.active, lastOnly }));
    const blocks = plan.hp / 8;
    const sums = new Float64Array(this.memory.buffer, plan.flowSums, plan.layers.length * plan.time * blocks);
    return plan.layers.map((_, l) => {
      const norms = new Float64Array(plan.time);
      for (let t = 0; t < plan.time; t++) {
        let total = 0;
        for (let j = 0; j < blocks; j++) total += sums[(l * plan.time + t) * blocks + j];
        norms[t] = Math.sqrt(total);
      }
      return norms;
    });
  }

  /**
   * Writes the window and state, has every worker run `message`, and resolves
   * when all are done. A window of another shape plans the memory again,
   * except a classifier's shorter one (its batch padded to a shorter longest
   * row), which runs on the prefix of the plan's buffers (shortenedPlan).
   */
  private async run(window: FusedWindow, state: StateArrays | undefined, message: (id: number) => ToFusedWorker): Promise<FusedPlan> {
    this.usable();
    if (this.pending) throw new Error('a fused step is already running');
    const { batch, time } = window;
    const fits = batch === this.plan.batch && (time === this.plan.time || (this.plan.classifier !== undefined && time < this.plan.time));
    if (!fits) this.replan(batch, time);
    const plan = shortenedPlan(this.plan, time);
    const heap = new Float32Array(this.memory.buffer);
    writeWindow(heap, plan, window.inputs, window.targets, window.lengths);
    writeInitialState(heap, plan, state);
    Barrier.reset(...syncViews(this.memory, plan));
    const id = this.nextId++;
    await new Promise<void>((resolve, reject) => {
      this.pending = { id, remaining: this.threads, resolve, reject };
      for (const worker of this.workers) worker.postMessage(message(id));
    }).finally(() => {
      this.pending = undefined;
    });
    return plan;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const worker of this.workers) void worker.terminate();
    this.pending?.reject(new FusedWorkerError('the fused kernels were disposed'));
  }

  private usable(): void {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new FusedWorkerError('the fused kernels were disposed');
  }

  /** Another window shape: a new plan, with the parameters and moments carried over. */
  private replan(batch: number, time: number): void {
    const kept = this.readParameters();
    const plan = planFusedStep(this.spec, batch, time, this.threads, this.recurrence);
    if (plan.bytes > MAX_MEMORY_PAGES * 65536)
      throw new Error(`a fused step of batch ${batch} × ${time} needs ${Math.round(plan.bytes / 2 ** 20)} MiB, more than the kernels' 2 GiB`);
    const missing = plan.bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    // Padding must read as zero: the new plan may place buffers over old data. Below PLAN_BASE lie
    // the kernels' constants (assembly/activations.ts), which every instance wrote when it started.
    new Float32Array(this.memory.buffer).fill(0, PLAN_BASE / 4);
    this.plan = plan;
    this.active = 0;
    for (const worker of this.workers) worker.postMessage({ kind: 'plan', plan } satisfies ToFusedWorker);
    this.loadParameters(kept);
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
    Barrier.abort(...syncViews(this.memory, this.plan));
    this.pending?.reject(this.failure);
    // The survivors are of no use without their partner: stop them too.
    this.disposed = true;
    for (const worker of this.workers) void worker.terminate();
  }
}

/** The control block's ints and the plan's sync words, as Barrier takes them. */
export function syncViews(memory: WebAssembly.Memory, plan: FusedPlan): [Int32Array, Int32Array] {
  return [new Int32Array(memory.buffer, plan.control, CONTROL_INTS), new Int32Array(memory.buffer, plan.sync, plan.syncInts)];
}

/** The worker's script: bundled beside the engine (dist/fusedWorker.js) or compiled beside this file (out/…/worker.js). */
function workerScript(): string {
  const bundled = path.join(__dirname, 'fusedWorker.js');
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'worker.js');
}
