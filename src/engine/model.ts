import * as tf from './tfjs';
import { SeededRandom } from '../core/random';
import { gateCount, outputSize, requireClasses, taskOf, validateModelSpec, type ModelSpec } from '../core/spec';
import { blockOrthogonal, glorotUniform, uniform } from './initializers';

/** Hidden state carried between windows: per layer [batch, hidden] (LSTM also the cell state). */
export interface RecurrentState {
  h: tf.Tensor2D[];
  c?: tf.Tensor2D[];
}

export interface ForwardOptions {
  training?: boolean;
  /** Seed for this call's dropout masks (deterministic runs). */
  dropoutSeed?: number;
  /**
   * Per layer, dropout's multipliers (0 or 1/(1 − rate); [batch·time rows in
   * batch-major order, directions·hidden]) in place of masks drawn from
   * `dropoutSeed`: tests give the fused kernels' masks (fused/dropoutMask.ts).
   */
  dropoutMasks?: tf.Tensor2D[];
  /** A classifier's pooled rows' dropout multipliers [batch, directions·hidden], as `dropoutMasks` (the fused kernels' mask). */
  pooledDropoutMask?: tf.Tensor2D;
  /**
   * Per layer a [batch, time, hidden] tensor added to h_t at every step (zeros
   * leave the values unchanged): the gradient with respect to it is ∂L/∂h_t
   * through every path (the gradient-flow probe). Not for bidirectional layers.
   */
  probes?: tf.Tensor3D[];
  /**
   * Per row the number of real tokens (a classifier's padded batch): past its
   * length a row's state is carried unchanged in both directions, so the final
   * states are those of its last (forward) and first (backward) real token,
   * as ONNX's `sequence_lens` defines them.
   */
  lengths?: Int32Array;
}

export interface ForwardResult {
  /** [batch·time, outputs], rows in batch-major order (row b·T + t); a classifier's are [batch, classes]. */
  logits: tf.Tensor2D;
  finalState: RecurrentState;
  /** Each layer's hidden sequence [batch, time, directions·hidden]. */
  layerOutputs: tf.Tensor3D[];
}

let modelCounter = 0;

/**
 * A stacked recurrent language model over tfjs variables, written with tfjs
 * ops rather than tf.layers: we control gates (logistic σ, as in the seed and
 * ONNX), initial and carried state, and can reach every intermediate value.
 *
 * Weight layout follows Keras/tfjs so ONNX export and PyTorch fixtures map
 * directly: per layer `kernel` [in, G·H], `recurrentKernel` [H, G·H], `bias`
 * [G·H], gate blocks LSTM i,f,c,o; GRU z,r,h (reset before the recurrent
 * matmul; h_t = z·h_{t−1} + (1−z)·h̃); RNN h_t = tanh(x W + h U + b).
 */
export class RecurrentModel {
  readonly spec: ModelSpec;
  private readonly variables = new Map<string, tf.Variable>();
  private readonly prefix: string;
  private disposed = false;

  constructor(spec: ModelSpec, seed: number) {
    this.spec = requireClasses(validateModelSpec({ ...spec }));
    this.prefix = `rnnlab${++modelCounter}`;
    const init = initialWeights(this.spec, seed);
    for (const [name, { shape, values }] of init) {
      const initial = tf.tensor(values, shape, 'float32');
      this.variables.set(name, tf.variable(initial, true, `${this.prefix}/${name}`));
      initial.dispose(); // the variable holds its own reference to the data
    }
  }

