import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs';
import { initBackend } from '../../src/engine/backend';
import { RecurrentModel } from '../../src/engine/model';
import { FusedStepper } from '../../src/engine/fused/fusedStepper';
import { measureGradientFlow, tfjsGradientFlow } from '../../src/engine/training/gradientFlow';
import type { CellType, ModelSpec } from '../../src/core/spec';
import { SeededRandom } from '../../src/core/random';
import type { StepInput } from '../../src/engine/training/stepTypes';

// The gradient-flow probe (src/engine/training/gradientFlow.ts, the fused kernels' probe pass in
// src/engine/fused/schedule.ts) against PyTorch autograd (test/fixtures/torch/gradflow.json, made by
// make_gradflow_fixtures.py: torch.autograd.grad of the last-position loss with respect to every
// retained h_t), and the fused kernels against the tfjs path.

before(async () => {
  await initBackend('cpu');
});

const steppers: FusedStepper[] = [];
after(() => steppers.forEach((s) => s.dispose()));

interface FlowCase {
  name: string;
  cell: CellType;
  layers: number;
  vocab: number;
  embedding: number;
  hidden: number;
  batch: number;
  time: number;
  tokens: number[][];
  targets: number[][];
  weights: Record<string, { shape: number[]; values: number[] }>;
  lastLoss: number[][];
  windowLoss: number[][];
}

const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'torch', 'gradflow.json');
const fixtureCases = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { cases: FlowCase[] }).cases;

/** |actual − expected| ≤ tol·|expected| at every index (relative, entry by entry: the small norms far back count too). */
function assertRelative(actual: ArrayLike<number | null>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    assert.ok(a !== null, `${what}[${i}] is not finite`);
    const err = Math.abs(a - expected[i]);
    if (!(err <= tol * Math.abs(expected[i]) + 1e-12))
      assert.fail(`${what}[${i}]: got ${a}, expected ${expected[i]} (relative ${(err / expected[i]).toExponential(2)})`);
  }
}

const specOf = (c: FlowCase): ModelSpec => ({
  cell: c.cell,
  layers: c.layers,
  hidden: c.hidden,
  embedding: c.embedding,
  dropout: 0,
  vocabSize: c.vocab,
  bidirectional: false,
});
const windowOf = (c: FlowCase): StepInput => ({
  inputs: Int32Array.from(c.tokens.flat()),
  targets: Int32Array.from(c.targets.flat()),
  batch: c.batch,
  time: c.time,
});
const weightsOf = (c: FlowCase) => new Map(Object.entries(c.weights).map(([name, w]) => [name, Float32Array.from(w.values)]));

async function fusedSource(spec: ModelSpec, weights: Map<string, Float32Array>, batch: number, time: number, threads: number) {
  const stepper = await FusedStepper.create(spec, { threads, batch, time });
  steppers.push(stepper);
  stepper.loadParameters({ weights });
  return {
    stepper,
    gradientFlow: (w: StepInput, lastOnly: boolean) => stepper.gradientFlow(w.inputs, w.targets, w.batch, w.time, lastOnly),
  };
}

for (const c of fixtureCases) {
  test(`tfjs probe: ${c.name} ‖∂L_T/∂h_t‖ and ‖∂L/∂h_t‖ per layer equal PyTorch autograd`, async () => {
    const model = new RecurrentModel(specOf(c), 1);
    model.setWeights(new Map(Object.entries(c.weights).map(([k, v]) => [k, { shape: v.shape, values: Float32Array.from(v.values) }])));
    const before = tf.memory().numTensors;
    const records = await measureGradientFlow({ gradientFlow: async (w, last) => tfjsGradientFlow(model, w, last) }, windowOf(c), 7);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    assert.equal(records.length, c.layers);
    records.forEach((r, l) => {
      assert.deepEqual([r.step, r.layer], [7, l]);
      assertRelative(r.lastLoss, c.lastLoss[l], 1e-4, `layer ${l} lastLoss`);
      assertRelative(r.windowLoss, c.windowLoss[l], 1e-4, `layer ${l} windowLoss`);
    });
    model.dispose();
  });

  for (const threads of [1, 2]) {
    test(`fused probe (${threads} thread${threads > 1 ? 's' : ''}): ${c.name} both profiles equal PyTorch autograd`, async () => {
      const source = await fusedSource(specOf(c), weightsOf(c), c.batch, c.time, threads);
      const records = await measureGradientFlow(source, windowOf(c), 3);
      records.forEach((r, l) => {
        assertRelative(r.lastLoss, c.lastLoss[l], 1e-4, `layer ${l} lastLoss`);
        assertRelative(r.windowLoss, c.windowLoss[l], 1e-4, `layer ${l} windowLoss`);
      });
    });
  }
}

