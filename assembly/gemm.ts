// Single-precision matrix products for the fused training step.
//
// C[M, 8·p0 … 8·p1) (+)= A[M, K] · B[K, N], one 4×8 tile of C in eight f32x4
// accumulators at a time. B is packed once into panels of 8 columns (k-major,
// K×8 contiguous floats, zero past N) so its two vectors load with one
// instruction each; A is packed per block of rows into panels of 4 rows
// (k-major, K×4) so the four broadcasts read consecutive floats. Packing is
// O(K·(M+N)) against O(M·N·K) of arithmetic. Pointers are byte offsets into
// the (shared) linear memory; leading dimensions count floats.

/** Packs B's panels p0 … p1 (8 columns each) into `dst`, panel p at (p − p0)·K·8 floats. `trans`: B[k][n] = src[n·ld + k]. */
export function packB(src: usize, ld: i32, trans: i32, K: i32, N: i32, dst: usize, p0: i32, p1: i32): void {
  for (let p = p0; p < p1; p++) packPanel(src, ld, trans, K, N, dst + (<usize>(p - p0) * <usize>K << 5), p);
}

/**
 * packB, and each packed column's sum over B's K rows (in row order, from 0)
 * into sums[8·p0 … 8·p1): a weight gradient's packing pass gives its bias
 * gradient too. The sums read the panel just packed (in L2) instead of the
 * matrix again from memory.
 */
export function packBColumnSums(src: usize, ld: i32, trans: i32, K: i32, N: i32, dst: usize, p0: i32, p1: i32, sums: usize): void {
  for (let p = p0; p < p1; p++) {
    const panel = dst + (<usize>(p - p0) * <usize>K << 5);
    packPanel(src, ld, trans, K, N, panel, p);
    let lo = f32x4.splat(0), hi = f32x4.splat(0);
    for (let k = 0, at = panel; k < K; k++, at += 32) {
      lo = f32x4.add(lo, v128.load(at));
      hi = f32x4.add(hi, v128.load(at, 16));
    }
    const to = sums + (<usize>p << 5);
    v128.store(to, lo);
    v128.store(to, hi, 16);
  }
}

/** Packs panel p (columns 8p … 8p+8 of B, zero past N) at `out`. */
// @ts-ignore: decorator
@inline
function packPanel(src: usize, ld: i32, trans: i32, K: i32, N: i32, out: usize, p: i32): void {
  const ldBytes = <usize>ld << 2;
  const n0 = p << 3;
  const width = min(8, N - n0);
  if (!trans && width == 8) {
    let row = src + (<usize>n0 << 2);
    for (let k = 0; k < K; k++) {
      v128.store(out, v128.load(row));
      v128.store(out, v128.load(row, 16), 16);
      row += ldBytes;
      out += 32;
    }
  } else if (!trans) {
    let row = src + (<usize>n0 << 2);
    for (let k = 0; k < K; k++) {
      for (let c = 0; c < 8; c++) store<f32>(out + (<usize>c << 2), c < width ? load<f32>(row + (<usize>c << 2)) : 0);
      row += ldBytes;
      out += 32;
    }
  } else {
    // Column n of B is row n of src: walk eight source rows side by side.
    for (let k = 0; k < K; k++) {
      const at = src + (<usize>k << 2);
      for (let c = 0; c < 8; c++) store<f32>(out + (<usize>c << 2), c < width ? load<f32>(at + <usize>(n0 + c) * ldBytes) : 0);
      out += 32;
    }
  }
}

/** Packs rows m0 … m0+rows of A into 4-row panels (k-major) at `dst`; rows past M are zero. */
function packA(src: usize, ld: i32, trans: i32, M: i32, K: i32, m0: i32, rows: i32, dst: usize): void {
  const ldBytes = <usize>ld << 2;
  let out = dst;
  for (let r = 0; r < rows; r += 4) {
    const m = m0 + r;
    const valid = min(4, M - m);
    if (!trans && valid == 4) {
      let a0 = src + <usize>m * ldBytes;
      const a1 = a0 + ldBytes, a2 = a1 + ldBytes, a3 = a2 + ldBytes;
      for (let k = 0; k < K; k++) {
        const o = <usize>k << 2;
        store<f32>(out, load<f32>(a0 + o));
        store<f32>(out, load<f32>(a1 + o), 4);
        store<f32>(out, load<f32>(a2 + o), 8);
        store<f32>(out, load<f32>(a3 + o), 12);
        out += 16;
      }
    } else if (trans && valid == 4) {
      // A[m][k] = src[k·ld + m]: the four rows of a panel are four consecutive floats of one source row.
      let at = src + (<usize>m << 2);
      for (let k = 0; k < K; k++) {
        v128.store(out, v128.load(at));
        at += ldBytes;
        out += 16;
      }
    } else {
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < 4; i++) {
          let v: f32 = 0;
          if (i < valid) v = trans ? load<f32>(src + (<usize>k * ldBytes) + (<usize>(m + i) << 2)) : load<f32>(src + <usize>(m + i) * ldBytes + (<usize>k << 2));
          store<f32>(out + (<usize>i << 2), v);
        }
        out += 16;
      }
    }
  }
}

/** Rows of A packed at a time: a block of A stays in the L2 cache while every panel of B passes over it. */
const BLOCK_FLOATS: i32 = 32768;

/**
 * C[0…M, 8·p0 … 8·p1) = (acc ? C : 0) + A·B, with B's panels p0 … p1 packed
 * by packB at `Bp` and `scratch` room for max(BLOCK_FLOATS, 4·K) floats.
 */
