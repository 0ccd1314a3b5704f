// Row and column operations around the matrix products: embedding and
// one-hot lookups, biases, their gradients, and the softmax cross-entropy.
import { vexp as vexpLanes } from './activations';

// Column ranges c0 … c1 are multiples of 4; leading dimensions count floats.

// @ts-ignore: decorator
@inline
function rowAt(base: usize, row: i32, ld: i32): usize {
  return base + ((<usize>row * <usize>ld) << 2);
}

/** dst[r, c] = table[ids[r], c] (+ bias[c] when bias ≠ 0) for rows 0 … n. */
export function gatherRows(ids: usize, n: i32, table: usize, ldt: i32, bias: usize, dst: usize, ldd: i32, c0: i32, c1: i32): void {
  for (let r = 0; r < n; r++) {
    const src = rowAt(table, load<i32>(ids + (<usize>r << 2)), ldt);
    const out = rowAt(dst, r, ldd);
    for (let c = c0; c < c1; c += 4) {
      const o = <usize>c << 2;
      let v = v128.load(src + o);
      if (bias) v = f32x4.add(v, v128.load(bias + o));
      v128.store(out + o, v);
    }
  }
}

/** dst[r, c] = vector[c] for rows 0 … n: the bias, before the products accumulate onto it. */
export function broadcastRows(n: i32, vector: usize, dst: usize, ldd: i32, c0: i32, c1: i32): void {
  for (let r = 0; r < n; r++) {
    const out = rowAt(dst, r, ldd);
    for (let c = c0; c < c1; c += 4) v128.store(out + (<usize>c << 2), v128.load(vector + (<usize>c << 2)));
  }
}

/** dst[ids[r], c] += src[r, c] for rows 0 … n, in row order (the gradient of a lookup). */
export function scatterAddRows(ids: usize, n: i32, src: usize, lds: i32, dst: usize, ldd: i32, c0: i32, c1: i32): void {
  for (let r = 0; r < n; r++) {
    const from = rowAt(src, r, lds);
    const to = rowAt(dst, load<i32>(ids + (<usize>r << 2)), ldd);
    for (let c = c0; c < c1; c += 4) {
      const o = <usize>c << 2;
      v128.store(to + o, f32x4.add(v128.load(to + o), v128.load(from + o)));
    }
  }
}

/**
 * Softmax cross-entropy of rows r0 … r1 of `logits` (`vocab` real columns of
 * `ld`, the rest padding) against `targets`. Each row's logits become
 * scale · (softmax − one-hot target), padding 0; `stats` gets, per row,
 * Σ exp(logit − max) and target logit − max, from which the caller takes the
 * loss ln Σ − (target − max) in double precision.
 */
export function softmaxCrossEntropy(r0: i32, r1: i32, logits: usize, ld: i32, vocab: i32, targets: usize, scale: f32, stats: usize): void {
  const full = vocab & ~3;
  for (let r = r0; r < r1; r++) {
    const row = rowAt(logits, r, ld);
    let max = load<f32>(row);
    for (let c = 1; c < vocab; c++) max = Mathf.max(max, load<f32>(row + (<usize>c << 2)));
    const target = load<i32>(targets + (<usize>r << 2));
    const shiftedTarget = load<f32>(row + (<usize>target << 2)) - max;
    const shift = f32x4.splat(max);
    let sums = f32x4.splat(0);
    let c = 0;
    for (; c < full; c += 4) {
      const e = vexpLanes(f32x4.sub(v128.load(row + (<usize>c << 2)), shift));
      v128.store(row + (<usize>c << 2), e);
      sums = f32x4.add(sums, e);
    }
    let sum = f32x4.extract_lane(sums, 0) + f32x4.extract_lane(sums, 1) + f32x4.extract_lane(sums, 2) + f32x4.extract_lane(sums, 3);
    for (; c < vocab; c++) {
      const e = f32x4.extract_lane(vexpLanes(f32x4.splat(load<f32>(row + (<usize>c << 2)) - max)), 0);
      store<f32>(row + (<usize>c << 2), e);
      sum += e;
    }
    const stat = stats + (<usize>r << 3);
    store<f32>(stat, sum);
    store<f32>(stat, shiftedTarget, 4);
    const k = f32x4.splat(scale / sum);
    for (c = 0; c < full; c += 4) v128.store(row + (<usize>c << 2), f32x4.mul(v128.load(row + (<usize>c << 2)), k));
    for (; c < vocab; c++) store<f32>(row + (<usize>c << 2), load<f32>(row + (<usize>c << 2)) * (scale / sum));
    store<f32>(row + (<usize>target << 2), load<f32>(row + (<usize>target << 2)) - scale);
    for (c = vocab; c < ld; c++) store<f32>(row + (<usize>c << 2), 0);
  }
}


// @ts-ignore: decorator
@inline
function fmix32(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

/**
 * Inverted dropout over columns c0 … c1 of rows 0 … rows of [rows, ld] `src`
 * (row r, unit u): unit u < hidden is kept when the hash of (seed, stream,
 * r·hidden + u) gives u' = (x >> 8)·2⁻²⁴ ≥ rate, and `mask` gets `scale`
 * (1/(1 − rate)) there, 0 elsewhere (padding too); dst = src · mask.
 * src/engine/fused/dropoutMask.ts computes the same mask in TypeScript.
 */
export function dropoutRows(rows: i32, ld: i32, c0: i32, c1: i32, hidden: i32, src: usize, dst: usize, mask: usize, seed: u32, stream: u32, rate: f64, scale: f32): void {
  const base = fmix32(seed + stream * 0x9e3779b9);
  for (let r = 0; r < rows; r++) {
    const row = (<usize>r * <usize>ld) << 2;
    for (let u = c0; u < c1; u++) {
      let m: f32 = 0;
      if (u < hidden) {
        const x = fmix32(<u32>(r * hidden + u) * 0x9e3779b1 + base);
        if (<f64>(x >> 8) * (1.0 / 16777216.0) >= rate) m = scale;
      }
      const at = row + (<usize>u << 2);
      store<f32>(mask + at, m);
      store<f32>(dst + at, load<f32>(src + at) * m);
    }
  }
}

/** a[r, c] *= mask[r, c] over columns c0 … c1 (multiples of 4) of rows 0 … rows: dropout's gradient. */
export function multiplyRows(rows: i32, ld: i32, c0: i32, c1: i32, a: usize, mask: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = (<usize>r * <usize>ld) << 2;
    for (let c = c0; c < c1; c += 4) {
      const at = row + (<usize>c << 2);
      v128.store(a + at, f32x4.mul(v128.load(a + at), v128.load(mask + at)));
    }
  }
}