  /** Weight names in a stable order (checkpoints, ONNX export). */
  get weightNames(): string[] {
    return [...this.variables.keys()];
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.variables.values()];
  }

  get parameterCount(): number {
    let n = 0;
    for (const v of this.variables.values()) n += v.size;
    return n;
  }

  /** Maps the engine-unique variable name back to the weight name. */
  weightNameOf(variableName: string): string {
    return variableName.startsWith(this.prefix + '/') ? variableName.slice(this.prefix.length + 1) : variableName;
  }

  variable(name: string): tf.Variable {
    const v = this.variables.get(name);
    if (!v) throw new Error(`model has no weight "${name}"`);
    return v;
  }

  async readWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of this.variables) out.set(name, { shape: v.shape.slice(), values: (await v.data()) as Float32Array });
    return out;
  }

  /** Replaces every weight; shapes must match exactly (a checkpoint made for this spec). */
  setWeights(weights: Map<string, { shape: number[]; values: Float32Array }>): void {
    for (const [name, v] of this.variables) {
      const w = weights.get(name);
      if (!w) throw new Error(`weights lack "${name}"`);
      if (w.shape.length !== v.shape.length || w.shape.some((d, i) => d !== v.shape[i]) || w.values.length !== v.size) {
        throw new Error(`weight "${name}" has shape [${w.shape}] but the model needs [${v.shape}]`);
      }
    }
    for (const [name, v] of this.variables) {
      const value = tf.tensor(weights.get(name)!.values, v.shape, 'float32');
      v.assign(value);
      value.dispose();
    }
  }

  zeroState(batch: number): RecurrentState {
    const H = this.spec.hidden * (this.spec.bidirectional ? 2 : 1);
    const zeros = () => Array.from({ length: this.spec.layers }, () => tf.zeros<tf.Rank.R2>([batch, H]));
    return this.spec.cell === 'lstm' ? { h: zeros(), c: zeros() } : { h: zeros() };
  }

  /**
   * Runs the model over `tokens` ([batch, time] ids). Call inside tf.tidy (or
   * a gradient function); returned tensors belong to the caller.
   */
  forward(tokens: tf.Tensor2D, initial: RecurrentState | undefined, options: ForwardOptions = {}): ForwardResult {
    if (this.disposed) throw new Error('model was disposed');
    const [batch, time] = tokens.shape;
    const { layers, dropout, bidirectional } = this.spec;
    const dropoutRng = new SeededRandom(options.dropoutSeed ?? 0);
    const applyDropout = (x: tf.Tensor2D, l: number): tf.Tensor2D => {
      if (!options.training || dropout === 0) return x;
      if (options.dropoutMasks && l >= 0) return tf.mul(x, options.dropoutMasks[l]);
      if (options.pooledDropoutMask && l < 0) return tf.mul(x, options.pooledDropoutMask);
      return tf.dropout(x, dropout, undefined, dropoutRng.nextInt(2 ** 31)) as tf.Tensor2D;
    };

    const flatTokens = tf.reshape<tf.Rank.R1>(tokens, [batch * time]);
    const masks = stepMasks(options.lengths, batch, time);
    let x: tf.Tensor2D | undefined = this.spec.embedding > 0 ? lookupRows(this.variable('embedding') as tf.Tensor2D, flatTokens) : undefined;

    const finalH: tf.Tensor2D[] = [];
    const finalC: tf.Tensor2D[] = [];
    const layerOutputs: tf.Tensor3D[] = [];
    if (options.probes && bidirectional) throw new Error('the gradient-flow probe is for unidirectional layers');
    for (let l = 0; l < layers; l++) {
      const run = (dir: '' | 'backward/', reverse: boolean, h0?: tf.Tensor2D, c0?: tf.Tensor2D) =>
        this.runLayer(`layer${l}/${dir}`, x, flatTokens, { batch, time, reverse, masks }, h0, c0, options.probes?.[l]);
      const stateH = initial?.h[l];
      const stateC = initial?.c?.[l];
      let out: tf.Tensor3D;
      if (!bidirectional) {
        const r = run('', false, stateH, stateC);
        out = r.sequence;
        finalH.push(r.h);
        if (r.c) finalC.push(r.c);
      } else {
        const H = this.spec.hidden;
        const half = (s: tf.Tensor2D | undefined, k: number) => (s ? tf.slice(s, [0, k * H], [batch, H]) : undefined);
        const fw = run('', false, half(stateH, 0), half(stateC, 0));
        const bw = run('backward/', true, half(stateH, 1), half(stateC, 1));
        out = tf.concat([fw.sequence, bw.sequence], 2);
        finalH.push(tf.concat([fw.h, bw.h], 1));
        if (fw.c && bw.c) finalC.push(tf.concat([fw.c, bw.c], 1));
      }
      layerOutputs.push(out);
      if (l < layers - 1 || taskOf(this.spec) !== 'classify') x = applyDropout(tf.reshape<tf.Rank.R2>(out, [batch * time, out.shape[2]]), l);
    }
    // The pooled rows have no per-step mask: index -1 takes pooledDropoutMask or draws one.
    if (taskOf(this.spec) === 'classify') x = applyDropout(this.pool(layerOutputs[layers - 1], finalH[layers - 1], options.lengths), -1);
    const logits = tf.add<tf.Tensor2D>(tf.matMul(x!, this.variable('output/kernel')), this.variable('output/bias'));
    const finalState: RecurrentState = this.spec.cell === 'lstm' ? { h: finalH, c: finalC } : { h: finalH };
    return { logits, finalState, layerOutputs };
  }

  /**
   * A classifier's view of the sequence [batch, D·H]: the final states of both
   * directions (forward half first), or the mean of the top layer's outputs
   * over each row's real tokens.
   */
  private pool(top: tf.Tensor3D, finalH: tf.Tensor2D, lengths: Int32Array | undefined): tf.Tensor2D {
    if ((this.spec.pooling ?? 'last') === 'last') return finalH;
    const [batch, time] = top.shape;
    if (!lengths) return tf.mean(top, 1);
    const mask = tf.reshape(sequenceMask(lengths, time), [batch, time, 1]);
    return tf.div(tf.sum(tf.mul(top, mask), 1), tf.reshape(tf.tensor1d(lengths, 'float32'), [batch, 1]));
  }

  /** One direction of one layer over the whole window. */
  private runLayer(
    prefix: string,
    input: tf.Tensor2D | undefined,
    flatTokens: tf.Tensor1D,
    { batch, time, reverse, masks }: { batch: number; time: number; reverse: boolean; masks?: tf.Tensor2D[] },
    h0: tf.Tensor2D | undefined,
    c0: tf.Tensor2D | undefined,
    probe?: tf.Tensor3D,
  ): { sequence: tf.Tensor3D; h: tf.Tensor2D; c?: tf.Tensor2D } {
    const { cell, hidden: H } = this.spec;
    const W = this.variable(`${prefix}kernel`);
    const U = this.variable(`${prefix}recurrentKernel`);
    const b = this.variable(`${prefix}bias`);
    // The input projection of every step in one matMul; only h·U stays in the loop.
    // One-hot input times W is a row lookup of W.
    const projected = input ? tf.matMul(input, W) : lookupRows(W as tf.Tensor2D, flatTokens);
    const steps = tf.unstack(tf.reshape(tf.add(projected, b), [batch, time, gateCount(cell) * H]), 1) as tf.Tensor2D[];
    let h: tf.Tensor2D = h0 ?? tf.zeros([batch, H]);
    let c: tf.Tensor2D = c0 ?? tf.zeros([batch, H]);
    const outputs = new Array<tf.Tensor2D>(time);
    const order = reverse ? [...Array(time).keys()].reverse() : [...Array(time).keys()];
    // h·U with a gradient that transposes U once per window (see recurrentProduct).
    const hU = cell === 'gru' ? undefined : recurrentProduct(U as tf.Tensor2D);
    const hUzr = cell === 'gru' ? recurrentProduct(tf.slice(U as tf.Tensor2D, [0, 0], [H, 2 * H])) : undefined;
    const hUh = cell === 'gru' ? recurrentProduct(tf.slice(U as tf.Tensor2D, [0, 2 * H], [H, H])) : undefined;
    const probeSteps = probe && (tf.unstack(probe, 1) as tf.Tensor2D[]);
    for (const t of order) {
      const xt = steps[t];
      const [hBefore, cBefore] = [h, c];
      if (cell === 'rnn') {
        h = tf.tanh(tf.add(xt, hU!(h))) as tf.Tensor2D;
      } else if (cell === 'lstm') {
        const [i, f, g, o] = tf.split<tf.Tensor2D>(tf.add(xt, hU!(h)), 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      } else {
        const [xzr, xh] = tf.split<tf.Tensor2D>(xt, [2 * H, H], 1);
        const [z, r] = tf.split<tf.Tensor2D>(tf.sigmoid(tf.add(xzr, hUzr!(h))), 2, 1);
        const candidate = tf.tanh(tf.add(xh, hUh!(tf.mul(r, h))));
        h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
      }
      if (masks) [h, c] = [keepPast(masks[t], h, hBefore), keepPast(masks[t], c, cBefore)];
      if (probeSteps) h = tf.add(h, probeSteps[t]);
      outputs[t] = h;
    }
    return { sequence: tf.stack(outputs, 1) as tf.Tensor3D, h, c: cell === 'lstm' ? c : undefined };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

/**
 * x ↦ x·U for the recurrent loop, with the gradient tfjs's matMul has, except
 * that Uᵀ is made once per backward pass instead of once per time step. The
 * gradient with respect to x is dy·Uᵀ; tfjs asks for matMul(dy, U, transposeB),
 * which our wasm patch computes by transposing U (2 ms for 256×1024, at each of
 * the 64 steps: the largest single cost of a wasm training step) and the cpu
 * backend by strided reads. Both give the same floats as matMul(dy, Uᵀ): the
 * weights after training steps match bit for bit.
 */
function recurrentProduct(U: tf.Tensor2D): (x: tf.Tensor2D) => tf.Tensor2D {
  let Ut: tf.Tensor2D | undefined; // made in the backward pass's tidy scope, freed with it
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, u, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, u]); // only saved tensors outlive the forward pass (u may be an intermediate, GRU's slices)
    return {
      value: tf.matMul(x, u),
      gradFunc: (dy: tf.Tensor, [xSaved, uSaved]: tf.Tensor[]) => {
        Ut ??= tf.transpose(uSaved as tf.Tensor2D);
        return [tf.matMul(dy, Ut), tf.matMul(xSaved, dy, true, false)];
      },
    };
  });
  return (x) => product(x, U) as tf.Tensor2D;
}

