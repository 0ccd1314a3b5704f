import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/core/random';

const draws = (r: SeededRandom, n: number) => Array.from({ length: n }, () => r.next());

test('SeededRandom matches the reference mulberry32 sequence', () => {
  // Computed outside this project with an independent Python port of the published mulberry32
  // (a += 0x6D2B79F5; t = imul(a ^ a>>>15, a|1); t = (t + imul(t ^ t>>>7, t|61)) ^ t;
  //  return ((t ^ t>>>14) >>> 0) / 2^32):
  //   seed 0:  0.26642920868471265, 0.0003297457005828619, 0.2232720274478197
  //   seed 42: 0.6011037519201636,  0.44829055899754167,   0.8524657934904099
  assert.deepEqual(draws(new SeededRandom(0), 3), [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
  assert.deepEqual(draws(new SeededRandom(42), 3), [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
});

test('SeededRandom is deterministic for a seed', () => {
  assert.deepEqual(draws(new SeededRandom(7), 100), draws(new SeededRandom(7), 100));
});

test('SeededRandom sequences differ across seeds', () => {
  const a = draws(new SeededRandom(1), 20);
  const b = draws(new SeededRandom(2), 20);
  assert.notDeepEqual(a, b);
  assert.ok(a.filter((x, i) => x === b[i]).length === 0);
});

test('next() stays in [0, 1)', () => {
  const r = new SeededRandom(123);
  for (let i = 0; i < 10_000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1, `draw ${i}: ${x}`);
  }
});

test('nextInt(n) gives integers in [0, n) and reaches every value', () => {
  const r = new SeededRandom(5);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const k = r.nextInt(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7, `${k}`);
    seen.add(k);
  }
  assert.equal(seen.size, 7);
  for (let i = 0; i < 100; i++) assert.equal(r.nextInt(1), 0);
});

test('getState/fromState continues the same sequence', () => {
  const r = new SeededRandom(99);
  draws(r, 37);
  const resumed = SeededRandom.fromState(r.getState());
  assert.deepEqual(draws(resumed, 50), draws(r, 50));
  // Gaussians too (they consume two uniforms each).
  const g = SeededRandom.fromState(r.getState());
  assert.deepEqual(
    Array.from({ length: 10 }, () => g.nextGaussian()),
    Array.from({ length: 10 }, () => r.nextGaussian()),
  );
});

test('nextGaussian has mean ≈ 0 and variance ≈ 1 over 20k draws', () => {
  // Standard errors at n = 20 000: mean ≈ 1/√n ≈ 0.007, variance ≈ √(2/n) ≈ 0.01.
  // Bounds of 0.05 and 0.1 are several standard errors wide.
  const r = new SeededRandom(2024);
  const n = 20_000;
  const xs = Array.from({ length: n }, () => r.nextGaussian());
  assert.ok(xs.every(Number.isFinite));
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.1, `variance ${variance}`);
});
