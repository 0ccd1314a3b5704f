// exp, logistic σ and tanh on four lanes, accurate to float rounding (a few
// ulp; test/unit/fusedKernels.test.ts checks them against Math.exp/tanh).
// exp: e^x = 2^n · e^r with n = round(x·log₂e) and r = x − n·ln 2 split in two
// constants (Cody–Waite), e^r by a degree-7 polynomial on |r| ≤ ln2/2.

// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  // 2^n stays a normal float. pmin/pmax are one minps/maxps each (min/max add NaN and −0 fix-ups); a NaN x is kept.
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(88.3)), f32x4.splat(-87.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = horner(p, r, f32x4.splat(1.3981999507e-3));
  p = horner(p, r, f32x4.splat(8.3333452072e-3));
  p = horner(p, r, f32x4.splat(4.1665795894e-2));
  p = horner(p, r, f32x4.splat(1.6666665459e-1));
  p = horner(p, r, f32x4.splat(5.0000001201e-1));
  p = horner(f32x4.mul(p, r), r, f32x4.add(r, f32x4.splat(1)));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** p·r + c: one fused multiply-add in the relaxed-SIMD build (as gemm.ts's madd), a multiply and an add in the plain one. */
// @ts-ignore: decorator
@inline
function horner(p: v128, r: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(p, r, c);
  return f32x4.add(f32x4.mul(p, r), c);
}

// @ts-ignore: decorator
@inline
export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/** tanh|x| = (1 − e^{−2|x|}) / (1 + e^{−2|x|}), never overflowing; the sign is put back. */
// @ts-ignore: decorator
@inline
export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1);
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const e = vexp(f32x4.mul(f32x4.abs(x), f32x4.splat(-2)));
  return v128.or(f32x4.div(f32x4.sub(one, e), f32x4.add(one, e)), sign);
}

/** Test entry points: out[i] = f(in[i]) for f = 0 exp, 1 σ, 2 tanh; n a multiple of 4. */
export function applyActivation(kind: i32, input: usize, output: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const at = <usize>i << 2;
    const x = v128.load(input + at);
    v128.store(output + at, kind == 0 ? vexp(x) : kind == 1 ? vsigmoid(x) : vtanh(x));
  }
}
