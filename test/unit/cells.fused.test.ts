import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend';
import { createOptimizer } from '../../src/engine/training/optimizers';
import { FusedStepper } from '../../src/engine/fused/fusedStepper';
import { fusedTrainStep } from '../../src/engine/fused/fusedTraining';
import { disposeState } from '../../src/engine/recurrentState';
import * as tf from '../../src/engine/tfjs';
import { assertClose, loadCellCases, modelFromCase, type CellCase } from './support/torchCells';

// The fused kernels against PyTorch directly (test/fixtures/torch/cells.json,
// made by make_cell_fixtures.py): the same forward pass, gradients and two
// clipped Adam steps the tfjs path is checked against in cells.*.test.ts.

before(async () => {
  await initBackend('wasm'); // the model and optimizer that the fused path writes back into
});

const steppers: FusedStepper[] = [];
after(() => steppers.forEach((s) => s.dispose()));

async function stepperFor(c: CellCase, threads: number): Promise<FusedStepper> {
  const stepper = await FusedStepper.create(
    { cell: c.cell, layers: c.layers, hidden: c.hidden, embedding: c.embedding, dropout: 0, vocabSize: c.vocab, bidirectional: false },
    { threads, batch: c.batch, time: c.time },
  );
  steppers.push(stepper);
  return stepper;
}

const initialState = (c: CellCase) => ({ h: c.h0.map((l) => Float32Array.from(l.flat())), c: c.c0?.map((l) => Float32Array.from(l.flat())) });
const window = (c: CellCase) => ({ inputs: Int32Array.from(c.tokens.flat()), targets: Int32Array.from(c.targets.flat()), batch: c.batch, time: c.time });

for (const c of loadCellCases()) {
  // Hidden 4 gives one 8-unit block: a second thread owns no units but still shares the vocabulary and rows.
  const threads = c.layers === 2 ? 2 : 1;
  test(`fused (${threads} thread${threads > 1 ? 's' : ''}): ${c.name} loss, final states and every gradient match PyTorch`, async () => {
    const stepper = await stepperFor(c, threads);
    stepper.loadParameters({ weights: new Map(Object.entries(c.weights).map(([name, w]) => [name, Float32Array.from(w.values)])) });
    const w = window(c);
    const result = await stepper.step(w.inputs, w.targets, c.batch, c.time, initialState(c));
    assertClose([result.loss], [c.loss], 1e-5, 'loss');
    assertClose([result.gradNorm], [c.gradGlobalNorm], 1e-5, 'global gradient norm');
    result.finalState.h.forEach((h, l) => assertClose(h, c.hN[l].values, 1e-5, `hN_${l}`));
    result.finalState.c?.forEach((cs, l) => assertClose(cs, c.cN![l].values, 1e-5, `cN_${l}`));
    const grads = stepper.readGradients();
    assert.deepEqual([...grads.keys()].sort(), Object.keys(c.grads).sort());
    for (const [name, g] of grads) assertClose(g, c.grads[name].values, 1e-4, `grad ${name}`);
  });

  test(`fused: ${c.name} two clipped Adam steps give PyTorch's weights`, async () => {
    const stepper = await stepperFor(c, threads);
    const model = modelFromCase(c);
    const { lr, clipNorm } = c.adamStep;
    const optimizer = createOptimizer('adam', lr);
    const settings = { clipMode: 'norm' as const, clipValue: clipNorm, dropoutSeed: 0 };
    for (const [expectedNorm, weightsAfter] of [
      [c.gradGlobalNorm, c.adamStep.weightsAfter],
      [c.adamStep.gradGlobalNorm2, c.adamStep.weightsAfter2],
    ] as const) {
      const state = { h: c.h0.map((l) => tf.tensor2d(l)), c: c.c0?.map((l) => tf.tensor2d(l)) };
      const outcome = await fusedTrainStep(stepper, model, optimizer, window(c), state, settings);
      assert.ok(outcome.applied);
      assertClose([outcome.gradNorm], [expectedNorm], 1e-5, 'global norm');
      assertClose([outcome.clippedGradNorm], [Math.min(expectedNorm, clipNorm)], 1e-5, 'clipped norm');
      disposeState(state);
      disposeState(outcome.finalState);
      for (const name of model.weightNames) assertClose(model.variable(name).dataSync(), weightsAfter[name].values, 2e-5, `${name} after Adam`);
    }
    optimizer.dispose();
    model.dispose();
  });
}