/** [batch, time] of 1 for a row's real tokens and 0 past its length. */
function sequenceMask(lengths: Int32Array, time: number): tf.Tensor2D {
  const steps = tf.reshape(tf.range(0, time, 1, 'int32'), [1, time]);
  return tf.cast(tf.less(steps, tf.reshape(tf.tensor1d(lengths, 'int32'), [lengths.length, 1])), 'float32') as tf.Tensor2D;
}

/** Per step a [batch, 1] mask, or undefined when every row is full (no masking needed). */
function stepMasks(lengths: Int32Array | undefined, batch: number, time: number): tf.Tensor2D[] | undefined {
  if (!lengths) return undefined;
  if (lengths.length !== batch) throw new Error(`lengths has ${lengths.length} rows, the batch ${batch}`);
  if (lengths.every((n) => n === time)) return undefined;
  return (tf.unstack(sequenceMask(lengths, time), 1) as tf.Tensor1D[]).map((m) => tf.reshape<tf.Rank.R2>(m, [batch, 1]));
}

/** The new value where the mask is 1, the old one where it is 0 (a padded step changes nothing). */
function keepPast(mask: tf.Tensor2D, next: tf.Tensor2D, previous: tf.Tensor2D): tf.Tensor2D {
  return tf.add<tf.Tensor2D>(tf.mul(mask, next), tf.mul(tf.sub(1, mask), previous));
}