export function gemm(M: i32, K: i32, A: usize, lda: i32, transA: i32, Bp: usize, p0: i32, p1: i32, C: usize, ldc: i32, acc: i32, scratch: usize): void {
  gemmPanels(M, K, A, lda, transA, Bp, K, p0, p1, C, ldc, acc, scratch);
}

/**
 * gemm over rows k0 … k0+K of panels packed with `panelK` rows each: `Bp`
 * points at row k0 of panel p0, A at column k0. A product split this way into
 * ranges of k adds each range's sum to C in turn (the schedule's fixed order).
 */
export function gemmPanels(M: i32, K: i32, A: usize, lda: i32, transA: i32, Bp: usize, panelK: i32, p0: i32, p1: i32, C: usize, ldc: i32, acc: i32, scratch: usize): void {
  if (M <= 0 || p1 <= p0) return;
  if (K == 0) {
    if (!acc) for (let m = 0; m < M; m++) memory.fill(C + ((<usize>m * <usize>ldc + (<usize>p0 << 3)) << 2), 0, <usize>(p1 - p0) << 5);
    return;
  }
  // A long sum (a weight gradient sums over every row of the window: K = batch·time) in slices
  // of SLICE_K: a slice of every panel stays in the L2 cache while each block of A passes over
  // it. Unsliced, each 16-row block of A streamed all of B's panels from memory, and two threads
  // were no faster than one (docs/architecture.md, "Training").
  for (let k0 = 0; k0 < K; k0 += SLICE_K) {
    const depth = min(SLICE_K, K - k0);
    const a = transA ? A + <usize>k0 * (<usize>lda << 2) : A + (<usize>k0 << 2);
    gemmSlice(M, depth, a, lda, transA, Bp + (<usize>k0 << 5), panelK, p0, p1, C, ldc, k0 > 0 ? 1 : acc, scratch);
  }
}

/** Depth of one slice of a long product: 256 rows of 8-column panels are 8 KB each, within L1 beside a 4-row panel of A. */
const SLICE_K: i32 = 256;

/** gemmPanels over one slice of k (depth ≤ SLICE_K). */
function gemmSlice(M: i32, K: i32, A: usize, lda: i32, transA: i32, Bp: usize, panelK: i32, p0: i32, p1: i32, C: usize, ldc: i32, acc: i32, scratch: usize): void {
  let block = (BLOCK_FLOATS / K) & ~3;
  if (block < 4) block = 4;
  const ldcBytes = <usize>ldc << 2;
  for (let m0 = 0; m0 < M; m0 += block) {
    const rows = min(block, M - m0);
    const padded = (rows + 3) & ~3;
    packA(A, lda, transA, M, K, m0, padded, scratch);
    for (let p = p0; p < p1; p++) {
      const bp = Bp + (<usize>(p - p0) * <usize>panelK << 5);
      for (let r = 0; r < padded; r += 4) {
        const c = C + <usize>(m0 + r) * ldcBytes + (<usize>p << 5);
        tile4x8(K, scratch + (<usize>r * <usize>K << 2), bp, c, ldcBytes, min(4, rows - r), acc);
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function tile4x8(K: i32, a: usize, b: usize, c: usize, ldcBytes: usize, rows: i32, acc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    a += 16;
    b += 32;
  }
  storeRow(c, c00, c01, acc);
  if (rows > 1) storeRow(c + ldcBytes, c10, c11, acc);
  if (rows > 2) storeRow(c + 2 * ldcBytes, c20, c21, acc);
  if (rows > 3) storeRow(c + 3 * ldcBytes, c30, c31, acc);
}

/**
 * a·b + c on four lanes. The relaxed-SIMD build (dist/fused-relaxed.wasm) may
 * fuse it into one FMA instruction (~15% faster GEMM; rounding differs by an
 * ulp); the plain build multiplies then adds.
 */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline
function storeRow(c: usize, lo: v128, hi: v128, acc: i32): void {
  if (acc) {
    lo = f32x4.add(lo, v128.load(c));
    hi = f32x4.add(hi, v128.load(c, 16));
  }
  v128.store(c, lo);
  v128.store(c, hi, 16);
}

/** Packs all M rows of A[M, K] (4-row panels, k-major, rows past M zero) at `dst` for gemmPacked: 4·⌈M/4⌉·K floats. */
export function packRows(A: usize, lda: i32, M: i32, K: i32, dst: usize): void {
  packA(A, lda, 0, M, K, 0, (M + 3) & ~3, dst);
}

/**
 * gemmPanels with A already packed by packRows at `Ap` (k0 … k0 + K of A's
 * rows packed with K columns): the products of several column ranges that
 * share one A pack it once.
 */
export function gemmPacked(M: i32, K: i32, Ap: usize, Bp: usize, panelK: i32, p0: i32, p1: i32, C: usize, ldc: i32, acc: i32): void {
  if (M <= 0 || p1 <= p0 || K <= 0) return;
  const ldcBytes = <usize>ldc << 2;
  for (let p = p0; p < p1; p++) {
    const bp = Bp + (<usize>(p - p0) * <usize>panelK << 5);
    for (let r = 0; r < M; r += 4) {
      tile4x8(K, Ap + (<usize>r * <usize>K << 2), bp, C + <usize>r * ldcBytes + (<usize>p << 5), ldcBytes, min(4, M - r), acc);
    }
  }
}
