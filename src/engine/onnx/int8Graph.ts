import { onnx } from 'onnx-proto';
import { taskOf, type ModelSpec } from '../../core/spec';
import type { OnnxLayerWeights } from './gateLayout';
import { GraphBuilder } from './graphBuilder';
import { OnnxModelError } from './onnxModelError';
import { LOGITS_OUTPUT, TOKENS_INPUT, c0Name, cNName, h0Name, hNName, hSeqName } from './onnxNames';
import { gateRows, layerInputSize, type OnnxModelWeights } from './onnxWeights';
import { quantizeColumns, transpose } from './quantization';

const { DataType } = onnx.TensorProto;

/**
 * The int8 variant of the graph (docs/architecture.md, "The ONNX contract"):
 * the same inputs, outputs and names as buildOnnxGraph, its weight matrices
 * stored as int8 with one float scale per output column (quantization.ts),
 * run by onnxruntime's dynamically quantized CPU kernels (contrib domain
 * com.microsoft). Each product quantizes its float input to uint8 on the fly
 * (one scale per call), multiplies in integers and scales back to float; the
 * states, gates and biases stay float.
 *
 *   LSTM      one DynamicQuantizeLSTM per layer: onnxruntime's LSTM kernel
 *             with int8 W [1, input, 4H] and R [1, H, 4H].
 *   GRU, RNN  onnxruntime has no quantized kernel for them. Every step's input
 *             product at once (DynamicQuantizeMatMul; for one-hot input, int8
 *             rows of W gathered and dequantized), then a Scan over time whose
 *             body is the cell's equations (model.ts) with h·R as a
 *             DynamicQuantizeMatMul.
 *   output    DynamicQuantizeMatMul; an embedding is gathered as int8 rows and dequantized.
 *
 * Bidirectional models are refused: they cannot generate, which is what int8 is for.
 */
export function buildInt8OnnxGraph(spec: ModelSpec, w: OnnxModelWeights): onnx.IGraphProto {
  if (taskOf(spec) !== 'lm') throw new OnnxModelError(`a ${taskOf(spec)} model cannot be quantized: int8 is for generating text`);
  if (spec.bidirectional) throw new OnnxModelError('a bidirectional model cannot be quantized: int8 is for generation, and it cannot generate text');
  const g = new GraphBuilder();
  const H = spec.hidden;
  g.input(TOKENS_INPUT, DataType.INT64, ['batch', 'time']);
  g.node('Transpose', [TOKENS_INPUT], ['tokens_time_major'], { perm: [1, 0] });
  // Layer 0's input, time-major; GRU and RNN with one-hot input gather their input product instead.
  let x = addInputSequence(g, spec, w);
  for (let l = 0; l < spec.layers; l++) {
    g.input(h0Name(l), DataType.FLOAT, [1, 'batch', H]);
    if (spec.cell === 'lstm') g.input(c0Name(l), DataType.FLOAT, [1, 'batch', H]);
    x = spec.cell === 'lstm' ? addLstmLayer(g, spec, w.layers[l], l, x!) : addScanLayer(g, spec, w.layers[l], l, x);
    g.node('Transpose', [x], [hSeqName(l)], { perm: [1, 0, 2] });
    g.output(hNName(l), DataType.FLOAT, [1, 'batch', H]);
    if (spec.cell === 'lstm') g.output(cNName(l), DataType.FLOAT, [1, 'batch', H]);
    g.output(hSeqName(l), DataType.FLOAT, ['batch', 'time', H]);
  }
  quantizedMatMul(g, hSeqName(spec.layers - 1), 'output', w.outputKernel, H, spec.vocabSize, w.outputBias, LOGITS_OUTPUT);
  g.output(LOGITS_OUTPUT, DataType.FLOAT, ['batch', 'time', spec.vocabSize]);
  g.outputs.unshift(g.outputs.pop()!); // first, as in the float graph
  return g.build('rnnlab_int8');
}

/** Layer 0's input [time, batch, input]: the dequantized embedding rows, one-hot rows (LSTM), or none (GRU/RNN gather their input product). */
function addInputSequence(g: GraphBuilder, spec: ModelSpec, w: OnnxModelWeights): string | undefined {
  if (spec.embedding > 0) return gatherDequantized(g, 'embedding', w.embedding!, spec.vocabSize, spec.embedding);
  if (spec.cell !== 'lstm') return undefined;
  g.int64Initializer('one_hot/depth', [], [spec.vocabSize]);
  g.floatInitializer('one_hot/values', [2], Float32Array.of(0, 1));
  return g.node('OneHot', ['tokens_time_major', 'one_hot/depth', 'one_hot/values'], ['one_hot'], { axis: -1 })[0];
}

