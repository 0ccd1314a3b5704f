// Element-wise parts of one time step of the LSTM, GRU and vanilla RNN cells,
// forward and backward, for the hidden-unit blocks j0 … j1 (8 units each) of
// all `rows` batch rows. Gate pre-activations (x·W + b + h·U) arrive in `z`
// with the gates of a block side by side: unit block j, gate g at column
// j·8·G + g·8 (G gates). The forward pass replaces them with the activated
// gates; the backward pass replaces those with the gradients of the
// pre-activations. State rows have `hp` floats (hidden size padded to 8).
//
// Equations (σ logistic, ⊙ element-wise), as src/engine/model.ts:
//   LSTM  i,f,o = σ(·), g = tanh(·), c = f⊙c₋₁ + i⊙g, h = o⊙tanh(c)
//   GRU   z,r = σ(·), n = tanh(x·Wn + bn + (r⊙h₋₁)·Un), h = z⊙h₋₁ + (1−z)⊙n
//   RNN   h = tanh(·)

import { vone, vsigmoid, vtanh } from './activations';

// @ts-ignore: decorator
@inline
function at(base: usize, row: i32, ld: i32, col: i32): usize {
  return base + ((<usize>row * <usize>ld + <usize>col) << 2);
}

export function lstmForward(rows: i32, hp: i32, j0: i32, j1: i32, z: usize, cPrev: usize, cOut: usize, hOut: usize): void {
  const ldz = hp << 2;
  for (let r = 0; r < rows; r++) {
    for (let j = j0; j < j1; j++) {
      for (let half = 0; half < 8; half += 4) {
        const zi = at(z, r, ldz, (j << 5) + half);
        const s = at(0, r, hp, (j << 3) + half);
        const i = vsigmoid(v128.load(zi));
        const f = vsigmoid(v128.load(zi, 32));
        const g = vtanh(v128.load(zi, 64));
        const o = vsigmoid(v128.load(zi, 96));
        v128.store(zi, i);
        v128.store(zi, f, 32);
        v128.store(zi, g, 64);
        v128.store(zi, o, 96);
        const c = f32x4.add(f32x4.mul(f, v128.load(cPrev + s)), f32x4.mul(i, g));
        v128.store(cOut + s, c);
        v128.store(hOut + s, f32x4.mul(o, vtanh(c)));
      }
    }
  }
}

/** dh = dhAbove + dhRec; `dc` carries ∂L/∂c from step t+1 in and to step t−1 out. */
export function lstmBackward(rows: i32, hp: i32, j0: i32, j1: i32, z: usize, cPrev: usize, c: usize, dhAbove: usize, dhRec: usize, dc: usize): void {
  const one = vone();
  const ldz = hp << 2;
  for (let r = 0; r < rows; r++) {
    for (let j = j0; j < j1; j++) {
      for (let half = 0; half < 8; half += 4) {
        const zi = at(z, r, ldz, (j << 5) + half);
        const s = at(0, r, hp, (j << 3) + half);
        const i = v128.load(zi);
        const f = v128.load(zi, 32);
        const g = v128.load(zi, 64);
        const o = v128.load(zi, 96);
        const tc = vtanh(v128.load(c + s));
        const dh = f32x4.add(v128.load(dhAbove + s), v128.load(dhRec + s));
        const dcTotal = f32x4.add(v128.load(dc + s), f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(tc, tc))));
        v128.store(zi, f32x4.mul(f32x4.mul(dcTotal, g), f32x4.mul(i, f32x4.sub(one, i))));
        v128.store(zi, f32x4.mul(f32x4.mul(dcTotal, v128.load(cPrev + s)), f32x4.mul(f, f32x4.sub(one, f))), 32);
        v128.store(zi, f32x4.mul(f32x4.mul(dcTotal, i), f32x4.sub(one, f32x4.mul(g, g))), 64);
        v128.store(zi, f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(o, f32x4.sub(one, o))), 96);
        v128.store(dc + s, f32x4.mul(dcTotal, f));
      }
    }
  }
}

export function rnnForward(rows: i32, hp: i32, j0: i32, j1: i32, z: usize, hOut: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let u = j0 << 3; u < j1 << 3; u += 4) {
      const s = at(0, r, hp, u);
      const h = vtanh(v128.load(z + s));
      v128.store(z + s, h);
      v128.store(hOut + s, h);
    }
  }
}

