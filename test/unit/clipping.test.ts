import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipScale, globalNorm } from '../../src/core/clipping';
import { learningRateAt } from '../../src/core/schedule';

const close = (actual: number, expected: number, tol = 1e-12) => assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

test('globalNorm is the L2 norm over all gradient arrays together', () => {
  // √(3² + 4² + 12²) = √(9 + 16 + 144) = √169 = 13
  assert.equal(globalNorm([[3, 4], [12]]), 13);
  // Typed arrays work too: √(1 + 4 + 4) = 3 (signs do not matter).
  assert.equal(globalNorm([Float32Array.from([1, -2]), Float64Array.from([-2])]), 3);
  assert.equal(globalNorm([]), 0);
  assert.equal(globalNorm([[], [0, 0]]), 0);
});

test('clipScale brings the norm down to the threshold: clipScale(13, 5) = 5/13', () => {
  assert.equal(clipScale(13, 5), 5 / 13);
});

test('clipScale never scales up: 1 at or below the threshold', () => {
  assert.equal(clipScale(2, 5), 1);
  assert.equal(clipScale(5, 5), 1);
  assert.equal(clipScale(0, 5), 1);
});

test('clipScale(NaN, τ) returns 1 (a NaN norm is left for the caller to detect, not clipped)', () => {
  assert.equal(clipScale(NaN, 5), 1);
});

test('clipping scales the global norm to the threshold and never above', () => {
  // [[3, 4], [12]] · 5/13 = [[15/13, 20/13], [60/13]]; norm = √(225 + 400 + 3600) / 13 = 65 / 13 = 5.
  const grads = [[3, 4], [12]];
  const s = clipScale(globalNorm(grads), 5);
  const clipped = grads.map((g) => g.map((x) => x * s));
  close(clipped[0][0], 15 / 13);
  close(clipped[0][1], 20 / 13);
  close(clipped[1][0], 60 / 13);
  close(globalNorm(clipped), 5);
  // A threshold above the norm leaves the gradients alone: norm stays 13.
  const untouched = grads.map((g) => g.map((x) => x * clipScale(globalNorm(grads), 20)));
  assert.deepEqual(untouched, grads);
});

test('learningRateAt decays by 0.5 every 10 steps (steps 0, 9, 10, 25)', () => {
  // lr · 0.5^⌊step / 10⌋ with lr = 0.1:
  //   step 0  -> ⌊0/10⌋ = 0  -> 0.1
  //   step 9  -> ⌊9/10⌋ = 0  -> 0.1
  //   step 10 -> ⌊10/10⌋ = 1 -> 0.05
  //   step 25 -> ⌊25/10⌋ = 2 -> 0.025
  close(learningRateAt(0, 0.1, 0.5, 10), 0.1);
  close(learningRateAt(9, 0.1, 0.5, 10), 0.1);
  close(learningRateAt(10, 0.1, 0.5, 10), 0.05);
  close(learningRateAt(25, 0.1, 0.5, 10), 0.025);
});

test('learningRateAt with decay 1 is constant', () => {
  for (const step of [0, 1, 999, 1000, 123456]) assert.equal(learningRateAt(step, 2e-3, 1, 1000), 2e-3);
});