/** Rows `tokens_time_major` of a [rows, cols] table stored as int8: [time, batch, cols] float. */
function gatherDequantized(g: GraphBuilder, name: string, table: Float32Array, rows: number, cols: number): string {
  const q = quantizeColumns(table, rows, cols);
  g.int8Initializer(`${name}/int8`, [rows, cols], q.values);
  g.floatInitializer(`${name}/scale`, [cols], q.scales);
  g.int8Initializer(`${name}/zero_point`, [cols], new Int8Array(cols));
  const picked = g.node('Gather', [`${name}/int8`, 'tokens_time_major'], [`${name}/rows_int8`], { axis: 0 })[0];
  return g.node('DequantizeLinear', [picked, `${name}/scale`, `${name}/zero_point`], [`${name}/rows`], { axis: 2 })[0];
}

/** input [..., K] · matrix [K, N] (+ bias) with int8 weights; returns the output's name. */
function quantizedMatMul(
  g: GraphBuilder,
  input: string,
  name: string,
  matrix: Float32Array,
  K: number,
  N: number,
  bias?: Float32Array,
  output?: string,
): string {
  const q = quantizeColumns(matrix, K, N);
  g.int8Initializer(`${name}/int8`, [K, N], q.values);
  g.floatInitializer(`${name}/scale`, [N], q.scales);
  g.int8Initializer(`${name}/zero_point`, [N], new Int8Array(N));
  if (bias) g.floatInitializer(`${name}/bias`, [N], bias);
  const inputs = [input, `${name}/int8`, `${name}/scale`, `${name}/zero_point`, bias ? `${name}/bias` : ''];
  return g.contribNode('DynamicQuantizeMatMul', inputs, [output ?? `${name}/product`])[0];
}

/** One LSTM layer as DynamicQuantizeLSTM; returns its hidden sequence [time, batch, H]. */
function addLstmLayer(g: GraphBuilder, spec: ModelSpec, weights: OnnxLayerWeights, l: number, x: string): string {
  const H = spec.hidden;
  const rows = 4 * H;
  const p = `layer${l}`;
  for (const [key, cols] of [
    ['W', layerInputSize(spec, l)],
    ['R', H],
  ] as const) {
    // The op takes x·W with W [1, input, 4H]: the ONNX LSTM's W [1, 4H, input] transposed, gate blocks still i,o,f,c.
    const q = quantizeColumns(transpose(weights[key].values, rows, cols), cols, rows);
    g.int8Initializer(`${p}/${key}_int8`, [1, cols, rows], q.values);
    g.floatInitializer(`${p}/${key}_scale`, [1, rows], q.scales);
    g.int8Initializer(`${p}/${key}_zero_point`, [1, rows], new Int8Array(rows));
  }
  g.floatInitializer(`${p}/B`, weights.B.dims, weights.B.values);
  if (l === 0) g.int64Initializer('axis_1', [1], [1]);
  const inputs = [
    x,
    `${p}/W_int8`,
    `${p}/R_int8`,
    `${p}/B`,
    '',
    h0Name(l),
    c0Name(l),
    '',
    `${p}/W_scale`,
    `${p}/W_zero_point`,
    `${p}/R_scale`,
    `${p}/R_zero_point`,
  ];
  g.contribNode('DynamicQuantizeLSTM', inputs, [`${p}/Y`, hNName(l), cNName(l)], { hidden_size: H, direction: 'forward' }, `${p}/lstm`);
  return g.node('Squeeze', [`${p}/Y`, 'axis_1'], [`${p}/sequence_time_major`])[0]; // [time, 1, batch, H] → [time, batch, H]
}

/**
 * One GRU or RNN layer: the input products of all steps, then a Scan over
 * time carrying h. `x` is the layer's input [time, batch, input], or
 * undefined for one-hot input, whose product is a row of W.
 */
