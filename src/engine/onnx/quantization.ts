/**
 * Symmetric int8 quantization of weight matrices, one scale per column
 * (docs/architecture.md, "The ONNX contract": the int8 variant). Pure
 * functions on flat row-major arrays.
 */

/** Column j holds values[k·cols + j] · scales[j], with values in −127…127. */
export interface QuantizedColumns {
  values: Int8Array;
  scales: Float32Array;
}

/**
 * Quantizes each column of a [rows, cols] matrix to int8 with scale
 * max|column| / 127, so the largest weight of every column is exact and each
 * weight is off by at most half a step. An all-zero column gets scale 1.
 * (−128 is never used: the range stays symmetric, as onnxruntime's int8
 * weight kernels expect with a zero point of 0.)
 */
export function quantizeColumns(m: Float32Array, rows: number, cols: number): QuantizedColumns {
  if (m.length !== rows * cols) throw new Error(`matrix has ${m.length} values; expected ${rows}×${cols}`);
  const scales = new Float32Array(cols);
  for (let k = 0; k < rows; k++) for (let j = 0; j < cols; j++) scales[j] = Math.max(scales[j], Math.abs(m[k * cols + j]));
  for (let j = 0; j < cols; j++) scales[j] = scales[j] > 0 ? scales[j] / 127 : 1;
  const values = new Int8Array(rows * cols);
  for (let k = 0; k < rows; k++) {
    for (let j = 0; j < cols; j++) values[k * cols + j] = Math.max(-127, Math.min(127, Math.round(m[k * cols + j] / scales[j])));
  }
  return { values, scales };
}

/** The float matrix a quantized one stands for (tests, and the error it makes). */
export function dequantizeColumns(q: QuantizedColumns, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let k = 0; k < rows; k++) for (let j = 0; j < cols; j++) out[k * cols + j] = q.values[k * cols + j] * q.scales[j];
  return out;
}

/** [rows, cols] → [cols, rows]. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  if (m.length !== rows * cols) throw new Error(`matrix has ${m.length} values; expected ${rows}×${cols}`);
  const out = new Float32Array(m.length);
  for (let k = 0; k < rows; k++) for (let j = 0; j < cols; j++) out[j * rows + k] = m[k * cols + j];
  return out;
}
