import * as tf from './tfjs';

/**
 * Kernels of the tfjs wasm backend (4.22) that copy far more than they need,
 * re-registered so they don't, and one it lacks. Every output holds the same
 * values as the original kernel's; only wasted copying goes.
 *
 * 1. Slice starts by copying its whole input out of the wasm heap into a fresh
 *    JavaScript array (`readSync`), then copies the slice from that. SplitV
 *    and Unpack call it once per output, so `tf.unstack` of the
 *    [batch, time, 4H] input projection copied the whole 8 MB tensor `time`
 *    times per step: ~0.5 GB of copies and ~100,000 page faults per LSTM-256
 *    step, half the step time, most of it system time. Ours copy only the
 *    selected elements, reading the input through a view of the heap.
 *
 * 2. GatherV2 (the forward pass of our one-hot and embedding lookups) runs
 *    element by element in C++: ~70 ms for 2048 rows of 1024. Gathering whole
 *    rows (axis 0) is a row copy each; ours does that, and leaves other axes
 *    to the original kernel.
 *
 * 3. Sum over leading axes (the gradient of every broadcast bias add)
 *    transposes its input so the summed axes come last: 8 MB moved per step
 *    for the LSTM-256 input bias, ~15 ms. The wasm sum adds each output's
 *    terms one after another from 0; ours adds whole rows in the same order,
 *    so every output is the same float.
 *
 * 4. Identity (which tfjs runs for every tensor a gradient saves, and for
 *    tf.clone) and Cast to the same dtype copy the data. The cpu backend
 *    shares it instead (a reference count, as wasm's own Reshape does); so do
 *    ours. Sharing is safe because wasm kernels never write into their inputs
 *    and a variable's assign swaps in new data rather than overwriting it.
 *
 * 5. UnsortedSegmentSum, the gradient of tf.gather, is missing; ours adds the
 *    rows of x into their segments in row order. For the lookups in model.ts
 *    that is the same sum, in the same order, as the one-hot product oneHotᵀ·dy
 *    we used before (wasmKernels.test.ts compares them bit for bit).
 */

/** The parts of the wasm backend we use (tfjs-backend-wasm's BackendWasm). */
interface WasmBackend extends tf.KernelBackend {
  incRef(dataId: tf.DataId): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let patched = false;

/** A kernel of ours, given the wasm original it leaves the cases it does not handle to (strings, other axes). */
type Replacement = (original: tf.KernelFunc) => tf.KernelFunc;

/** Ours by kernel name (1–4 above). */
const REPLACEMENTS: Record<string, Replacement> = {
  Slice: sliceKernel,
  SplitV: splitVKernel,
  Unpack: unpackKernel,
  GatherV2: gatherV2Kernel,
  Sum: sumKernel,
  Identity: identityKernel,
  Cast: castKernel,
};

export function installWasmKernels(): boolean {
  if (patched) return true;
  const names = Object.keys(REPLACEMENTS);
  const originals = names.map((name) => tf.getKernel(name, 'wasm'));
  // Every original first: without the wasm backend's kernels there is nothing to replace.
  if (originals.some((k) => !k)) return false;
  names.forEach((name, i) => reregister(name, REPLACEMENTS[name](originals[i].kernelFunc)));
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumKernel });
  }
  patched = true;
  return true;
}

function reregister(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const original = tf.getKernel(kernelName, 'wasm');
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}

function sliceKernel(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original({ inputs, backend, attrs });
    const { begin, size } = attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x, begin, size);
    return sliceFromHeap(x, begin_, size_, backend as WasmBackend);
  };
}

/** One slice per output, each taking only its own elements. */
function splitVKernel(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original({ inputs, backend, attrs });
    const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[ax] = s;
      const out = sliceFromHeap(x, begin.slice(), size, backend as WasmBackend);
      begin[ax] += s;
      return out;
    });
  };
}

/** One slice of width 1 per position along the axis, which the outputs then drop. */
function unpackKernel(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { value } = inputs as { value: tf.TensorInfo };
    if (value.dtype === 'string') return original({ inputs, backend, attrs });
    const rank = value.shape.length;
    const ax = ((attrs as unknown as { axis: number }).axis + rank) % rank;
    const outShape = value.shape.filter((_, i) => i !== ax);
    const size = value.shape.slice();
    size[ax] = 1;
    return Array.from({ length: value.shape[ax] }, (_, i) => {
      const begin = new Array<number>(rank).fill(0);
      begin[ax] = i;
      const out = sliceFromHeap(value, begin, size, backend as WasmBackend);
      return { ...out, shape: outShape }; // the same data without the unit axis
    });
  };
}

