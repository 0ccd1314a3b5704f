import { gateCount, type CellType } from '../../core/spec';

/**
 * Converts one recurrent layer's weights from our Keras layout to the ONNX
 * LSTM / GRU / RNN operators' layout. Pure functions on flat row-major arrays.
 *
 * Keras: kernel [input, G·H] and recurrentKernel [H, G·H] (x·W, h·U), one
 * bias [G·H]; gate blocks LSTM i,f,c,o and GRU z,r,h along the columns.
 * ONNX: W [dirs, G·H, input] and R [dirs, G·H, H] (the ops compute x·Wᵀ),
 * B [dirs, 2·G·H] = input bias then recurrent bias; gate blocks LSTM i,o,f,c
 * and GRU z,r,h along the rows.
 */

/** For each ONNX gate block, the Keras block it is taken from. */
export function onnxGateSource(cell: CellType): number[] {
  if (cell === 'lstm') return [0, 3, 1, 2]; // ONNX i,o,f,c ← Keras i(0),o(3),f(1),c(2)
  return Array.from({ length: gateCount(cell) }, (_, g) => g); // GRU z,r,h and RNN's one block keep their order
}

/** A Keras matrix [rows, G·H] → ONNX [G·H, rows]: transposed, gate blocks reordered. */
export function kernelToOnnx(kernel: Float32Array, rows: number, hidden: number, source: readonly number[]): Float32Array {
  const cols = source.length * hidden;
  if (kernel.length !== rows * cols) throw new Error(`kernel has ${kernel.length} values; expected ${rows}×${cols}`);
  const out = new Float32Array(cols * rows);
  for (let g = 0; g < source.length; g++) {
    for (let j = 0; j < hidden; j++) {
      const from = source[g] * hidden + j; // column in Keras
      const to = (g * hidden + j) * rows; // row in ONNX
      for (let k = 0; k < rows; k++) out[to + k] = kernel[k * cols + from];
    }
  }
  return out;
}

/**
 * A Keras bias [G·H] → ONNX [2·G·H]. Keras has one bias per gate; the ONNX
 * ops add an input bias Wb and a recurrent bias Rb, so Wb takes the reordered
 * bias and Rb is zero. (For the GRU candidate with linear_before_reset = 0,
 * Rbh is added outside the reset product, so a zero Rbh is exact.)
 */
export function biasToOnnx(bias: Float32Array, hidden: number, source: readonly number[]): Float32Array {
  if (bias.length !== source.length * hidden) throw new Error(`bias has ${bias.length} values; expected ${source.length * hidden}`);
  const out = new Float32Array(2 * source.length * hidden);
  for (let g = 0; g < source.length; g++) out.set(bias.subarray(source[g] * hidden, (source[g] + 1) * hidden), g * hidden);
  return out;
}

export interface KerasDirectionWeights {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
}

export interface OnnxTensorValues {
  dims: number[];
  values: Float32Array;
}

export interface OnnxLayerWeights {
  W: OnnxTensorValues;
  R: OnnxTensorValues;
  B: OnnxTensorValues;
}

/**
 * One layer's W, R and B for the ONNX op. `directions` holds the forward
 * weights, then the backward ones for a bidirectional layer: ONNX stacks
 * directions along the first axis in that order.
 */
export function layerToOnnx(cell: CellType, inputSize: number, hidden: number, directions: readonly KerasDirectionWeights[]): OnnxLayerWeights {
  const source = onnxGateSource(cell);
  const rows = source.length * hidden;
  const D = directions.length;
  return {
    W: { dims: [D, rows, inputSize], values: concat(directions.map((d) => kernelToOnnx(d.kernel, inputSize, hidden, source))) },
    R: { dims: [D, rows, hidden], values: concat(directions.map((d) => kernelToOnnx(d.recurrentKernel, hidden, hidden, source))) },
    B: { dims: [D, 2 * rows], values: concat(directions.map((d) => biasToOnnx(d.bias, hidden, source))) },
  };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