/**
 * Rows of `table` for each token id. tf.gather's gradient is
 * UnsortedSegmentSum: wasmKernels.ts adds it to the wasm backend, which lacks
 * it, and cpuKernels.ts replaces the cpu backend's very slow one.
 */
export function lookupRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return tf.gather(table, ids);
}

/** Mean cross-entropy in nats of `logits` [n, vocab] against target ids [n]. */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const logProbs = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logProbs, tf.cast(tf.oneHot(targets, logits.shape[1]), 'float32')), 1);
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

type InitialWeights = Map<string, { shape: number[]; values: Float32Array }>;

function initialWeights(spec: ModelSpec, seed: number): InitialWeights {
  const rng = new SeededRandom(seed);
  const G = gateCount(spec.cell);
  const H = spec.hidden;
  const dirs = spec.bidirectional ? ['', 'backward/'] : [''];
  const weights: InitialWeights = new Map();
  if (spec.embedding > 0) {
    weights.set('embedding', { shape: [spec.vocabSize, spec.embedding], values: uniform(spec.vocabSize * spec.embedding, 0.05, rng) });
  }
  for (let l = 0; l < spec.layers; l++) {
    const inputSize = l === 0 ? spec.embedding || spec.vocabSize : H * dirs.length;
    for (const dir of dirs) {
      const p = `layer${l}/${dir}`;
      weights.set(`${p}kernel`, { shape: [inputSize, G * H], values: glorotUniform(inputSize, G * H, rng) });
      weights.set(`${p}recurrentKernel`, { shape: [H, G * H], values: blockOrthogonal(H, G, rng) });
      const bias = new Float32Array(G * H);
      if (spec.cell === 'lstm') bias.fill(1, H, 2 * H); // forget gate starts open (Jozefowicz et al. 2015)
      weights.set(`${p}bias`, { shape: [G * H], values: bias });
    }
  }
  const top = H * dirs.length;
  const outputs = outputSize(spec);
  weights.set('output/kernel', { shape: [top, outputs], values: glorotUniform(top, outputs, rng) });
  weights.set('output/bias', { shape: [outputs], values: new Float32Array(outputs) });
  return weights;
}
