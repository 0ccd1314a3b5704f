import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { CellType, ModelSpec } from '../../core/spec';
import type { Vocabulary } from '../../core/vocabulary';
import { RUN_FILES } from '../../core/runFormat';
import { resolveModelFile } from '../inference/modelSource';
import { sessionOptions } from '../inference/sessionCache';
import type { OnnxState } from '../inference/onnxLanguageModel';
import { onnxGateSource } from '../onnx/gateLayout';
import { GraphBuilder } from '../onnx/graphBuilder';
import { initializerReader, type InitializerReader } from '../onnx/onnxWeights';
import { readModelBytes, readRnnLabModelInfo, requireLanguageModel, type RnnLabModelInfo } from '../onnx/onnxMetadata';
import { OnnxModelError } from '../onnx/onnxModelError';
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

/** One layer over `time` steps: each kind [time, hidden], row-major (step t, unit j at t·hidden + j). */
export type LayerActivations = { h: Float32Array } & Partial<Record<Exclude<ActivationKind, 'h'>, Float32Array>>;

export interface ChunkRun {
  /** Per layer. `c` and the gates only when internals were asked for. */
  layers: LayerActivations[];
  /** [time, vocab]: the scores of the token after each step. */
  logits: Float32Array;
  /** The state after the last step, to start the next chunk from. */
  state: OnnxState;
}

export interface ActivationModelOptions {
  /** onnxruntime intra-op threads (default: the engine's session options, sessionCache.ts). */
  intraOpThreads?: number;
}

/** Gate pre-activation output of the probe for layer `l`. */
const probeName = (l: number) => `probe/pre_${l}`;

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
    requireLanguageModel(info, file, 'show activations yet');
    if (info.spec.bidirectional) {
      throw new OnnxModelError(`${file} is bidirectional: its states depend on the text after each character, so activations cannot be computed left to right`);
    }
    const model = onnx.ModelProto.decode(bytes);
    try {
      appendProbe(model.graph!, info.spec);
    } catch (err) {
      throw new OnnxModelError(`${file} does not have the graph RNN Lab exports (${(err as Error).message})`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), {
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

  zeroState(): OnnxState {
    const { layers, hidden, cell } = this.spec;
    const zeros = () => Array.from({ length: layers }, () => new ort.Tensor('float32', new Float32Array(hidden), [1, 1, hidden]));
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
    const { layers, cell, hidden: H, vocabSize: V } = this.spec;
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
      if (probe) fetches.push(probeName(l));
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
      if (probe && cell === 'lstm') Object.assign(layer, lstmInternals(data(probeName(l)), state.c[l].data as Float32Array, time, H));
      if (probe && cell === 'gru') Object.assign(layer, gruGates(data(probeName(l)), time, H));
      result.layers.push(layer);
    }
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

/** σ and tanh of the LSTM blocks (i,f,c,o), then the cell-state scan from c0. */
export function lstmInternals(
  pre: Float32Array,
  c0: Float32Array,
  time: number,
  H: number,
): { c: Float32Array; i: Float32Array; f: Float32Array; o: Float32Array } {
  const c = new Float32Array(time * H);
  const i = new Float32Array(time * H);
  const f = new Float32Array(time * H);
  const o = new Float32Array(time * H);
  const previous = Float64Array.from(c0);
  for (let t = 0; t < time; t++) {
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
 * Inputs `tokens` [1, time] and `h0_l` [1, 1, H]; output `probe/pre_l`
 * [1, time, G·H] with G = 4 (LSTM i,f,c,o) or 2 (GRU z,r).
 */
function appendProbe(graph: onnx.IGraphProto, spec: ModelSpec): void {
  if (spec.cell === 'rnn') return;
  const read = initializerReader(graph);
  const blocks = probeOnnxBlocks(spec.cell);
  const g = new GraphBuilder();
  for (let l = 0; l < spec.layers; l++) {
    const p = `probe/layer${l}`;
    addProbeWeights(g, p, read, spec, l, blocks);
    const inputProduct = addInputProduct(g, p, spec, l);
    const recurrentProduct = addRecurrentProduct(g, p, l);
    const sum = g.node('Add', [inputProduct, recurrentProduct], [`${p}/sum`])[0];
    g.node('Add', [sum, `${p}/bias`], [probeName(l)]);
    g.output(probeName(l), onnx.TensorProto.DataType.FLOAT, ['batch', 'time', blocks.length * spec.hidden]);
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

/** Layer `l`'s W, R and B as the probe's initializers `<p>/Wt`, `<p>/Rt` and `<p>/bias`, in Keras gate order. */
function addProbeWeights(g: GraphBuilder, p: string, read: InitializerReader, spec: ModelSpec, l: number, blocks: number[]): void {
  const H = spec.hidden;
  const G = blocks.length;
  const W = read(`layer${l}/W`);
  const R = read(`layer${l}/R`);
  const B = read(`layer${l}/B`);
  const inputSize = W.dims[2];
  const rows = onnxGateSource(spec.cell).length * H;
  if (W.dims[0] !== 1 || W.dims[1] !== rows || R.dims[2] !== H || B.values.length !== 2 * rows) throw new Error(`layer ${l} weights have unexpected shapes`);
  g.floatInitializer(`${p}/Wt`, [inputSize, G * H], transposedBlocks(W.values, inputSize, blocks, H));
  g.floatInitializer(`${p}/Rt`, [H, G * H], transposedBlocks(R.values, H, blocks, H));
  g.floatInitializer(`${p}/bias`, [G * H], summedBias(B.values, rows, blocks, H));
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

/** h_{t−1} · R for every step, where h_{t−1} is h0 then h_0 … h_{time−2}. */
function addRecurrentProduct(g: GraphBuilder, p: string, l: number): string {
  // The Slice bounds are shared by every layer: layer 0 adds them.
  if (l === 0) {
    g.int64Initializer('probe/slice_starts', [1], [0]);
    g.int64Initializer('probe/slice_ends', [1], [-1]);
    g.int64Initializer('probe/slice_axes', [1], [1]);
  }
  const first = g.node('Transpose', [h0Name(l)], [`${p}/h0_batch_major`], { perm: [1, 0, 2] })[0];
  const shifted = g.node('Slice', [hSeqName(l), 'probe/slice_starts', 'probe/slice_ends', 'probe/slice_axes'], [`${p}/h_shifted`])[0];
  const previous = g.node('Concat', [first, shifted], [`${p}/h_previous`], { axis: 1 })[0];
  return g.node('MatMul', [previous, `${p}/Rt`], [`${p}/hR`])[0];
}
