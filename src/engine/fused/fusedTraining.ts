import * as tf from '../tfjs';
import type { RecurrentModel, RecurrentState } from '../model';
import type { StepInput, StepOutcome, StepSettings } from '../training/stepTypes';
import type { FusedStepper } from './fusedStepper';
import type { OptimizerUpdate, UpdateSettings } from './messages';
import type { NamedArrays, StateArrays } from './weights';
import type { Window } from '../../core/batching';
import { evaluateLoss } from '../training/evaluate';
import { float32Power } from '../training/optimizers';

/**
 * Trains a tfjs model on the fused kernels with its parameters and optimizer
 * moments resident in the kernels' memory: a step moves only tokens and the
 * carried state. The tfjs model and optimizer stay the record (checkpoints,
 * ONNX export, evaluation and sampling read them): `sync` writes the
 * parameters and moments back, and the trainer calls it before anything reads
 * them. The update follows the tfjs optimizer's own configuration (learning
 * rate changes included), so switching paths mid-run is seamless.
 */
export class FusedTraining {
  private loaded = false;
  private dirty = false;
  /** Steps the optimizer has taken (tfjs's `iterations`), and Adam's float32 running β powers. */
  private iterations = 0;
  private accBeta1 = 0;
  private accBeta2 = 0;

  constructor(
    private readonly stepper: FusedStepper,
    private readonly model: RecurrentModel,
    private readonly optimizer: tf.Optimizer,
  ) {}

