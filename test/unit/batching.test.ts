import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchingError, StreamBatcher, type Window, evaluationWindows } from '../../src/core/batching';

/** data[i] = i, so every id in a window is also its position in the stream. */
const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
/** Row b of a window as a plain array. */
const row = (a: Int32Array, w: Window, b: number) => Array.from(a.subarray(b * w.time, (b + 1) * w.time));

test('stream length and windows per epoch follow the hand formulas', () => {
  // N = 20, B = 2, T = 3: usable = N − T = 17, L = ⌊17 / 2⌋ = 8, W = ⌊8 / 3⌋ = 2.
  const a = new StreamBatcher(range(20), 2, 3, 1);
  assert.equal(a.streamLength, 8);
  assert.equal(a.windowsPerEpoch, 2);
  assert.equal(a.tokensPerWindow, 6);
  // N = 100, B = 4, T = 7: usable = 93, L = ⌊93 / 4⌋ = 23, W = ⌊23 / 7⌋ = 3.
  const b = new StreamBatcher(range(100), 4, 7, 1);
  assert.equal(b.streamLength, 23);
  assert.equal(b.windowsPerEpoch, 3);
  assert.equal(b.tokensPerWindow, 28);
});

test('epoch 0 windows have the hand-computed layout (B = 2, T = 3, N = 20)', () => {
  // L = 8, offset 0. Row b of window w starts at b·8 + w·3; targets are shifted by one.
  //   window 0: row 0 = 0 1 2 -> 1 2 3;      row 1 = 8 9 10 -> 9 10 11
  //   window 1: row 0 = 3 4 5 -> 4 5 6;      row 1 = 11 12 13 -> 12 13 14
  const batcher = new StreamBatcher(range(20), 2, 3, 7);
  const w0 = batcher.next();
  assert.deepEqual(Array.from(w0.inputs), [0, 1, 2, 8, 9, 10]);
  assert.deepEqual(Array.from(w0.targets), [1, 2, 3, 9, 10, 11]);
  assert.equal(w0.batch, 2);
  assert.equal(w0.time, 3);
  assert.equal(w0.epoch, 0);
  assert.equal(w0.index, 0);
  const w1 = batcher.next();
  assert.deepEqual(Array.from(w1.inputs), [3, 4, 5, 11, 12, 13]);
  assert.deepEqual(Array.from(w1.targets), [4, 5, 6, 12, 13, 14]);
  assert.equal(w1.epoch, 0);
  assert.equal(w1.index, 1);
});

test('row b of window w + 1 starts where row b of window w ended (state carry)', () => {
  const B = 4;
  const T = 5;
  const batcher = new StreamBatcher(range(500), B, T, 3);
  const W = batcher.windowsPerEpoch; // ⌊⌊495 / 4⌋ / 5⌋ = ⌊123 / 5⌋ = 24
  assert.equal(W, 24);
  for (let epoch = 0; epoch < 3; epoch++) {
    let prev = batcher.next();
    for (let w = 1; w < W; w++) {
      const cur = batcher.next();
      assert.equal(cur.epoch, epoch);
      for (let b = 0; b < B; b++) {
        assert.equal(cur.inputs[b * T], prev.targets[b * T + T - 1], `epoch ${epoch} window ${w} row ${b}`);
      }
      prev = cur;
    }
  }
});

test('resetState is true only on window 0 of each epoch', () => {
  const batcher = new StreamBatcher(range(20), 2, 3, 1); // W = 2
  const flags = Array.from({ length: 6 }, () => batcher.next()).map((w) => [w.epoch, w.index, w.resetState]);
  assert.deepEqual(flags, [
    [0, 0, true],
    [0, 1, false],
    [1, 0, true],
    [1, 1, false],
    [2, 0, true],
    [2, 1, false],
  ]);
});