export function rnnBackward(rows: i32, hp: i32, j0: i32, j1: i32, z: usize, dhAbove: usize, dhRec: usize): void {
  const one = vone();
  for (let r = 0; r < rows; r++) {
    for (let u = j0 << 3; u < j1 << 3; u += 4) {
      const s = at(0, r, hp, u);
      const h = v128.load(z + s);
      const dh = f32x4.add(v128.load(dhAbove + s), v128.load(dhRec + s));
      v128.store(z + s, f32x4.mul(dh, f32x4.sub(one, f32x4.mul(h, h))));
    }
  }
}

/** GRU, first half of a step: z, r from their pre-activations (`zr`, 2 gates); rh = r ⊙ h₋₁ for the candidate's product. */
export function gruForwardGates(rows: i32, hp: i32, j0: i32, j1: i32, zr: usize, hPrev: usize, rh: usize): void {
  const ldz = hp << 1;
  for (let r = 0; r < rows; r++) {
    for (let j = j0; j < j1; j++) {
      for (let half = 0; half < 8; half += 4) {
        const zi = at(zr, r, ldz, (j << 4) + half);
        const s = at(0, r, hp, (j << 3) + half);
        const zg = vsigmoid(v128.load(zi));
        const rg = vsigmoid(v128.load(zi, 32));
        v128.store(zi, zg);
        v128.store(zi, rg, 32);
        v128.store(rh + s, f32x4.mul(rg, v128.load(hPrev + s)));
      }
    }
  }
}

/** GRU, second half: the candidate n = tanh(pre-activation in `n`) and h = n + z ⊙ (h₋₁ − n). */
export function gruForwardOutput(rows: i32, hp: i32, j0: i32, j1: i32, zr: usize, n: usize, hPrev: usize, hOut: usize): void {
  const ldz = hp << 1;
  for (let r = 0; r < rows; r++) {
    for (let j = j0; j < j1; j++) {
      for (let half = 0; half < 8; half += 4) {
        const zi = at(zr, r, ldz, (j << 4) + half);
        const s = at(0, r, hp, (j << 3) + half);
        const cand = vtanh(v128.load(n + s));
        v128.store(n + s, cand);
        v128.store(hOut + s, f32x4.add(cand, f32x4.mul(v128.load(zi), f32x4.sub(v128.load(hPrev + s), cand))));
      }
    }
  }
}

/**
 * GRU backward, first half: with dh = dhAbove + dhRec, writes the candidate's
 * pre-activation gradient into `n`, z's into `zr`, and dh ⊙ z (the direct path
 * to h₋₁) into `dhRec`, which the rest of the step then adds to.
 */
export function gruBackwardCandidate(rows: i32, hp: i32, j0: i32, j1: i32, zr: usize, n: usize, hPrev: usize, dhAbove: usize, dhRec: usize): void {
  const one = vone();
  const ldz = hp << 1;
  for (let r = 0; r < rows; r++) {
    for (let j = j0; j < j1; j++) {
      for (let half = 0; half < 8; half += 4) {
        const zi = at(zr, r, ldz, (j << 4) + half);
        const s = at(0, r, hp, (j << 3) + half);
        const zg = v128.load(zi);
        const cand = v128.load(n + s);
        const dh = f32x4.add(v128.load(dhAbove + s), v128.load(dhRec + s));
        v128.store(n + s, f32x4.mul(f32x4.mul(dh, f32x4.sub(one, zg)), f32x4.sub(one, f32x4.mul(cand, cand))));
        v128.store(zi, f32x4.mul(f32x4.mul(dh, f32x4.sub(v128.load(hPrev + s), cand)), f32x4.mul(zg, f32x4.sub(one, zg))));
        v128.store(dhRec + s, f32x4.mul(dh, zg));
      }
    }
  }
}

/** GRU backward, second half: from drh = ∂L/∂(r⊙h₋₁), r's pre-activation gradient into `zr` and drh ⊙ r added to dhRec. */
export function gruBackwardReset(rows: i32, hp: i32, j0: i32, j1: i32, zr: usize, hPrev: usize, drh: usize, dhRec: usize): void {
  const one = vone();
  const ldz = hp << 1;
  for (let r = 0; r < rows; r++) {
    for (let j = j0; j < j1; j++) {
      for (let half = 0; half < 8; half += 4) {
        const zi = at(zr, r, ldz, (j << 4) + half);
        const s = at(0, r, hp, (j << 3) + half);
        const rg = v128.load(zi, 32);
        const d = v128.load(drh + s);
        v128.store(zi, f32x4.mul(f32x4.mul(d, v128.load(hPrev + s)), f32x4.mul(rg, f32x4.sub(one, rg))), 32);
        v128.store(dhRec + s, f32x4.add(v128.load(dhRec + s), f32x4.mul(d, rg)));
      }
    }
  }
}