  async step(window: StepInput, state: RecurrentState | undefined, settings: StepSettings): Promise<StepOutcome> {
    if (!this.loaded) await this.load();
    const carried = state && { h: state.h.map((t) => t.dataSync() as Float32Array), c: state.c?.map((t) => t.dataSync() as Float32Array) };
    const update: UpdateSettings = { clipMode: settings.clipMode, clipValue: settings.clipValue, optimizer: this.optimizerUpdate() };
    const result = await this.stepper.step(window.inputs, window.targets, window.batch, window.time, carried, update, settings.dropoutSeed, window.lengths);
    const applied = result.applied && Number.isFinite(result.loss);
    if (applied) {
      this.iterations++;
      this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.config().beta1 as number));
      this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.config().beta2 as number));
      this.dirty = true;
    }
    const width = this.model.spec.hidden * (this.model.spec.bidirectional ? 2 : 1);
    const toState = (arrays: Float32Array[]) => arrays.map((a) => tf.tensor2d(a, [window.batch, width]));
    const finalState: RecurrentState | undefined = applied
      ? { h: toState(result.finalState.h), c: result.finalState.c && toState(result.finalState.c) }
      : undefined;
    return { loss: result.loss, gradNorm: result.gradNorm, clippedGradNorm: result.clippedGradNorm, finalState, applied };
  }

  /**
   * Mean loss (nats per token) over held-out windows, state carried as in
   * training: evaluateLoss's arithmetic on the kernels, with the resident
   * parameters. Windows of another shape (a small validation split) go to
   * tfjs instead, rather than re-planning the kernels' memory twice.
   */
  async evaluate(windows: Window[]): Promise<number> {
    const { batch, time } = this.stepper.windowShape;
    if (windows.some((w) => w.batch !== batch || w.time !== time)) {
      await this.sync();
      return evaluateLoss(this.model, windows);
    }
    if (!this.loaded) await this.load();
    let state: StateArrays | undefined;
    let total = 0;
    let count = 0;
    for (const w of windows) {
      if (w.resetState) state = undefined;
      const result = await this.stepper.evaluate(w.inputs, w.targets, w.batch, w.time, state, w.lengths);
      state = result.finalState;
      // Per target: a token, or a classifier's row.
      total += result.loss * w.targets.length;
      count += w.targets.length;
    }
    return count > 0 ? total / count : NaN;
  }

  /**
   * The gradient-flow probe on the kernels, with the resident parameters
   * (see FusedStepper.gradientFlow). A window of another shape than the
   * training's re-plans the memory for it and back at the next step.
   */
  async gradientFlow(window: StepInput, lastOnly: boolean): Promise<Float64Array[]> {
    if (!this.loaded) await this.load();
    return this.stepper.gradientFlow(window.inputs, window.targets, window.batch, window.time, lastOnly);
  }

  /** Writes the parameters and moments back into the tfjs model and optimizer, if steps changed them. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    const { weights, moments } = this.stepper.readParameters();
    this.model.setWeights(new Map(this.model.weightNames.map((name) => [name, { shape: this.model.variable(name).shape, values: weights.get(name)! }])));
    await this.writeOptimizerWeights(moments);
    this.dirty = false;
  }

  /** Parameters from the model, moments and step count from the optimizer (zeros before its first step). */
  private async load(): Promise<void> {
    const names = this.model.weightNames;
    const weights: NamedArrays = new Map(names.map((name) => [name, this.model.variable(name).dataSync() as Float32Array]));
    const saved = await this.optimizer.getWeights();
    this.iterations = this.optimizer.iterations;
    const tensors = saved.slice(1); // [iterations, …first moments, …second moments]
    let moments: [NamedArrays, NamedArrays] | undefined;
    if (tensors.length >= 2 * names.length && this.kind() !== 'sgd') {
      // tfjs keeps the moments in the order of the variables it was given: ours.
      const read = (offset: number): NamedArrays => new Map(names.map((name, i) => [name, tensors[offset + i].tensor.dataSync() as Float32Array]));
      moments = [read(0), read(names.length)];
    }
    tf.dispose(saved[0].tensor); // a fresh scalar; the moments are the optimizer's own variables
    this.stepper.loadParameters({ weights, moments });
    if (this.kind() === 'adam') {
      // β^(t+1) by the same float32 products the steps make, not Math.pow: a resumed run then
      // continues with exactly the powers of an uninterrupted one (docs/architecture.md, "Run folders").
      const { beta1, beta2 } = this.config() as { beta1: number; beta2: number };
      this.accBeta1 = float32Power(beta1, this.iterations + 1);
      this.accBeta2 = float32Power(beta2, this.iterations + 1);
    }
    this.loaded = true;
  }

  private async writeOptimizerWeights(moments: [NamedArrays, NamedArrays]): Promise<void> {
    const kind = this.kind();
    const suffixes = kind === 'adam' ? ['m', 'v'] : kind === 'rmsprop' ? ['rms', 'momentum'] : [];
    const variables = this.model.trainableVariables;
    const fresh = [{ name: 'iter', tensor: tf.scalar(this.iterations, 'int32') }];
    suffixes.forEach((suffix, index) => {
      for (const v of variables)
        fresh.push({ name: `${v.name}/${suffix}`, tensor: tf.tensor(moments[index].get(this.model.weightNameOf(v.name))!, v.shape, 'float32') });
    });
    const previous = await this.optimizer.getWeights();
    await this.optimizer.setWeights(fresh);
    // setWeights makes new variables (sharing our tensors' data); the old moments are ours to free.
    tf.dispose(previous.map((w) => w.tensor));
    tf.dispose(fresh.map((w) => w.tensor));
  }

  private kind(): OptimizerUpdate['kind'] {
    const name = this.optimizer.getClassName().toLowerCase();
    if (name === 'adam' || name === 'rmsprop' || name === 'sgd') return name;
    throw new Error(`the fused kernels do not implement the ${this.optimizer.getClassName()} optimizer`);
  }

  private config(): Record<string, unknown> {
    return this.optimizer.getConfig();
  }

  private optimizerUpdate(): OptimizerUpdate {
    const c = this.config() as Record<string, number>;
    const kind = this.kind();
    if (kind === 'adam') {
      return {
        kind,
        learningRate: c.learningRate,
        beta1: c.beta1,
        beta2: c.beta2,
        epsilon: c.epsilon,
        oneMinusAccBeta1: Math.fround(1 - this.accBeta1),
        oneMinusAccBeta2: Math.fround(1 - this.accBeta2),
      };
    }
    if (kind === 'rmsprop') {
      if (c.centered) throw new Error('the fused kernels do not implement centered RMSprop');
      return { kind, learningRate: c.learningRate, decay: c.decay, momentum: c.momentum, epsilon: c.epsilon };
    }
    return { kind, learningRate: c.learningRate };
  }
}

/**
 * One step on the fused kernels for a model whose parameters live in tfjs:
 * load, step, write back. The trainer keeps a FusedTraining instead (no
 * copies between steps); this is the same arithmetic for one-off use and tests.
 */
export async function fusedTrainStep(
  stepper: FusedStepper,
  model: RecurrentModel,
  optimizer: tf.Optimizer,
  window: StepInput,
  state: RecurrentState | undefined,
  settings: StepSettings,
): Promise<StepOutcome> {
  const training = new FusedTraining(stepper, model, optimizer);
  const outcome = await training.step(window, state, settings);
  await training.sync();
  return outcome;
}
