import * as tf from './tfjs';

/**
 * The tfjs wasm backend runs BatchMatMul with transposeA/transposeB about 20×
 * slower than its plain path (docs/architecture.md, "Measured facts behind the design"), and every matMul
 * gradient asks for a transpose. This re-registers the wasm BatchMatMul kernel
 * so it transposes the operand explicitly (a cheap copy) and then takes the
 * plain path. Results are the same; only the memory layout work moves.
 */
let patched = false;

export function patchWasmBatchMatMul(): boolean {
  if (patched) return true;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose) return false;
  const originalFunc = original.kernelFunc;

  const transposeLastTwo = (x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo => {
    const rank = x.shape.length;
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
  };

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return originalFunc({ inputs, backend, attrs });
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const temporaries: tf.TensorInfo[] = [];
      const aIn = transposeA ? transposeLastTwo(a, backend as tf.KernelBackend) : a;
      const bIn = transposeB ? transposeLastTwo(b, backend as tf.KernelBackend) : b;
      if (transposeA) temporaries.push(aIn);
      if (transposeB) temporaries.push(bIn);
      const out = originalFunc({ inputs: { ...inputs, a: aIn, b: bIn }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      for (const t of temporaries) (backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  });
  patched = true;
  return true;
}
