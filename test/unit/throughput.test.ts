import * as assert from 'assert/strict';
import { test } from 'node:test';
import { Vocabulary } from '../../src/core/vocabulary';
import { THROUGHPUT_WINDOW_MS, ThroughputMeter } from '../../src/engine/training/throughput';

const vocab = Vocabulary.buildChar(['ab']);
const tokens = (n: number) => new Int32Array(n).fill(vocab.tokens.indexOf('a'));

test('the speed is the steps of the last window of wall time, not the last step alone', () => {
  let clock = 0;
  const meter = new ThroughputMeter(vocab, () => clock);
  // 1,000 characters in 100 ms, then a step twice as slow: 2,000 over 300 ms.
  clock = 100;
  assert.equal(meter.record(tokens(1000), 100), 10_000);
  clock = 300;
  assert.equal(meter.record(tokens(1000), 200), (2000 / 300) * 1000);
  // A pause (an evaluation) is not step time: the window still holds both steps.
  clock = 5_000;
  assert.equal(meter.record(tokens(1000), 100), (3000 / 400) * 1000);
  // The first two steps ended more than a window before this one: only the last two count.
  clock = 300 + THROUGHPUT_WINDOW_MS + 1;
  assert.equal(meter.record(tokens(1000), 100), (2000 / 200) * 1000);
  // The session average counts every step.
  assert.equal(meter.sessionCharsPerSec, (4000 / 500) * 1000);
});

test('a step after a long pause is its own window', () => {
  let clock = 0;
  const meter = new ThroughputMeter(vocab, () => clock);
  clock = 50;
  meter.record(tokens(100), 50);
  clock = 50 + 3 * THROUGHPUT_WINDOW_MS;
  assert.equal(meter.record(tokens(300), 100), 3000);
});

test('steps that swing step to step give a steady speed', () => {
  let clock = 0;
  const meter = new ThroughputMeter(vocab, () => clock);
  const speeds: number[] = [];
  for (let i = 0; i < 400; i++) {
    const ms = i % 2 === 0 ? 20 : 60; // per step 50,000 and 16,667 chars/s
    clock += ms;
    speeds.push(meter.record(tokens(1000), ms));
  }
  const settled = speeds.slice(300);
  const spread = Math.max(...settled) / Math.min(...settled);
  assert.ok(spread < 1.02, `swings by ${spread}`);
  assert.ok(Math.abs(settled[settled.length - 1] - 25_000) < 300, `${settled[settled.length - 1]}`);
});