/** Whole rows (axis 0, no batch dimensions) of numbers by int32 indices; anything else to the original. */
function gatherV2Kernel(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    const rowsAxis = x.shape.length > 0 && tf.util.parseAxisParam(axis, x.shape)[0] === 0 && !batchDims;
    if (!rowsAxis || x.dtype === 'string' || indices.dtype !== 'int32') return original({ inputs, backend, attrs });
    return gatherRowsFromHeap(x, indices, backend as WasmBackend);
  };
}

/** Float32 sums over leading axes (not all of them); anything else to the original. */
function sumKernel(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original({ inputs, backend, attrs });
    return sumLeadingAxesFromHeap(x, axes.length, keepDims, backend as WasmBackend);
  };
}

function identityKernel(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    return x.dtype === 'string' ? original({ inputs, backend, attrs }) : shareData(x, backend as WasmBackend);
  };
}

/** A cast to the dtype x already has shares x's data. */
function castKernel(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const same = x.dtype === (attrs as unknown as { dtype: tf.DataType }).dtype && x.dtype !== 'string';
    return same ? shareData(x, backend as WasmBackend) : original({ inputs, backend, attrs });
  };
}

const unsortedSegmentSumKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  return segmentSumFromHeap(x, segmentIds, numSegments, backend as WasmBackend);
};

/** A new tensor on x's data: one more reference, no copy. */
function shareData(x: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Copies x[begin … begin+size) into a new tensor. The heap views are taken
 * after makeOutput: allocating may grow the wasm memory, which detaches views
 * made before it.
 */
function sliceFromHeap(x: tf.TensorInfo, begin: number[], size: number[], backend: WasmBackend): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const count = tf.util.sizeFromShape(size);
  if (count === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) {
    dst.set(src.subarray(0, 1));
    return out;
  }
  // Trailing axes the slice takes whole merge into one contiguous run per
  // position of the outer axes 0 … inner−1, which are walked as an odometer.
  const strides = [...tf.util.computeStrides(x.shape), 1];
  let inner = rank - 1;
  while (inner > 0 && size[inner] === x.shape[inner]) inner--;
  const run = size[inner] * strides[inner];
  const index = begin.slice(0, inner);
  for (let written = 0; written < count; written += run) {
    let offset = begin[inner] * strides[inner];
    for (let a = 0; a < inner; a++) offset += index[a] * strides[a];
    dst.set(src.subarray(offset, offset + run), written);
    for (let a = inner - 1; a >= 0; a--) {
      if (++index[a] < begin[a] + size[a]) break;
      index[a] = begin[a];
    }
  }
  return out;
}

/** Σ over axes 0 … k−1 of a float32 x: rows added one after another into the output. */
function sumLeadingAxesFromHeap(x: tf.TensorInfo, k: number, keepDims: boolean, backend: WasmBackend): tf.TensorInfo {
  const rest = x.shape.slice(k);
  const out = backend.makeOutput(keepDims ? [...new Array<number>(k).fill(1), ...rest] : rest, 'float32');
  const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
  const rowSize = tf.util.sizeFromShape(rest);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(0);
  // A float32 sum computed in double and stored rounds exactly as a float32 add.
  for (let r = 0; r < rows; r++) for (let j = 0, from = r * rowSize; j < rowSize; j++) dst[j] += src[from + j];
  return out;
}

/** x[indices] along axis 0: one row copy per index (row = everything after axis 0). */
function gatherRowsFromHeap(x: tf.TensorInfo, indices: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  const rows = x.shape[0];
  const rowSize = tf.util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const ids = backend.typedArrayFromHeap(indices);
  for (const id of ids) {
    if (!(id >= 0 && id < rows)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
    }
  }
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  for (let i = 0; i < ids.length; i++) dst.set(src.subarray(ids[i] * rowSize, (ids[i] + 1) * rowSize), i * rowSize);
  return out;
}

/**
 * out[s] = Σ x[n] over the n with segmentIds[n] = s, summed in order of n
 * (ids outside [0, numSegments) are dropped, as in TensorFlow). A row is
 * everything after the axes segmentIds covers. float32 and int32 only.
 */
function segmentSumFromHeap(x: tf.TensorInfo, segmentIds: tf.TensorInfo, numSegments: number, backend: WasmBackend): tf.TensorInfo {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum on wasm: dtype ${x.dtype} is not supported`);
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = tf.util.sizeFromShape(rowShape);
  const out = backend.makeOutput([numSegments, ...rowShape], x.dtype);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(0); // the heap is not zeroed
  for (let n = 0; n < rows; n++) {
    const s = ids[n];
    if (!(s >= 0 && s < numSegments)) continue;
    // A float32 sum computed in double and stored rounds exactly as a float32 add.
    for (let j = 0, from = n * rowSize, to = s * rowSize; j < rowSize; j++) dst[to + j] += src[from + j];
  }
  return out;
}
