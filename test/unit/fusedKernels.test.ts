import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createSharedMemory, fusedModule, instantiateKernels, type FusedKernels, type SimdFlavour } from '../../src/engine/fused/kernels';
import { SeededRandom } from '../../src/core/random';

// The kernels' building blocks against plain double-precision JavaScript:
// activation functions against Math.exp/Math.tanh, the packed SIMD matrix
// product against a triple loop, for both builds (plain and relaxed SIMD).

const FLAVOURS: SimdFlavour[] = ['plain', 'relaxed'];

function kernelsWithHeap(flavour: SimdFlavour, bytes = 64 * 2 ** 20): { k: FusedKernels; heap: Float32Array } {
  const memory = createSharedMemory(bytes);
  return { k: instantiateKernels(fusedModule(flavour).module, memory), heap: new Float32Array(memory.buffer) };
}

for (const flavour of FLAVOURS) {
  test(`exp, σ and tanh agree with Math.exp/Math.tanh to 1e-6 (relative for exp, absolute for σ and tanh) over [-40, 40] (${flavour} SIMD)`, () => {
    const { k, heap } = kernelsWithHeap(flavour, 8 * 2 ** 20);
    const n = 80_000;
    const input = 1 << 20;
    const output = 2 << 20;
    const xs = Float32Array.from({ length: n }, (_, i) => Math.fround(-40 + (80 * i) / n));
    heap.set(xs, input / 4);
    const reference: Array<(x: number) => number> = [Math.exp, (x) => 1 / (1 + Math.exp(-x)), Math.tanh];
    for (const [kind, f] of reference.entries()) {
      k.applyActivation(kind, input, output, n);
      let worst = 0;
      let worstAt = 0;
      for (let i = 0; i < n; i++) {
        const expected = f(xs[i]);
        const got = heap[output / 4 + i];
        const err = kind === 0 ? Math.abs(got - expected) / expected : Math.abs(got - expected);
        if (err > worst) {
          worst = err;
          worstAt = xs[i];
        }
      }
      assert.ok(worst < 1e-6, `${['exp', 'σ', 'tanh'][kind]}: error ${worst.toExponential(2)} at x = ${worstAt}`);
    }
    // Far outside the range: finite, saturated, never NaN.
    heap.set([-1e30, -100, 100, 1e30], input / 4);
    k.applyActivation(2, input, output, 4);
    assert.deepEqual([...heap.subarray(output / 4, output / 4 + 4)], [-1, -1, 1, 1]);
    k.applyActivation(1, input, output, 4);
    assert.deepEqual(
      [...heap.subarray(output / 4, output / 4 + 4)].map((v) => Math.round(v)),
      [0, 0, 1, 1],
    );
    // A NaN stays NaN through each (a diverged step must show in its loss); ±∞ saturate like ±1e30.
    heap.set([NaN, -Infinity, Infinity, 0], input / 4);
    for (const [kind, expected] of [
      [1, [0, 1, 0.5]],
      [2, [-1, 1, 0]],
    ] as const) {
      k.applyActivation(kind, input, output, 4);
      const got = [...heap.subarray(output / 4, output / 4 + 4)];
      assert.ok(Number.isNaN(got[0]), `${['exp', 'σ', 'tanh'][kind]}(NaN) = ${got[0]}`);
      expected.forEach((e, i) => assert.ok(Math.abs(got[i + 1] - e) < 1e-30, `${['exp', 'σ', 'tanh'][kind]} at −∞, +∞, 0: ${got.slice(1)}`));
    }
    k.applyActivation(0, input, output, 4);
    const exps = [...heap.subarray(output / 4, output / 4 + 4)];
    assert.ok(Number.isNaN(exps[0]) && exps[1] < 1e-37 && exps[2] > 1e38 && Number.isFinite(exps[2]) && exps[3] === 1, `exp(NaN, −∞, +∞, 0) = ${exps}`);
  });

  test(`the packed GEMM equals a triple loop: transposes, shapes off the 4×8 tile, row blocks, slices of k, accumulate, a column range (${flavour} SIMD)`, () => {
    const { k, heap } = kernelsWithHeap(flavour);
    const rng = new SeededRandom(9);
    const shapes: Array<[number, number, number]> = [
      [1, 8, 1],
      [5, 13, 7],
      [33, 40, 29],
      [130, 24, 300], // K·rows exceeds one packed block of A: several row blocks
      [3, 17, 2000], // K over one slice of k: eight slices added in turn
      [300, 16, 520], // a slice of k over several row blocks, and a short last slice
    ];
    for (const [M, N, K] of shapes) {
      for (const transA of [0, 1]) {
        for (const transB of [0, 1]) {
          for (const acc of [0, 1]) {
            const panels = Math.ceil(N / 8);
            const ldc = panels * 8;
            let next = 1 << 20;
            const alloc = (floats: number) => {
              const at = next;
              next += Math.ceil((floats * 4) / 64) * 64;
              return at;
            };
            const A = alloc(M * K);
            const B = alloc(K * N);
            const C = alloc(M * ldc);
            const packed = alloc(K * ldc);
            const scratch = alloc(Math.max(32768, 4 * K) + 16);
            const a = Float32Array.from({ length: M * K }, () => rng.next() - 0.5);
            const b = Float32Array.from({ length: K * N }, () => rng.next() - 0.5);
            const c0 = Float32Array.from({ length: M * ldc }, () => rng.next() - 0.5);
            heap.set(a, A / 4);
            heap.set(b, B / 4);
            heap.set(c0, C / 4);
            // Only panels 1… (a thread's share) when there are several: panel 0 must stay untouched.
            const p0 = panels > 1 ? 1 : 0;
            k.packB(B, transB ? K : N, transB, K, N, packed + p0 * K * 32, p0, panels);
            k.gemm(M, K, A, transA ? M : K, transA, packed + p0 * K * 32, p0, panels, C, ldc, acc, scratch);
            for (let m = 0; m < M; m++) {
              for (let n = 0; n < N; n++) {
                const got = heap[C / 4 + m * ldc + n];
                if (n < p0 * 8) {
                  assert.equal(got, c0[m * ldc + n], 'columns outside the range are untouched');
                  continue;
                }
                let sum = acc ? c0[m * ldc + n] : 0;
                for (let kk = 0; kk < K; kk++) {
                  // a is stored [M, K], or [K, M] when transposed; b is [K, N], or [N, K].
                  const av = transA ? a[kk * M + m] : a[m * K + kk];
                  const bv = transB ? b[n * K + kk] : b[kk * N + n];
                  sum += av * bv;
                }
                assert.ok(
                  Math.abs(got - sum) <= 1e-5 * Math.sqrt(K),
                  `M${M} N${N} K${K} tA${transA} tB${transB} acc${acc}: C[${m}][${n}] = ${got}, expected ${sum}`,
                );
              }
            }
          }
        }
      }
    }
  });

  test(`packBColumnSums packs as packB does and sums each column in row order, zero past N (${flavour} SIMD)`, () => {
    const { k, heap } = kernelsWithHeap(flavour);
    const rng = new SeededRandom(13);
    for (const [K, N, trans] of [
      [2048, 32, 0], // a weight gradient's shape: K = batch·time rows
      [5, 13, 0], // a short last panel
      [7, 20, 1],
    ]) {
      const panels = Math.ceil(N / 8);
      const [B, packed, summed, sums] = [1 << 20, 2 << 20, 3 << 20, 4 << 20];
      const b = Float32Array.from({ length: K * N }, () => rng.next() - 0.5);
      heap.set(b, B / 4);
      heap.fill(NaN, sums / 4, sums / 4 + panels * 8);
      // Panels 1… only: the sums of panel 0's columns must stay untouched.
      k.packB(B, trans ? K : N, trans, K, N, packed, 1, panels);
      k.packBColumnSums(B, trans ? K : N, trans, K, N, summed, 1, panels, sums);
      const length = (panels - 1) * K * 8;
      assert.deepEqual(heap.subarray(summed / 4, summed / 4 + length), heap.subarray(packed / 4, packed / 4 + length), `K${K} N${N}: the same panels`);
      for (let n = 0; n < panels * 8; n++) {
        const got = heap[sums / 4 + n];
        if (n < 8) {
          assert.ok(Number.isNaN(got), `K${K} N${N}: column ${n} of panel 0 untouched`);
          continue;
        }
        let sum = 0;
        for (let r = 0; r < K && n < N; r++) sum = Math.fround(sum + b[trans ? n * K + r : r * N + n]);
        assert.equal(got, sum, `K${K} N${N}: column ${n}`);
      }
    }
  });

  test(`a product split into ranges of k (gemmPanels, and packRows + gemmPacked) equals the triple loop, and both ways give the same floats (${flavour} SIMD)`, () => {
    const { k, heap } = kernelsWithHeap(flavour);
    const rng = new SeededRandom(11);
    for (const [M, N, K, split] of [
      [32, 40, 64, 24],
      [7, 16, 40, 8],
      [3, 24, 17, 1],
    ]) {
      const panels = N / 8;
      let next = 1 << 20;
      const alloc = (floats: number) => {
        const at = next;
        next += Math.ceil((floats * 4) / 64) * 64;
        return at;
      };
      const [A, B, C1, C2, packed, packedA] = [M * K, K * N, M * N, M * N, K * N, Math.ceil(M / 4) * 4 * K].map(alloc);
      const scratch = alloc(Math.max(32768, 4 * K) + 16);
      const a = Float32Array.from({ length: M * K }, () => rng.next() - 0.5);
      const b = Float32Array.from({ length: K * N }, () => rng.next() - 0.5);
      const c0 = Float32Array.from({ length: M * N }, () => rng.next() - 0.5);
      heap.set(a, A / 4);
      heap.set(b, B / 4);
      heap.set(c0, C1 / 4);
      heap.set(c0, C2 / 4);
      k.packB(B, N, 0, K, N, packed, 0, panels);
      // The second range of k first, then the first: C + Σ_{k ≥ split} + Σ_{k < split}, as the schedule's other half does.
      for (const [k0, k1] of [
        [split, K],
        [0, split],
      ]) {
        k.gemmPanels(M, k1 - k0, A + k0 * 4, K, 0, packed + k0 * 32, K, 0, panels, C1, N, 1, scratch);
        k.packRows(A + k0 * 4, K, M, k1 - k0, packedA);
        k.gemmPacked(M, k1 - k0, packedA, packed + k0 * 32, K, 0, panels, C2, N, 1);
      }
      for (let i = 0; i < M * N; i++) {
        const [m, n] = [Math.floor(i / N), i % N];
        let sum = c0[i];
        for (let kk = 0; kk < K; kk++) sum += a[m * K + kk] * b[kk * N + n];
        assert.ok(Math.abs(heap[C1 / 4 + i] - sum) <= 1e-5 * Math.sqrt(K), `M${M} N${N} K${K}: C[${m}][${n}] = ${heap[C1 / 4 + i]}, expected ${sum}`);
        assert.equal(heap[C2 / 4 + i], heap[C1 / 4 + i], `M${M} N${N} K${K}: gemmPacked = gemmPanels at C[${m}][${n}]`);
      }
    }
  });
}