function randomWindow(vocab: number, batch: number, time: number, seed: number): StepInput {
  const rng = new SeededRandom(seed);
  const n = batch * time;
  return {
    inputs: Int32Array.from({ length: n }, () => rng.nextInt(vocab)),
    targets: Int32Array.from({ length: n }, () => rng.nextInt(vocab)),
    batch,
    time,
  };
}

const largerCases: { cell: CellType; layers: number; hidden: number; embedding: number }[] = [
  { cell: 'rnn', layers: 2, hidden: 40, embedding: 0 },
  { cell: 'lstm', layers: 3, hidden: 36, embedding: 10 },
  { cell: 'gru', layers: 2, hidden: 40, embedding: 0 },
];

for (const { cell, layers, hidden, embedding } of largerCases) {
  test(`fused probe = tfjs probe (1e-4 relative) and bit-identical on 1, 2 and 3 threads: ${cell} ${layers}×${hidden}, T = 40`, async () => {
    const spec: ModelSpec = { cell, layers, hidden, embedding, dropout: 0, vocabSize: 23, bidirectional: false };
    const model = new RecurrentModel(spec, 5);
    const window = randomWindow(23, 5, 40, 9);
    const reference = await measureGradientFlow({ gradientFlow: async (w, last) => tfjsGradientFlow(model, w, last) }, window, 1);
    const weights = new Map(model.weightNames.map((name) => [name, model.variable(name).dataSync() as Float32Array]));
    const byThreads: string[] = [];
    for (const threads of [1, 2, 3]) {
      const source = await fusedSource(spec, weights, 5, 40, threads);
      const records = await measureGradientFlow(source, window, 1);
      records.forEach((r, l) => {
        assertRelative(r.lastLoss, reference[l].lastLoss as number[], 1e-4, `${threads} threads, layer ${l} lastLoss`);
        assertRelative(r.windowLoss, reference[l].windowLoss as number[], 1e-4, `${threads} threads, layer ${l} windowLoss`);
      });
      byThreads.push(JSON.stringify(records));
    }
    assert.equal(byThreads[1], byThreads[0], '2 threads = 1 thread, bit for bit');
    assert.equal(byThreads[2], byThreads[0], '3 threads = 1 thread, bit for bit');
    model.dispose();
  });
}

test('a probe between two fused steps changes nothing: the same losses, norms and weights as two steps without it', async () => {
  const spec: ModelSpec = { cell: 'lstm', layers: 2, hidden: 24, embedding: 0, dropout: 0, vocabSize: 17, bidirectional: false };
  const model = new RecurrentModel(spec, 3);
  const weights = new Map(model.weightNames.map((name) => [name, model.variable(name).dataSync() as Float32Array]));
  const update = { clipMode: 'norm' as const, clipValue: 1, optimizer: { kind: 'sgd' as const, learningRate: 0.5 } };
  const [w1, w2] = [randomWindow(17, 4, 12, 1), randomWindow(17, 4, 12, 2)];
  const run = async (probe: StepInput | undefined) => {
    const { stepper } = await fusedSource(spec, weights, 4, 12, 2);
    const first = await stepper.step(w1.inputs, w1.targets, 4, 12, undefined, update);
    // A probe window of another length re-plans the memory; the next step must not notice.
    if (probe) await stepper.gradientFlow(probe.inputs, probe.targets, probe.batch, probe.time, true);
    const second = await stepper.step(w2.inputs, w2.targets, 4, 12, first.finalState, update);
    return { losses: [first.loss, second.loss, second.gradNorm], weights: stepper.readParameters().weights };
  };
  const plain = await run(undefined);
  for (const probe of [randomWindow(17, 4, 12, 3), randomWindow(17, 3, 20, 4)]) {
    const probed = await run(probe);
    assert.deepEqual(probed.losses, plain.losses);
    for (const [name, values] of plain.weights) assert.deepEqual(probed.weights.get(name), values, name);
  }
  model.dispose();
});