test('after windowsPerEpoch windows the epoch wraps to epoch 1 at an offset in [0, T)', () => {
  // N = 20, B = 2, T = 3, W = 2. Epoch 1 window 0 row 0 is o, o+1, o+2 and row 1 is o+8 …
  const batcher = new StreamBatcher(range(20), 2, 3, 11);
  batcher.next();
  batcher.next();
  assert.deepEqual(batcher.getPosition(), { epoch: 1, window: 0 });
  const w = batcher.next();
  const o = batcher.epochOffset(1);
  assert.ok(Number.isInteger(o) && o >= 0 && o < 3, `offset ${o}`);
  assert.equal(w.epoch, 1);
  assert.deepEqual(Array.from(w.inputs), [o, o + 1, o + 2, o + 8, o + 9, o + 10]);
  assert.deepEqual(Array.from(w.targets), [o + 1, o + 2, o + 3, o + 9, o + 10, o + 11]);
  assert.equal(batcher.epochOffset(0), 0);
});

test('epoch offsets are deterministic for a seed, within [0, T), and vary across seeds', () => {
  const T = 16;
  const data = range(1000);
  const offsets = (seed: number) => {
    const b = new StreamBatcher(data, 4, T, seed);
    return Array.from({ length: 20 }, (_, e) => b.epochOffset(e + 1));
  };
  for (const seed of [0, 1, 2, 12345, 2 ** 32 - 1]) {
    const first = offsets(seed);
    assert.deepEqual(offsets(seed), first, `seed ${seed} is deterministic`);
    assert.ok(
      first.every((o) => Number.isInteger(o) && o >= 0 && o < T),
      `seed ${seed}: ${first}`,
    );
  }
  // Epoch-1 offsets for seeds 0..19: not all the same (they are drawn from 16 values).
  const epoch1 = new Set(Array.from({ length: 20 }, (_, seed) => offsets(seed)[0]));
  assert.ok(epoch1.size > 1, `different seeds gave offsets ${[...epoch1]}`);
  // And within one seed, later epochs do not all reuse one offset.
  assert.ok(new Set(offsets(1)).size > 1);
});

test('windows never read past the data in any epoch', () => {
  // With data[i] = i, a full window has targets = inputs + 1 and each row consecutive;
  // a read past the end would leave zeros and break this.
  for (const [N, B, T] of [
    [20, 2, 3],
    [9, 2, 3],
    [101, 3, 7],
    [127, 1, 63],
  ]) {
    const batcher = new StreamBatcher(range(N), B, T, 5);
    for (let i = 0; i < batcher.windowsPerEpoch * 15; i++) {
      const w = batcher.next();
      for (let b = 0; b < B; b++) {
        const r = row(w.inputs, w, b);
        assert.deepEqual(
          row(w.targets, w, b),
          r.map((x) => x + 1),
        );
        assert.deepEqual(
          r,
          r.map((_, t) => r[0] + t),
        );
        assert.ok(r[T - 1] + 1 <= N - 1);
      }
    }
  }
});

test('setPosition to a saved position resumes with the same next window', () => {
  const data = range(300);
  const a = new StreamBatcher(data, 3, 8, 42); // L = ⌊292 / 3⌋ = 97, W = 12
  for (let i = 0; i < 17; i++) a.next(); // epoch 1, window 5
  const saved = a.getPosition();
  assert.deepEqual(saved, { epoch: 1, window: 5 });
  const expected = [a.next(), a.next(), a.next()];

  const b = new StreamBatcher(data, 3, 8, 42);
  b.setPosition(saved);
  assert.deepEqual([b.next(), b.next(), b.next()], expected);
});

test('getPosition returns a copy; setPosition rejects positions that do not fit', () => {
  const batcher = new StreamBatcher(range(20), 2, 3, 1); // W = 2
  const pos = batcher.getPosition();
  pos.window = 1;
  assert.deepEqual(batcher.getPosition(), { epoch: 0, window: 0 });
  for (const bad of [
    { epoch: 0, window: 2 },
    { epoch: 0, window: -1 },
    { epoch: -1, window: 0 },
    { epoch: NaN, window: 0 },
  ]) {
    assert.throws(() => batcher.setPosition(bad), BatchingError, JSON.stringify(bad));
  }
});

