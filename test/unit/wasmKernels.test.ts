/**
 * The wasm kernels of src/engine/wasmKernels.ts against plain JavaScript
 * references: copies must give exactly the selected values, sums exactly the
 * float32 sums in row order (what the original kernels and a one-hot matMul give).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend';
import * as tf from '../../src/engine/tfjs';
import { SeededRandom } from '../../src/core/random';

before(async () => {
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
});

const rng = new SeededRandom(7);
const randomValues = (n: number) => Float32Array.from({ length: n }, () => (rng.next() - 0.5) * Math.exp(6 * rng.next()));
const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** x[begin … begin+size) by walking every output index. */
function referenceSlice(values: Float32Array, shape: number[], begin: number[], size: number[]): number[] {
  const st = strides(shape);
  const out: number[] = [];
  const walk = (axis: number, offset: number) => {
    if (axis === shape.length) return void out.push(values[offset]);
    for (let i = begin[axis]; i < begin[axis] + size[axis]; i++) walk(axis + 1, offset + i * st[axis]);
  };
  walk(0, 0);
  return out;
}

test('wasm slice returns exactly the selected elements for ranks 1–4, contiguous or not', () => {
  const cases: Array<[number[], number[], number[]]> = [
    [[10], [3], [4]],
    [
      [4, 6],
      [1, 2],
      [2, 3],
    ],
    [
      [4, 6],
      [1, 0],
      [2, 6],
    ],
    [
      [3, 5, 7],
      [1, 2, 3],
      [2, 2, 4],
    ],
    [
      [3, 5, 7],
      [0, 2, 0],
      [3, 1, 7],
    ],
    [
      [2, 3, 4, 5],
      [1, 0, 1, 2],
      [1, 3, 2, 3],
    ],
    [
      [2, 3, 4, 5],
      [0, 1, 0, 0],
      [2, 2, 4, 5],
    ],
  ];
  for (const [shape, begin, size] of cases) {
    const values = randomValues(shape.reduce((a, b) => a * b, 1));
    tf.tidy(() => {
      const got = tf.slice(tf.tensor(values, shape), begin, size);
      assert.deepEqual(got.shape, size);
      assert.deepEqual(Array.from(got.dataSync()), referenceSlice(values, shape, begin, size), `slice of [${shape}] at [${begin}] size [${size}]`);
    });
  }
});

test('wasm split and unstack give the same pieces as slicing, on every axis', () => {
  const shape = [3, 4, 6];
  const values = randomValues(72);
  tf.tidy(() => {
    const x = tf.tensor3d(values, shape as [number, number, number]);
    for (let axis = 0; axis < 3; axis++) {
      const pieces = tf.unstack(x, axis);
      pieces.forEach((p, i) => {
        const begin = [0, 0, 0];
        const size = shape.slice();
        begin[axis] = i;
        size[axis] = 1;
        assert.deepEqual(
          p.shape,
          shape.filter((_, a) => a !== axis),
        );
        assert.deepEqual(Array.from(p.dataSync()), referenceSlice(values, shape, begin, size));
      });
    }
    const [a, b] = tf.split(x, [2, 4], 2);
    assert.deepEqual(Array.from(a.dataSync()), referenceSlice(values, shape, [0, 0, 0], [3, 4, 2]));
    assert.deepEqual(Array.from(b.dataSync()), referenceSlice(values, shape, [0, 0, 2], [3, 4, 4]));
  });
});

test('wasm gather of rows copies rows and rejects an index out of range', () => {
  const values = randomValues(5 * 3);
  tf.tidy(() => {
    const table = tf.tensor2d(values, [5, 3]);
    const got = tf.gather(table, tf.tensor1d([4, 0, 4, 2], 'int32'));
    assert.deepEqual(
      Array.from(got.dataSync()),
      [4, 0, 4, 2].flatMap((r) => Array.from(values.subarray(r * 3, r * 3 + 3))),
    );
    assert.throws(() => tf.gather(table, tf.tensor1d([5], 'int32')), /not in \[0, 4\]/);
  });
});

test('wasm sum over leading axes is the float32 sum in row order, keepDims included', () => {
  const values = randomValues(6 * 4 * 5);
  const expected = new Float32Array(5);
  for (let r = 0; r < 24; r++) for (let j = 0; j < 5; j++) expected[j] += values[r * 5 + j];
  tf.tidy(() => {
    const x = tf.tensor3d(values, [6, 4, 5]);
    assert.deepEqual(Array.from(tf.sum(x, [0, 1]).dataSync()), Array.from(expected));
    assert.deepEqual(tf.sum(x, [1, 0], true).shape, [1, 1, 5]);
    // The other reductions still take the original kernel.
    assert.equal(tf.sum(x).shape.length, 0);
    assert.deepEqual(tf.sum(x, 2).shape, [6, 4]);
  });
});

test('the gradient of a wasm gather is the one-hot product oneHotᵀ·dy, bit for bit', () => {
  const vocab = 7;
  const ids = Int32Array.from({ length: 50 }, () => rng.nextInt(vocab));
  const table = tf.variable(tf.tensor2d(randomValues(vocab * 4), [vocab, 4]));
  const dy = tf.tensor2d(randomValues(50 * 4), [50, 4]);
  tf.tidy(() => {
    const idsT = tf.tensor1d(ids, 'int32');
    const viaGather = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idsT), dy)))(table);
    const oneHot = tf.cast(tf.oneHot(idsT, vocab), 'float32');
    const viaMatMul = tf.matMul(oneHot, dy, true, false);
    assert.deepEqual(Array.from(viaGather.dataSync()), Array.from(viaMatMul.dataSync()));
  });
  tf.dispose([table, dy]);
});

test('a wasm clone shares data that outlives the original', () => {
  const values = randomValues(8);
  const x = tf.tensor1d(values);
  const y = tf.clone(x);
  const z = tf.cast(x, 'float32');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), Array.from(values));
  y.dispose();
  assert.deepEqual(Array.from(z.dataSync()), Array.from(values));
  z.dispose();
});
