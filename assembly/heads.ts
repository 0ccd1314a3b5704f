// A classifier's parts of a step (issue 13): its padded rows and its pooling.
// Rows of sequences are time-major (row t·batch + b, `ld` floats each); row b
// of a window has lengths[b] real tokens, and its steps t ≥ lengths[b] are
// padding. As src/engine/model.ts defines them, a padded step leaves a row's
// state unchanged in both directions, so its gradient is zero there.
// Columns c0 … c1 are multiples of 4.

// @ts-ignore: decorator
@inline
function rowAt(base: usize, row: i32, ld: i32): usize {
  return base + ((<usize>row * <usize>ld) << 2);
}

// @ts-ignore: decorator
@inline
function lengthOf(lengths: usize, b: i32): i32 {
  return load<i32>(lengths + (<usize>b << 2));
}

/** out[b, c] = prev[b, c] for the rows b padded at step t: their state passes through the step unchanged. */
export function keepPaddedRows(batch: i32, ld: i32, c0: i32, c1: i32, lengths: usize, t: i32, prev: usize, out: usize): void {
  for (let b = 0; b < batch; b++) {
    if (t < lengthOf(lengths, b)) continue;
    const from = rowAt(prev, b, ld);
    const to = rowAt(out, b, ld);
    for (let c = c0; c < c1; c += 4) v128.store(to + (<usize>c << 2), v128.load(from + (<usize>c << 2)));
  }
}

/** buf[b, c] = 0 for the rows b padded at step t: no gradient reaches a padded step's gates. */
export function zeroPaddedRows(batch: i32, ld: i32, c0: i32, c1: i32, lengths: usize, t: i32, buf: usize): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < batch; b++) {
    if (t < lengthOf(lengths, b)) continue;
    const row = rowAt(buf, b, ld);
    for (let c = c0; c < c1; c += 4) v128.store(row + (<usize>c << 2), zero);
  }
}

/** pooled[b, c] = (Σ_{t < lengths[b]} seq[t·batch + b, c]) / lengths[b], summed in time order. */
export function meanPool(batch: i32, ld: i32, c0: i32, c1: i32, lengths: usize, seq: usize, pooled: usize): void {
  for (let b = 0; b < batch; b++) {
    const n = lengthOf(lengths, b);
    const out = rowAt(pooled, b, ld);
    const count = f32x4.splat(<f32>n);
    for (let c = c0; c < c1; c += 4) {
      const o = <usize>c << 2;
      let sum = f32x4.splat(0);
      for (let t = 0; t < n; t++) sum = f32x4.add(sum, v128.load(rowAt(seq, t * batch + b, ld) + o));
      v128.store(out + o, f32x4.div(sum, count));
    }
  }
}

/** The gradient of meanPool: dSeq[t·batch + b, c] = dPooled[b, c] / lengths[b] for t < lengths[b], 0 for the other steps < time. */
export function meanPoolBackward(batch: i32, time: i32, ld: i32, c0: i32, c1: i32, lengths: usize, dPooled: usize, dSeq: usize): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < batch; b++) {
    const n = lengthOf(lengths, b);
    const from = rowAt(dPooled, b, ld);
    const count = f32x4.splat(<f32>n);
    for (let t = 0; t < time; t++) {
      const to = rowAt(dSeq, t * batch + b, ld);
      for (let c = c0; c < c1; c += 4) {
        const o = <usize>c << 2;
        v128.store(to + o, t < n ? f32x4.div(v128.load(from + o), count) : zero);
      }
    }
  }
}

/**
 * The gradient of "last" pooling for one direction: dSeq[t·batch + b] = dPooled[b]
 * at the step whose state the pooling read (the last real step, or step 0 for
 * the backward direction), 0 at every other step < time.
 */
export function lastPoolBackward(batch: i32, time: i32, ld: i32, c0: i32, c1: i32, lengths: usize, reverse: i32, dPooled: usize, dSeq: usize): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < batch; b++) {
    const read = reverse ? 0 : lengthOf(lengths, b) - 1;
    const from = rowAt(dPooled, b, ld);
    for (let t = 0; t < time; t++) {
      const to = rowAt(dSeq, t * batch + b, ld);
      for (let c = c0; c < c1; c += 4) {
        const o = <usize>c << 2;
        v128.store(to + o, t === read ? v128.load(from + o) : zero);
      }
    }
  }
}
