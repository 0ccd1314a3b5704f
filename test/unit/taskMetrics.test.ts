/** The task metrics against figures worked out by hand. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { addToConfusion, emptyConfusion, taskMetrics } from '../../src/core/tasks/metrics';

const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} ≠ ${b}`);

test('accuracy, per-class precision and recall, macro-F1 and the confusion matrix of a three-class case', () => {
  // truth:     a a a a b b b c c c
  // predicted: a a a b b b a c c a
  const labels = ['a', 'b', 'c'];
  const truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
  const predicted = [0, 0, 0, 1, 1, 1, 0, 2, 2, 0];
  const confusion = emptyConfusion(3);
  addToConfusion(confusion, truth, predicted);
  assert.deepEqual(confusion, [
    [3, 1, 0],
    [1, 2, 0],
    [1, 0, 2],
  ]);
  const m = taskMetrics(confusion, labels);
  assert.equal(m.accuracy, 7 / 10);
  // a: predicted 5 times, 3 right → P 3/5; 4 true, 3 found → R 3/4; F1 = 2·(3/5)(3/4)/(3/5+3/4) = 2/3
  // b: predicted 3, 2 right → P 2/3; 3 true → R 2/3; F1 2/3
  // c: predicted 2, 2 right → P 1; 3 true → R 2/3; F1 = 2·(2/3)/(5/3) = 4/5
  close(m.classes[0].precision, 3 / 5, 'P(a)');
  close(m.classes[0].recall, 3 / 4, 'R(a)');
  close(m.classes[0].f1, 2 / 3, 'F1(a)');
  close(m.classes[1].precision, 2 / 3, 'P(b)');
  close(m.classes[1].recall, 2 / 3, 'R(b)');
  close(m.classes[2].precision, 1, 'P(c)');
  close(m.classes[2].recall, 2 / 3, 'R(c)');
  close(m.classes[2].f1, 4 / 5, 'F1(c)');
  close(m.macroF1, (2 / 3 + 2 / 3 + 4 / 5) / 3, 'macro-F1');
  assert.deepEqual(
    m.classes.map((c) => c.support),
    [4, 3, 3],
  );
});

test('a class never predicted has no precision and F1 0; a class neither present nor predicted is left out of macro-F1', () => {
  const confusion = emptyConfusion(3);
  addToConfusion(confusion, [0, 0, 1], [0, 0, 0]);
  const m = taskMetrics(confusion, ['x', 'y', 'z']);
  assert.equal(m.accuracy, 2 / 3);
  assert.equal(m.classes[1].precision, null);
  assert.equal(m.classes[1].recall, 0);
  assert.equal(m.classes[1].f1, 0);
  assert.equal(m.classes[2].f1, null);
  // x: P 2/3, R 1 → F1 0.8; y: 0; z: absent.
  close(m.macroF1, 0.4, 'macro-F1');
});

test('mismatched lengths are refused', () => {
  assert.throws(() => addToConfusion(emptyConfusion(2), [0, 1], [0]), /2 true labels but 1 predictions/);
  assert.throws(() => taskMetrics(emptyConfusion(2), ['a', 'b', 'c']), /2 classes for 3 labels/);
});
