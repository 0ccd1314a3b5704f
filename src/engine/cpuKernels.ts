import * as tf from './tfjs';

/**
 * The tfjs cpu backend's UnsortedSegmentSum (the gradient of tf.gather, so of
 * our one-hot and embedding lookups) builds a mask, a product and a sum for
 * every segment: 28 of the 37 s of an LSTM-256 training step (b32 s64, vocab
 * 96). Ours adds each row into its segment once. Like the cpu Sum it
 * accumulates in double, in row order, and rounds to float32 at the end, so
 * every output is the same float as before.
 */
let installed = false;

interface CpuBackend extends tf.KernelBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
}

export function installCpuKernels(): boolean {
  if (installed) return true;
  const original = tf.getKernel('UnsortedSegmentSum', 'cpu');
  if (!original) return false;
  tf.unregisterKernel('UnsortedSegmentSum', 'cpu');
  tf.registerKernel({
    ...original,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      if (x.dtype !== 'float32' || segmentIds.shape.length !== 1) return original.kernelFunc({ inputs, backend, attrs });
      const { numSegments } = attrs as unknown as { numSegments: number };
      const cpu = backend as CpuBackend;
      const ids = cpu.readSync(segmentIds.dataId) as Int32Array;
      const src = cpu.readSync(x.dataId) as Float32Array;
      const rowShape = x.shape.slice(1);
      const rowSize = tf.util.sizeFromShape(rowShape);
      const sums = new Float64Array(numSegments * rowSize);
      for (let n = 0; n < ids.length; n++) {
        const s = ids[n];
        if (!(s >= 0 && s < numSegments)) continue; // dropped, as the mask drops it
        for (let j = 0, from = n * rowSize, to = s * rowSize; j < rowSize; j++) sums[to + j] += src[from + j];
      }
      return cpu.makeTensorInfo([numSegments, ...rowShape], 'float32', Float32Array.from(sums));
    },
  });
  installed = true;
  return true;
}