test('too-small data throws BatchingError naming the token count, batch, sequence and the minimum', () => {
  // B = 2, T = 3 needs N ≥ B·T + T = 9: at N = 9, usable = 6, L = 3, W = 1; at N = 8, L = 2, W = 0.
  assert.equal(new StreamBatcher(range(9), 2, 3, 1).windowsPerEpoch, 1);
  assert.throws(
    () => new StreamBatcher(range(8), 2, 3, 1),
    (err: unknown) => {
      assert.ok(err instanceof BatchingError);
      assert.match(err.message, /\b8 tokens/);
      assert.match(err.message, /batch 2/);
      assert.match(err.message, /sequence 3/);
      assert.match(err.message, /at least 9\b/);
      return true;
    },
  );
  assert.throws(() => new StreamBatcher(new Int32Array(0), 1, 1, 1), BatchingError);
});

// --- evaluation windows ---------------------------------------------------------

test('evaluationWindows lays the held-out stream out at offset 0 (hand example)', () => {
  // N = 20, B = 2, T = 3: batch = min(2, ⌊19 / 3⌋ = 6) = 2, L = ⌊19 / 2⌋ = 9, count = ⌊9 / 3⌋ = 3.
  //   w0: 0 1 2 -> 1 2 3 | 9 10 11 -> 10 11 12
  //   w1: 3 4 5 -> 4 5 6 | 12 13 14 -> 13 14 15
  //   w2: 6 7 8 -> 7 8 9 | 15 16 17 -> 16 17 18
  const ws = evaluationWindows(range(20), 2, 3);
  assert.equal(ws.length, 3);
  assert.deepEqual(
    ws.map((w) => Array.from(w.inputs)),
    [
      [0, 1, 2, 9, 10, 11],
      [3, 4, 5, 12, 13, 14],
      [6, 7, 8, 15, 16, 17],
    ],
  );
  assert.deepEqual(
    ws.map((w) => Array.from(w.targets)),
    [
      [1, 2, 3, 10, 11, 12],
      [4, 5, 6, 13, 14, 15],
      [7, 8, 9, 16, 17, 18],
    ],
  );
  assert.deepEqual(
    ws.map((w) => [w.batch, w.time, w.epoch, w.index, w.resetState]),
    [
      [2, 3, 0, 0, true],
      [2, 3, 0, 1, false],
      [2, 3, 0, 2, false],
    ],
  );
  // maxWindows keeps the first ones.
  assert.deepEqual(evaluationWindows(range(20), 2, 3, 2), ws.slice(0, 2));
});

test('evaluationWindows is empty below T + 1 tokens and narrows the batch for short text', () => {
  // Fewer than T + 1 = 4 tokens: ⌊(N − 1) / 3⌋ = 0 rows -> nothing.
  assert.deepEqual(evaluationWindows(range(3), 2, 3), []);
  assert.deepEqual(evaluationWindows(range(1), 2, 3), []);
  assert.deepEqual(evaluationWindows(new Int32Array(0), 2, 3), []);
  // Exactly T + 1 = 4 tokens: one row, one window: 0 1 2 -> 1 2 3.
  const one = evaluationWindows(range(4), 2, 3);
  assert.equal(one.length, 1);
  assert.equal(one[0].batch, 1);
  assert.deepEqual(Array.from(one[0].inputs), [0, 1, 2]);
  assert.deepEqual(Array.from(one[0].targets), [1, 2, 3]);
  // N = 10, B = 8, T = 3: batch = min(8, ⌊9 / 3⌋ = 3) = 3, L = ⌊9 / 3⌋ = 3, one window:
  //   rows 0 1 2 | 3 4 5 | 6 7 8, targets 1 2 3 | 4 5 6 | 7 8 9.
  const narrow = evaluationWindows(range(10), 8, 3);
  assert.equal(narrow.length, 1);
  assert.equal(narrow[0].batch, 3);
  assert.deepEqual(Array.from(narrow[0].inputs), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(narrow[0].targets), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
