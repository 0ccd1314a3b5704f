// exp, logistic σ and tanh on four lanes, accurate to float rounding (a few
// ulp; test/unit/fusedKernels.test.ts checks them against Math.exp/tanh).
// exp: e^x = 2^n · e^r with n = round(x·log₂e) and r = x − n·ln 2 split in two
// constants (Cody–Waite), e^r by a degree-7 polynomial on |r| ≤ ln2/2.

// The constants, in the module's data. V8 builds a v128 constant anew at each use inside a loop
// (a 64-bit move, a move to a vector register and a shuffle), and Binaryen folds a constant
// hoisted into a local back into its uses; a broadcast load (v128.load32_splat) is one
// instruction. The data lies below the plan's buffers (src/engine/fused/layout.ts PLAN_BASE);
// every instance writes the same bytes when it starts.
const FLOATS = memory.data<f32>([
  88.3, -87.3, 1.44269504, 12582912, 0.693359375, -2.12194440e-4,
  1.9875691500e-4, 1.3981999507e-3, 8.3333452072e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
  1, -2,
]);
const INTEGERS = memory.data<i32>([127, 0x80000000]);
// Byte offsets into FLOATS and INTEGERS.
const EXP_MAX = 0, EXP_MIN = 4, LOG2E = 8, ROUNDER = 12, LN2_HI = 16, LN2_LO = 20;
const P0 = 24, P1 = 28, P2 = 32, P3 = 36, P4 = 40, P5 = 44;
const ONE = 48, MINUS_TWO = 52;
const EXPONENT_BIAS = 0, SIGN_BIT = 4;

// @ts-ignore: decorator
@inline
function constant(offset: usize): v128 {
  return v128.load32_splat(FLOATS + offset);
}

// @ts-ignore: decorator
@inline
function integers(offset: usize): v128 {
  return v128.load32_splat(INTEGERS + offset);
}

/** 1.0 on four lanes, for the cell kernels' (1 − x) terms. */
// @ts-ignore: decorator
@inline
export function vone(): v128 {
  return constant(ONE);
}

// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  // 2^n stays a normal float. pmin/pmax are one minps/maxps each (min/max add NaN and −0 fix-ups); a NaN x is kept.
  x = f32x4.pmax(f32x4.pmin(x, constant(EXP_MAX)), constant(EXP_MIN));
  // n = round(x·log₂e), ties to even, by adding 1.5·2²³ (whose ulp is 1): the sum's low bits then
  // hold n + 2²², so 2^n's bits are (those bits + 127) << 23 (the shift drops everything above
  // bit 8). Cheaper than nearest + trunc_sat (about eight instructions in V8), same values.
  const shifted = f32x4.add(f32x4.mul(x, constant(LOG2E)), constant(ROUNDER));
  const n = f32x4.sub(shifted, constant(ROUNDER));
  let r = f32x4.sub(x, f32x4.mul(n, constant(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, constant(LN2_LO)));
  let p = constant(P0);
  p = horner(p, r, constant(P1));
  p = horner(p, r, constant(P2));
  p = horner(p, r, constant(P3));
  p = horner(p, r, constant(P4));
  p = horner(p, r, constant(P5));
  p = horner(f32x4.mul(p, r), r, f32x4.add(r, constant(ONE)));
  const scale = i32x4.shl(i32x4.add(shifted, integers(EXPONENT_BIAS)), 23);
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
  const one = vone();
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/** tanh|x| = (1 − e^{−2|x|}) / (1 + e^{−2|x|}), never overflowing; the sign is put back. */
// @ts-ignore: decorator
@inline
export function vtanh(x: v128): v128 {
  const one = vone();
  const sign = v128.and(x, integers(SIGN_BIT));
  const e = vexp(f32x4.mul(f32x4.abs(x), constant(MINUS_TWO)));
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
