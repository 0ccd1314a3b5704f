import * as assert from 'node:assert/strict';

/** max |actual − expected| over max |expected|: the error relative to the array's largest entry. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    norm = Math.max(norm, Math.abs(expected[i]));
  }
  return diff / Math.max(norm, 1e-12);
}