function addScanLayer(g: GraphBuilder, spec: ModelSpec, weights: OnnxLayerWeights, l: number, x: string | undefined): string {
  const H = spec.hidden;
  const rows = gateRows(spec);
  const p = `layer${l}`;
  const inputSize = layerInputSize(spec, l);
  // Keras has one bias per gate, the ONNX ops two (Wb, Rb: Rb is zero in our export); both add before σ/tanh, so they add up.
  const bias = Float32Array.from({ length: rows }, (_, j) => weights.B.values[j] + weights.B.values[rows + j]);
  const Wt = transpose(weights.W.values, rows, inputSize);
  let projected: string;
  if (x) projected = quantizedMatMul(g, x, `${p}/W`, Wt, inputSize, rows, bias);
  else {
    g.floatInitializer(`${p}/bias`, [rows], bias);
    projected = g.node('Add', [gatherDequantized(g, `${p}/W`, Wt, inputSize, rows), `${p}/bias`], [`${p}/input_product`])[0];
  }
  if (l === 0) g.int64Initializer('axis_0', [1], [0]);
  const h0 = g.node('Squeeze', [h0Name(l), 'axis_0'], [`${p}/h0`])[0];
  const body = spec.cell === 'gru' ? gruStep(H, transpose(weights.R.values, rows, H)) : rnnStep(H, transpose(weights.R.values, rows, H));
  g.node('Scan', [h0, projected], [`${p}/hN`, `${p}/sequence_time_major`], { num_scan_inputs: 1, body }, `${p}/scan`);
  g.node('Unsqueeze', [`${p}/hN`, 'axis_0'], [hNName(l)]);
  return `${p}/sequence_time_major`;
}

/** Scan body of a vanilla RNN step: h = tanh(xW + b + h_prev·R), with R [H, H] (x·R form). */
function rnnStep(H: number, R: Float32Array): onnx.IGraphProto {
  const b = stepGraph(H, H);
  const hR = quantizedMatMul(b, 'h_prev', 'R', R, H, H);
  b.node('Tanh', [b.node('Add', ['input_product', hR], ['pre'])[0]], ['h']);
  return finishStep(b, H);
}

/**
 * Scan body of a GRU step (model.ts): z, r = σ(x·W_zr + b_zr + h_prev·R_zr);
 * h̃ = tanh(x·W_h + b_h + (r ⊙ h_prev)·R_h); h = z ⊙ h_prev + (1 − z) ⊙ h̃,
 * written h̃ + z ⊙ (h_prev − h̃). R is [H, 3H] with blocks z, r, h.
 */
function gruStep(H: number, R: Float32Array): onnx.IGraphProto {
  const b = stepGraph(H, 3 * H);
  const columns = (from: number, to: number) => {
    const out = new Float32Array(H * (to - from));
    for (let k = 0; k < H; k++) out.set(R.subarray(k * 3 * H + from, k * 3 * H + to), k * (to - from));
    return out;
  };
  const hRzr = quantizedMatMul(b, 'h_prev', 'R_zr', columns(0, 2 * H), H, 2 * H);
  b.int64Initializer('split_zr_h', [2], [2 * H, H]);
  b.node('Split', ['input_product', 'split_zr_h'], ['x_zr', 'x_h'], { axis: 1 });
  const zr = b.node('Sigmoid', [b.node('Add', ['x_zr', hRzr], ['pre_zr'])[0]], ['zr'])[0];
  b.node('Split', [zr], ['z', 'r'], { axis: 1 });
  const hRh = quantizedMatMul(b, b.node('Mul', ['r', 'h_prev'], ['r_h'])[0], 'R_h', columns(2 * H, 3 * H), H, H);
  const candidate = b.node('Tanh', [b.node('Add', ['x_h', hRh], ['pre_h'])[0]], ['candidate'])[0];
  const kept = b.node('Mul', ['z', b.node('Sub', ['h_prev', candidate], ['h_minus_candidate'])[0]], ['kept'])[0];
  b.node('Add', [candidate, kept], ['h']);
  return finishStep(b, H);
}

function stepGraph(H: number, width: number): GraphBuilder {
  const b = new GraphBuilder();
  b.input('h_prev', DataType.FLOAT, ['batch', H]);
  b.input('input_product', DataType.FLOAT, ['batch', width]);
  return b;
}

/** The body's outputs: the carried state h, then the scanned output (the same values). */
function finishStep(b: GraphBuilder, H: number): onnx.IGraphProto {
  b.node('Identity', ['h'], ['y']);
  b.output('h', DataType.FLOAT, ['batch', H]);
  b.output('y', DataType.FLOAT, ['batch', H]);
  return b.build('step');
}
