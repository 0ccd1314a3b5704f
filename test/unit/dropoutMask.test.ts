import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { dropoutKeeps, dropoutStream } from '../../src/engine/fused/dropoutMask';

// The fused kernels' dropout mask (its TypeScript twin; the equivalence tests
// check that the kernels draw the same one): a Bernoulli mask at the asked rate,
// different for every seed, layer and direction.

test('the dropout mask keeps a share 1 − rate of the units, for several rates', () => {
  for (const rate of [0.1, 0.3, 0.5, 0.8]) {
    let kept = 0;
    const rows = 2000;
    const hidden = 50;
    for (let r = 0; r < rows; r++) for (let u = 0; u < hidden; u++) if (dropoutKeeps(12345, dropoutStream(1, 0), r, u, hidden, rate)) kept++;
    const share = kept / (rows * hidden);
    assert.ok(Math.abs(share - (1 - rate)) < 0.006, `rate ${rate}: kept ${share}`);
  }
});

test('masks differ between seeds, layers and directions, and are the same for the same arguments', () => {
  const mask = (seed: number, layer: number, direction: number) =>
    Array.from({ length: 4000 }, (_, i) => dropoutKeeps(seed, dropoutStream(layer, direction), Math.floor(i / 40), i % 40, 40, 0.5));
  const base = mask(7, 0, 0);
  assert.deepEqual(mask(7, 0, 0), base);
  for (const other of [mask(8, 0, 0), mask(7, 1, 0), mask(7, 0, 1)]) {
    const same = other.filter((keep, i) => keep === base[i]).length / base.length;
    assert.ok(same > 0.45 && same < 0.55, `about half the units agree by chance, got ${same}`);
  }
  assert.equal(dropoutKeeps(1, 0, 0, 0, 8, 0), true, 'rate 0 keeps everything');
});
