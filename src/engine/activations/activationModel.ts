import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { taskOf, type CellType, type ModelSpec } from '../../core/spec';
import type { TaskKind } from '../../core/tasks/taskData';
import type { Vocabulary } from '../../core/vocabulary';
import { RUN_FILES } from '../../core/runFormat';
import { resolveModelFile } from '../inference/modelSource';
import { sessionOptions } from '../inference/sessionCache';
import type { OnnxState } from '../inference/onnxLanguageModel';
import { onnxGateSource } from '../onnx/gateLayout';
import { GraphBuilder } from '../onnx/graphBuilder';
import { initializerReader, type InitializerReader } from '../onnx/onnxWeights';
import { readModelBytes, readRnnLabModelInfo, type RnnLabModelInfo } from '../onnx/onnxMetadata';
import { OnnxModelError } from '../onnx/onnxModelError';
import { createOnnxSession } from '../onnx/onnxRuntime';
import { LOGITS_OUTPUT, TOKENS_INPUT, c0Name, cNName, h0Name, hNName, hSeqName } from '../onnx/onnxNames';

/** Gate values at every step: LSTM input, forget and output gates; GRU update and reset gates. */
export type GateName = 'i' | 'f' | 'o' | 'z' | 'r';
/** What can be read at a step: the hidden state h, the LSTM cell state c, or a gate. */
export type ActivationKind = 'h' | 'c' | GateName;

/** The kinds a cell has, in display order. */
export function activationKinds(cell: CellType): ActivationKind[] {
  if (cell === 'lstm') return ['h', 'c', 'i', 'f', 'o'];
  if (cell === 'gru') return ['h', 'z', 'r'];
  return ['h'];
}

/**
 * One layer over `time` steps: each kind [time, D·hidden], row-major, with D
 * directions (2 for a bidirectional layer, forward half first as in the ONNX
 * `h_l` outputs): unit j of direction d at step t is at t·D·hidden + d·hidden + j.
 */
export type LayerActivations = { h: Float32Array } & Partial<Record<Exclude<ActivationKind, 'h'>, Float32Array>>;

export interface ChunkRun {
  /** Per layer. `c` and the gates only when internals were asked for. */
  layers: LayerActivations[];
  /**
   * A language model's [time, vocab]: the scores of the token after each step;
   * a tagger's [time, classes]: each token's class scores; a classifier's
   * [classes]: the whole sequence's.
   */
  logits: Float32Array;
  /** The state after the last step, to start the next chunk from. */
  state: OnnxState;
}

export interface ActivationModelOptions {
  /** onnxruntime intra-op threads (default: the engine's session options, sessionCache.ts). */
  intraOpThreads?: number;
}

/** Gate pre-activation output of the probe for layer `l`, direction `d` (0 forward, 1 backward). */
const probeName = (l: number, d = 0) => (d === 0 ? `probe/pre_${l}` : `probe/pre_${l}_backward`);

/**
 * An exported model opened for activations. The hidden sequences come from
 * the exported graph's `h_<l>` outputs (the fused LSTM/GRU/RNN ops); the cell
 * state and the gates, which the fused ops do not output, come from a probe
 * appended to the same graph and run in the same call:
 *
 *   pre_l = x_l · Wᵀ + h_{l,t−1} · Rᵀ + b      (every step at once: no recurrence)
 *
 * where x_l is the token's input row (layer 0) or the layer below's h_t, and
 * h_{l,t−1} is h0_l followed by h_l shifted by one step. Each gate is σ or tanh
 * of its block, and c_t = f_t·c_{t−1} + i_t·g_t is a cheap elementwise scan in
 * JavaScript. The probe's weights are the file's own W, R and B, turned back
 * into Keras gate order (LSTM i,f,c,o; GRU z,r — the candidate's block is not
 * needed).
 *
 * A bidirectional layer's backward direction reads the sequence from its end:
 * its previous state at step t is its state at step t + 1 (the backward half
 * of `h_l`, shifted the other way, with h0's backward row after the last
 * step), its weights are W[1], R[1], B[1], and its cell state is scanned from
 * the last step down. Taggers and classifiers run the same graph; only what
 * `logits` holds differs (see ChunkRun).
 */
