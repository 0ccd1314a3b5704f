/** Neuron ranking math (src/core/neurons): hand-computed cases. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { SeededRandom } from '../../src/core/random';
import { pearson, rocAuc } from '../../src/core/neurons/statistics';
import { rankNeurons } from '../../src/core/neurons/featureRanking';
import { gateSaturation, SaturationTally } from '../../src/core/neurons/gateSaturation';
import { columnsFromMatrix, neuronLabel, strongestUnits, type NeuronRef } from '../../src/core/neurons/neuronColumns';
import { selectionMatch } from '../../src/core/neurons/selectionMatch';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

test('ROC AUC: hand-computed cases, ties counting one half', () => {
  close(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75); // 3 of 4 positive–negative pairs ordered right
  close(rocAuc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1]), 3.5 / 4); // the tie 0.5 vs 0.5 counts ½
  close(rocAuc([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
  close(rocAuc([3, 2, 1], [0, 1, 1]), 0); // a perfect detector of the other class
  close(rocAuc([1, 2, 3], [0, 1, 1]), 1);
  close(rocAuc([2, 1, 2, 3, 1], [1, 0, 0, 1, 1]), (1 + 0.5 + 1 + 1 + 0.5 + 0) / 6);
  assert.ok(Number.isNaN(rocAuc([1, 2], [1, 1])), 'one class: undefined');
});

test('ROC AUC equals the pairwise count on random scores with many ties', () => {
  const rng = new SeededRandom(5);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + rng.nextInt(60);
    const scores = Array.from({ length: n }, () => rng.nextInt(5));
    const labels = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? 0 : rng.nextInt(2)));
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        if (labels[i] && !labels[j]) {
          pairs++;
          wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
        }
    close(rocAuc(scores, labels), wins / pairs, 1e-12);
  }
});

test('Pearson r: a hand-computed case, ±1 for lines, NaN for a constant', () => {
  close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60));
  close(pearson([1, 2, 3], [7, 5, 3]), -1);
  close(pearson([1, 2, 3], [2, 4, 6]), 1);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

test('rankNeurons finds planted neurons with their sign: AUC for binary features, |r| for scalar ones', () => {
  const rng = new SeededRandom(9);
  const steps = 400;
  const inString = Float32Array.from({ length: steps }, (_, t) => (Math.floor(t / 10) % 3 === 0 ? 1 : 0));
  const depth = Float32Array.from({ length: steps }, (_, t) => Math.floor(t / 37) % 4);
  const neurons: NeuronRef[] = [0, 1, 2, 3].map((unit) => ({ layer: 1, kind: unit < 2 ? 'h' : 'c', unit }));
  const values = new Float32Array(4 * steps);
  for (let t = 0; t < steps; t++) {
    values[t] = rng.next(); // noise
    values[steps + t] = -inString[t] + 0.3 * rng.next(); // low inside strings
    values[2 * steps + t] = 2 * depth[t] + 1; // tracks depth exactly
    values[3 * steps + t] = 0.5 * inString[t] + rng.next(); // a weaker string detector
  }
  const ranking = rankNeurons(
    columnsFromMatrix(neurons, steps, values),
    [
      { name: 'inString', kind: 'binary', values: inString },
      { name: 'depth', kind: 'scalar', values: depth },
      { name: 'inComment', kind: 'binary', values: new Float32Array(steps) },
    ],
    { top: 2 },
  );
  const [strings, depthRanking, comments] = ranking;
  assert.deepEqual(
    strings.top.map((n) => neuronLabel(n.neuron)),
    ['h1[1]', 'c1[3]'],
  );
  assert.equal(strings.top[0].sign, -1);
  assert.equal(strings.top[0].score, 1);
  assert.equal(strings.top[0].auc, 0);
  assert.ok(strings.top[0].r < -0.9);
  assert.equal(
    strings.positives,
    inString.reduce((s, v) => s + v, 0),
  );
  assert.equal(neuronLabel(depthRanking.top[0].neuron), 'c1[2]');
  close(depthRanking.top[0].r, 1, 1e-6);
  assert.equal(depthRanking.top[0].sign, 1);
  assert.equal(depthRanking.top[0].auc, undefined);
  assert.deepEqual(comments.top, []);
  assert.equal(comments.note, 'never true in this text');
  assert.throws(() => rankNeurons(columnsFromMatrix(neurons, steps, values), [{ name: 'short', kind: 'scalar', values: [1, 2] }]), /2 values for 400 steps/);
});

test('gate saturation: the fractions of steps below 0.1 and above 0.9, per unit and overall', () => {
  // 4 steps × 2 units, row-major.
  const values = [0.05, 0.95, 0.5, 0.95, 0.05, 0.5, 0.95, 0.92];
  const s = gateSaturation(values, 2);
  assert.equal(s.steps, 4);
  assert.deepEqual([...s.left], [0.5, 0]);
  assert.deepEqual([...s.right], [0.25, 0.75]);
  close(s.meanLeft, 0.25);
  close(s.meanRight, 0.5);
  assert.equal(s.mostlyLeft, 0, 'exactly half is not more than half');
  assert.equal(s.mostlyRight, 1);
  const tally = new SaturationTally(2);
  tally.add(values.slice(0, 2));
  tally.add(values.slice(2));
  assert.deepEqual(tally.result(), s, 'counting in chunks gives the same');
  assert.throws(() => tally.add([0.1, 0.2, 0.3]), /whole rows/);
  // The same two units as the second half of rows of four (a bidirectional layer's backward units).
  const wide = [0, 0, 0.05, 0.95, 1, 1, 0.5, 0.95, 0, 0, 0.05, 0.5, 1, 1, 0.95, 0.92];
  const backward = new SaturationTally(2);
  backward.add(wide, 4, 2);
  assert.deepEqual(backward.result(), s, 'columns 2 and 3 of each row of 4');
  assert.throws(() => backward.add(wide, 4, 3), /units 3 to 4 are outside rows of 4/);
});

test('selection match: the neurons that set the selection apart (either sign), then where they fire together, best length match first', () => {
  const steps = 30;
  const on = (t: number) => (t >= 5 && t < 8) || (t >= 15 && t < 18) || (t >= 24 && t < 26);
  const rng = new SeededRandom(2);
  const neurons: NeuronRef[] = [0, 1, 2].map((unit) => ({ layer: 0, kind: 'h', unit }));
  const values = new Float32Array(3 * steps);
  for (let t = 0; t < steps; t++) {
    values[t] = on(t) ? 0.9 : 0.1;
    values[steps + t] = 0.1 * rng.next(); // small noise: a small effect
    values[2 * steps + t] = on(t) ? -0.8 : 0.2;
  }
  const result = selectionMatch(columnsFromMatrix(neurons, steps, values), { start: 5, end: 8 }, { neurons: 2 });
  assert.deepEqual(result.neurons.map((n) => n.neuron.unit).sort(), [0, 2]);
  const n0 = result.neurons.find((n) => n.neuron.unit === 0)!;
  close(n0.inside, 0.9, 1e-6);
  close(n0.outside, (5 * 0.9 + 22 * 0.1) / 27, 1e-6); // the other spans where it is on count as outside
  assert.ok(n0.effect > 0 && result.neurons.find((n) => n.neuron.unit === 2)!.effect < 0);
  assert.deepEqual(
    result.matches.map((m) => [m.start, m.end]),
    [
      [15, 18],
      [24, 26],
    ],
    'the selection itself is not a match',
  );
  close(result.matches[0].score, 1);
  close(result.matches[1].score, 2 / 3);
  assert.equal(selectionMatch(columnsFromMatrix(neurons, steps, values), { start: 0, end: 30 }).neurons.length, 0, 'nothing outside: nothing to compare');
  assert.throws(() => selectionMatch(columnsFromMatrix(neurons, steps, values), { start: 4, end: 4 }), /empty/);
});

test('strongestUnits: largest |value| first', () => {
  assert.deepEqual(strongestUnits([0.1, -0.9, 0.5, 0.9], 3), [
    { unit: 1, value: -0.9 },
    { unit: 3, value: 0.9 },
    { unit: 2, value: 0.5 },
  ]);
});
