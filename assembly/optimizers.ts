// Gradient clipping and the optimizers' updates, over a column range c0 … c1
// (multiples of 4) of `rows` rows of a parameter (leading dimension `ld`), so
// each thread updates exactly the columns whose gradients it computed. The
// arithmetic follows tfjs's AdamOptimizer, RMSPropOptimizer and SGDOptimizer
// step by step (same operation order, float32), so the fused path and the tfjs
// path differ only by the rounding of the gradients themselves. `scale` is the
// global-norm clipping factor (1 when not clipping by norm). Updates read the
// weights and moments at w, m, v and write them at wOut, mOut, vOut (the other
// parameter slot: src/engine/fused/layout.ts), so a step that fails midway
// leaves the previous values whole.

// @ts-ignore: decorator
@inline
function at(base: usize, row: i32, ld: i32, col: i32): usize {
  return base + ((<usize>row * <usize>ld + <usize>col) << 2);
}

/** Σ g² over the range, in double precision (the global norm's share of this thread). */
export function sumSquares(g: usize, rows: i32, ld: i32, c0: i32, c1: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    let lanes = f32x4.splat(0);
    for (let c = c0; c < c1; c += 4) {
      const v = v128.load(at(g, r, ld, c));
      lanes = f32x4.add(lanes, f32x4.mul(v, v));
    }
    total += <f64>f32x4.extract_lane(lanes, 0) + <f64>f32x4.extract_lane(lanes, 1) + <f64>f32x4.extract_lane(lanes, 2) + <f64>f32x4.extract_lane(lanes, 3);
  }
  return total;
}

/** Clipping by value: every element into [−bound, bound]. */
export function clampRange(g: usize, rows: i32, ld: i32, c0: i32, c1: i32, bound: f32): void {
  const hi = f32x4.splat(bound);
  const lo = f32x4.splat(-bound);
  for (let r = 0; r < rows; r++) {
    for (let c = c0; c < c1; c += 4) {
      const p = at(g, r, ld, c);
      v128.store(p, f32x4.min(f32x4.max(v128.load(p), lo), hi));
    }
  }
}

/**
 * Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
 * `oneMinusAccBeta1` and `…2` are 1 − β₁ᵗ and 1 − β₂ᵗ as tfjs keeps them (float32 products);
 * 1 − β comes from the caller, computed in double precision as tfjs does.
 */
export function adamUpdate(w: usize, wOut: usize, g: usize, m: usize, mOut: usize, v: usize, vOut: usize, rows: i32, ld: i32, c0: i32, c1: i32, scale: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, oneMinusAccBeta1: f32, oneMinusAccBeta2: f32, learningRate: f32, epsilon: f32): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1m = f32x4.splat(oneMinusBeta1);
  const c2m = f32x4.splat(oneMinusBeta2);
  const corr1 = f32x4.splat(oneMinusAccBeta1);
  const corr2 = f32x4.splat(oneMinusAccBeta2);
  const eps = f32x4.splat(epsilon);
  const negLr = f32x4.splat(-learningRate);
  const k = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    for (let c = c0; c < c1; c += 4) {
      const o = at(0, r, ld, c);
      let grad = v128.load(g + o);
      if (scale != 1) grad = f32x4.mul(grad, k);
      const m1 = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(grad, c1m));
      const m2 = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(grad, grad), c2m));
      v128.store(mOut + o, m1);
      v128.store(vOut + o, m2);
      const step = f32x4.div(f32x4.div(m1, corr1), f32x4.add(f32x4.sqrt(f32x4.div(m2, corr2)), eps));
      v128.store(wOut + o, f32x4.add(f32x4.mul(step, negLr), v128.load(w + o)));
    }
  }
}

/** RMSprop (not centered): s ← ρs + (1−ρ)g², μ ← momentum·μ + lr·g / √(s + ε), w ← w − μ. */
export function rmspropUpdate(w: usize, wOut: usize, g: usize, s: usize, sOut: usize, mom: usize, momOut: usize, rows: i32, ld: i32, c0: i32, c1: i32, scale: f32, decay: f32, oneMinusDecay: f32, momentum: f32, learningRate: f32, epsilon: f32): void {
  const rho = f32x4.splat(decay);
  const oneMinusRho = f32x4.splat(oneMinusDecay);
  const mu = f32x4.splat(momentum);
  const lr = f32x4.splat(learningRate);
  const eps = f32x4.splat(epsilon);
  const k = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    for (let c = c0; c < c1; c += 4) {
      const o = at(0, r, ld, c);
      let grad = v128.load(g + o);
      if (scale != 1) grad = f32x4.mul(grad, k);
      const ms = f32x4.add(f32x4.mul(v128.load(s + o), rho), f32x4.mul(f32x4.mul(grad, grad), oneMinusRho));
      const moment = f32x4.add(f32x4.mul(v128.load(mom + o), mu), f32x4.div(f32x4.mul(grad, lr), f32x4.sqrt(f32x4.add(ms, eps))));
      v128.store(sOut + o, ms);
      v128.store(momOut + o, moment);
      v128.store(wOut + o, f32x4.sub(v128.load(w + o), moment));
    }
  }
}

/** Plain gradient descent: w ← w − lr·g (tfjs: w + (−lr)·g). */
export function sgdUpdate(w: usize, wOut: usize, g: usize, rows: i32, ld: i32, c0: i32, c1: i32, scale: f32, learningRate: f32): void {
  const negLr = f32x4.splat(-learningRate);
  const k = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    for (let c = c0; c < c1; c += 4) {
      const o = at(0, r, ld, c);
      let grad = v128.load(g + o);
      if (scale != 1) grad = f32x4.mul(grad, k);
      v128.store(wOut + o, f32x4.add(f32x4.mul(negLr, grad), v128.load(w + o)));
    }
  }
}