export class ActivationModel {
  private closed = false;

  private constructor(
    readonly file: string,
    readonly info: RnnLabModelInfo,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Opens a run folder's model.onnx or an RNN Lab .onnx file. Errors are OnnxModelErrors that say what is wrong. */
  static async open(source: string, options: ActivationModelOptions = {}): Promise<ActivationModel> {
    const file = resolveModelFile(source);
    const bytes = readModelBytes(file);
    const info = readRnnLabModelInfo(bytes, file);
    if (info.precision === 'int8') {
      throw new OnnxModelError(
        `${file} is an int8 model (rnn-lab export --quantize int8), made for fast generation: its gates cannot be read and its values are approximate. ` +
          `Neuron activations need the float model: the run's ${RUN_FILES.onnx}`,
      );
    }
    const model = onnx.ModelProto.decode(bytes);
    try {
      appendProbe(model.graph!, info.spec);
    } catch (err) {
      throw new OnnxModelError(`${file} does not have the graph RNN Lab exports (${(err as Error).message})`);
    }
    let session: ort.InferenceSession;
    try {
      session = await createOnnxSession(onnx.ModelProto.encode(model).finish(), {
        ...sessionOptions(),
        ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
      });
    } catch (err) {
      throw new OnnxModelError(`onnxruntime cannot load ${file}: it is truncated or corrupted (${((err as Error)?.message ?? String(err)).split('\n')[0]})`);
    }
    return new ActivationModel(file, info, session);
  }

  get spec(): ModelSpec {
    return this.info.spec;
  }

  get vocab(): Vocabulary {
    return this.info.vocab;
  }

  get kinds(): ActivationKind[] {
    return activationKinds(this.spec.cell);
  }

  /** 'lm', 'tag' or 'classify'. */
  get task(): TaskKind {
    return taskOf(this.spec);
  }

  /** 2 for a bidirectional model, else 1. */
  get directions(): 1 | 2 {
    return this.spec.bidirectional ? 2 : 1;
  }

  /** Values per step of one kind in one layer: directions · hidden. */
  get width(): number {
    return this.directions * this.spec.hidden;
  }

  zeroState(): OnnxState {
    const { layers, hidden, cell } = this.spec;
    const D = this.directions;
    const zeros = () => Array.from({ length: layers }, () => new ort.Tensor('float32', new Float32Array(D * hidden), [D, 1, hidden]));
    return { h: zeros(), c: cell === 'lstm' ? zeros() : [] };
  }

  /**
   * Runs `ids` (one sequence) from `state`. With `internals`, also the cell
   * state and the gates at every step (LSTM, GRU; a vanilla RNN has neither).
   */
  async run(ids: ArrayLike<number>, state: OnnxState, internals: boolean): Promise<ChunkRun> {
    if (this.closed) throw new Error('activation model was closed');
    const time = ids.length;
    if (time === 0) throw new RangeError('no tokens to run');
    const { layers, cell, vocabSize: V } = this.spec;
    const tokens = new BigInt64Array(time);
    for (let t = 0; t < time; t++) {
      const id = ids[t];
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`token id ${id} is outside the vocabulary (0 to ${V - 1})`);
      tokens[t] = BigInt(id);
    }
    const feeds: Record<string, ort.Tensor> = { [TOKENS_INPUT]: new ort.Tensor('int64', tokens, [1, time]) };
    const fetches = [LOGITS_OUTPUT];
    const probe = internals && cell !== 'rnn';
    for (let l = 0; l < layers; l++) {
      feeds[h0Name(l)] = state.h[l];
      fetches.push(hNName(l), hSeqName(l));
      if (cell === 'lstm') {
        feeds[c0Name(l)] = state.c[l];
        fetches.push(cNName(l));
      }
      if (probe) for (let d = 0; d < this.directions; d++) fetches.push(probeName(l, d));
    }
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds, fetches);
    } catch (err) {
      throw new OnnxModelError(`onnxruntime failed on ${this.file}: ${((err as Error)?.message ?? String(err)).split('\n')[0]}`);
    }
    const data = (name: string) => out[name].data as Float32Array;
    const result: ChunkRun = {
      layers: [],
      logits: data(LOGITS_OUTPUT),
      state: {
        h: Array.from({ length: layers }, (_, l) => out[hNName(l)]),
        c: cell === 'lstm' ? Array.from({ length: layers }, (_, l) => out[cNName(l)]) : [],
      },
    };
    for (let l = 0; l < layers; l++) {
      const layer: LayerActivations = { h: data(hSeqName(l)) };
      if (probe)
        Object.assign(
          layer,
          this.internals(l, (d) => data(probeName(l, d)), state, time),
        );
      result.layers.push(layer);
    }
    return result;
  }

  /** Layer l's cell state and gates from the probe's pre-activations, directions side by side per step. */
  private internals(l: number, pre: (d: number) => Float32Array, state: OnnxState, time: number): Partial<LayerActivations> {
    const { cell, hidden: H } = this.spec;
    const perDirection = Array.from({ length: this.directions }, (_, d): Partial<LayerActivations> => {
      if (cell === 'gru') return gruGates(pre(d), time, H);
      const c0 = (state.c[l].data as Float32Array).subarray(d * H, (d + 1) * H);
      return lstmInternals(pre(d), c0, time, H, d === 1);
    });
    if (perDirection.length === 1) return perDirection[0];
    const joined: Partial<LayerActivations> = {};
    for (const kind of Object.keys(perDirection[0]) as Exclude<ActivationKind, 'h'>[]) {
      joined[kind] = sideBySide(perDirection[0][kind]!, perDirection[1][kind]!, time, H);
    }
    return joined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

/** Two directions' [time, H] values as [time, 2H], forward half first (the layout of ONNX's `h_l`). */
function sideBySide(forward: Float32Array, backward: Float32Array, time: number, H: number): Float32Array {
  const out = new Float32Array(time * 2 * H);
  for (let t = 0; t < time; t++) {
    out.set(forward.subarray(t * H, (t + 1) * H), t * 2 * H);
    out.set(backward.subarray(t * H, (t + 1) * H), t * 2 * H + H);
  }
  return out;
}

/** σ and tanh of the LSTM blocks (i,f,c,o), then the cell-state scan from c0 (from the last step down when `reverse`). */
export function lstmInternals(
  pre: Float32Array,
  c0: ArrayLike<number>,
  time: number,
  H: number,
  reverse = false,
): { c: Float32Array; i: Float32Array; f: Float32Array; o: Float32Array } {
  const c = new Float32Array(time * H);
  const i = new Float32Array(time * H);
  const f = new Float32Array(time * H);
  const o = new Float32Array(time * H);
  const previous = Float64Array.from(c0);
  for (let s = 0; s < time; s++) {
    const t = reverse ? time - 1 - s : s;
    const row = t * 4 * H;
    for (let j = 0; j < H; j++) {
      const it = sigmoid(pre[row + j]);
      const ft = sigmoid(pre[row + H + j]);
      const gt = Math.tanh(pre[row + 2 * H + j]);
      const ot = sigmoid(pre[row + 3 * H + j]);
      const ct = ft * previous[j] + it * gt;
      previous[j] = ct;
      const k = t * H + j;
      c[k] = ct;
      i[k] = it;
      f[k] = ft;
      o[k] = ot;
    }
  }
  return { c, i, f, o };
}

function gruGates(pre: Float32Array, time: number, H: number): { z: Float32Array; r: Float32Array } {
  const z = new Float32Array(time * H);
  const r = new Float32Array(time * H);
  for (let t = 0; t < time; t++) {
    for (let j = 0; j < H; j++) {
      z[t * H + j] = sigmoid(pre[t * 2 * H + j]);
      r[t * H + j] = sigmoid(pre[t * 2 * H + H + j]);
    }
  }
  return { z, r };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Adds the probe's nodes and outputs to an exported graph (see ActivationModel).
 * Inputs `tokens` [1, time] and `h0_l` [D, 1, H]; outputs `probe/pre_l` (and
 * `probe/pre_l_backward` for a bidirectional layer) [1, time, G·H] with G = 4
 * (LSTM i,f,c,o) or 2 (GRU z,r).
 */
function appendProbe(graph: onnx.IGraphProto, spec: ModelSpec): void {
  if (spec.cell === 'rnn') return;
  const read = initializerReader(graph);
  const blocks = probeOnnxBlocks(spec.cell);
  const g = new GraphBuilder();
  addSliceBounds(g, spec.hidden);
  const directions = spec.bidirectional ? 2 : 1;
  for (let l = 0; l < spec.layers; l++) {
    for (let d = 0; d < directions; d++) {
      const p = `probe/layer${l}${d === 0 ? '' : '/backward'}`;
      addProbeWeights(g, p, read, spec, l, d, blocks);
      const inputProduct = addInputProduct(g, p, spec, l);
      const recurrentProduct = addRecurrentProduct(g, p, l, d, directions);
      const sum = g.node('Add', [inputProduct, recurrentProduct], [`${p}/sum`])[0];
      g.node('Add', [sum, `${p}/bias`], [probeName(l, d)]);
      g.output(probeName(l, d), onnx.TensorProto.DataType.FLOAT, ['batch', 'time', blocks.length * spec.hidden]);
    }
  }
  const built = g.build('probe');
  graph.node = [...(graph.node ?? []), ...built.node!];
  graph.initializer = [...(graph.initializer ?? []), ...built.initializer!];
  graph.output = [...(graph.output ?? []), ...built.output!];
}

/** For each Keras gate block the probe computes (LSTM i,f,c,o; GRU z,r), the ONNX block that holds it. */
function probeOnnxBlocks(cell: CellType): number[] {
  const keras = cell === 'lstm' ? [0, 1, 2, 3] : [0, 1];
  const source = onnxGateSource(cell); // ONNX block g holds Keras block source[g]
  return keras.map((k) => source.indexOf(k));
}

/** Layer `l`'s W, R and B of direction d as the probe's initializers `<p>/Wt`, `<p>/Rt` and `<p>/bias`, in Keras gate order. */
function addProbeWeights(g: GraphBuilder, p: string, read: InitializerReader, spec: ModelSpec, l: number, d: number, blocks: number[]): void {
  const H = spec.hidden;
  const G = blocks.length;
  const W = read(`layer${l}/W`);
  const R = read(`layer${l}/R`);
  const B = read(`layer${l}/B`);
  const inputSize = W.dims[2];
  const rows = onnxGateSource(spec.cell).length * H;
  const D = spec.bidirectional ? 2 : 1;
  if (W.dims[0] !== D || W.dims[1] !== rows || R.dims[0] !== D || R.dims[2] !== H || B.values.length !== D * 2 * rows)
    throw new Error(`layer ${l} weights have unexpected shapes`);
  const w = W.values.subarray(d * rows * inputSize, (d + 1) * rows * inputSize);
  const r = R.values.subarray(d * rows * H, (d + 1) * rows * H);
  const b = B.values.subarray(d * 2 * rows, (d + 1) * 2 * rows);
  g.floatInitializer(`${p}/Wt`, [inputSize, G * H], transposedBlocks(w, inputSize, blocks, H));
  g.floatInitializer(`${p}/Rt`, [H, G * H], transposedBlocks(r, H, blocks, H));
  g.floatInitializer(`${p}/bias`, [G * H], summedBias(b, rows, blocks, H));
}

/** ONNX [G·H, cols] (x·Wᵀ) → [cols, G'·H]: only the ONNX blocks `blocks`, in that order. */
function transposedBlocks(m: Float32Array, cols: number, blocks: number[], H: number): Float32Array {
  const G = blocks.length;
  const out = new Float32Array(cols * G * H);
  for (let b = 0; b < G; b++) {
    const from = blocks[b] * H;
    for (let j = 0; j < H; j++) for (let k = 0; k < cols; k++) out[k * G * H + b * H + j] = m[(from + j) * cols + k];
  }
  return out;
}

/** ONNX's input and recurrent biases ([2·rows]: Wb then Rb) of the blocks `blocks`, added into one. */
function summedBias(B: Float32Array, rows: number, blocks: number[], H: number): Float32Array {
  const bias = new Float32Array(blocks.length * H);
  for (let b = 0; b < blocks.length; b++) {
    const from = blocks[b] * H;
    for (let j = 0; j < H; j++) bias[b * H + j] = B[from + j] + B[rows + from + j];
  }
  return bias;
}

/** x_l · W for every step: the layer below's outputs, the embedded tokens, or (one-hot input) rows of W. */
function addInputProduct(g: GraphBuilder, p: string, spec: ModelSpec, l: number): string {
  if (l > 0) return g.node('MatMul', [hSeqName(l - 1), `${p}/Wt`], [`${p}/xW`])[0];
  if (spec.embedding > 0) {
    const embedded = g.node('Gather', ['embedding', TOKENS_INPUT], [`${p}/embedded`], { axis: 0 })[0];
    return g.node('MatMul', [embedded, `${p}/Wt`], [`${p}/xW`])[0];
  }
  return g.node('Gather', [`${p}/Wt`, TOKENS_INPUT], [`${p}/xW`], { axis: 0 })[0]; // one-hot · W is a row of W
}

/** The Slice bounds every layer shares: a shift by one step either way, and each direction's half of `h_l`. */
function addSliceBounds(g: GraphBuilder, H: number): void {
  const bounds = (name: string, start: number, end: number, axis: number) => {
    g.int64Initializer(`probe/${name}_starts`, [1], [start]);
    g.int64Initializer(`probe/${name}_ends`, [1], [end]);
    g.int64Initializer(`probe/${name}_axes`, [1], [axis]);
  };
  bounds('all_but_last', 0, -1, 1);
  bounds('all_but_first', 1, 2 ** 31 - 1, 1);
  bounds('forward_half', 0, H, 2);
  bounds('backward_half', H, 2 * H, 2);
  bounds('forward_row', 0, 1, 1);
  bounds('backward_row', 1, 2, 1);
}

function slice(g: GraphBuilder, input: string, bounds: string, output: string): string {
  return g.node('Slice', [input, `probe/${bounds}_starts`, `probe/${bounds}_ends`, `probe/${bounds}_axes`], [output])[0];
}

/**
 * The recurrent product for every step at once. Forward: h_{t−1} · R, where
 * h_{t−1} is h0 then h_0 … h_{time−2}. Backward: h_{t+1} · R, where h_{t+1}
 * is h_1 … h_{time−1} then h0 (the backward direction starts at the end).
 */
function addRecurrentProduct(g: GraphBuilder, p: string, l: number, d: number, directions: number): string {
  const h0 = g.node('Transpose', [h0Name(l)], [`${p}/h0_batch_major`], { perm: [1, 0, 2] })[0]; // [1, D, H]
  if (directions === 1) {
    const shifted = slice(g, hSeqName(l), 'all_but_last', `${p}/h_shifted`);
    const previous = g.node('Concat', [h0, shifted], [`${p}/h_previous`], { axis: 1 })[0];
    return g.node('MatMul', [previous, `${p}/Rt`], [`${p}/hR`])[0];
  }
  const own = slice(g, hSeqName(l), d === 0 ? 'forward_half' : 'backward_half', `${p}/h_own`);
  const first = slice(g, h0, d === 0 ? 'forward_row' : 'backward_row', `${p}/h0_own`);
  const previous =
    d === 0
      ? g.node('Concat', [first, slice(g, own, 'all_but_last', `${p}/h_shifted`)], [`${p}/h_previous`], { axis: 1 })[0]
      : g.node('Concat', [slice(g, own, 'all_but_first', `${p}/h_shifted`), first], [`${p}/h_previous`], { axis: 1 })[0];
  return g.node('MatMul', [previous, `${p}/Rt`], [`${p}/hR`])[0];
}
