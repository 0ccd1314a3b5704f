/**
 * Checks RecurrentModel and trainStep against the PyTorch fixtures in
 * test/fixtures/torch/cells.json (see make_cell_fixtures.py beside them),
 * on whichever tfjs backend the calling test file started.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../../src/engine/tfjs';
import { RecurrentModel, crossEntropy } from '../../../src/engine/model';
import { createOptimizer } from '../../../src/engine/training/optimizers';
import { trainStep } from '../../../src/engine/training/tfjsStep';
import { disposeState } from '../../../src/engine/recurrentState';
import type { CellType } from '../../../src/core/spec';

interface Arr {
  shape: number[];
  values: number[];
}
export interface CellCase {
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
  h0: number[][][];
  c0?: number[][][];
  weights: Record<string, Arr>;
  logits: Arr;
  loss: number;
  hN: Arr[];
  cN?: Arr[];
  hiddenSeq: Arr[];
  grads: Record<string, Arr>;
  gradGlobalNorm: number;
  adamStep: {
    lr: number;
    beta1: number;
    beta2: number;
    epsilon: number;
    clipNorm: number;
    weightsAfter: Record<string, Arr>;
    gradGlobalNorm2: number;
    weightsAfter2: Record<string, Arr>;
  };
}

const FIXTURE = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'torch', 'cells.json');
export function loadCellCases(): CellCase[] {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8')).cases as CellCase[];
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * (1 + Math.abs(expected[i])))) {
      assert.fail(`${what}[${i}]: got ${actual[i]}, PyTorch ${expected[i]} (|diff| ${err.toExponential(2)} > ${tol})`);
    }
  }
}

export function modelFromCase(c: CellCase): RecurrentModel {
  const model = new RecurrentModel(
    { cell: c.cell, layers: c.layers, hidden: c.hidden, embedding: c.embedding, dropout: 0, vocabSize: c.vocab, bidirectional: false },
    1,
  );
  model.setWeights(new Map(Object.entries(c.weights).map(([k, v]) => [k, { shape: v.shape, values: Float32Array.from(v.values) }])));
  return model;
}

function stateOf(c: CellCase) {
  const h = c.h0.map((l) => tf.tensor2d(l));
  return c.cell === 'lstm' ? { h, c: c.c0!.map((l) => tf.tensor2d(l)) } : { h };
}

function windowOf(c: CellCase) {
  return { inputs: Int32Array.from(c.tokens.flat()), targets: Int32Array.from(c.targets.flat()), batch: c.batch, time: c.time };
}

export function registerCellFixtureTests(backendLabel: string): void {
  for (const c of loadCellCases()) {
    test(`${backendLabel}: ${c.name} forward pass matches PyTorch (logits, loss, hidden sequences, final states)`, () => {
      const model = modelFromCase(c);
      const state = stateOf(c);
      tf.tidy(() => {
        const result = model.forward(tf.tensor2d(c.tokens, undefined, 'int32'), state);
        assertClose(result.logits.dataSync(), c.logits.values, 1e-5, 'logits');
        const loss = crossEntropy(result.logits, tf.tensor1d(c.targets.flat(), 'int32'));
        assertClose(loss.dataSync(), [c.loss], 1e-5, 'loss');
        result.layerOutputs.forEach((seq, l) => assertClose(seq.dataSync(), c.hiddenSeq[l].values, 1e-5, `h_${l}`));
        result.finalState.h.forEach((h, l) => assertClose(h.dataSync(), c.hN[l].values, 1e-5, `hN_${l}`));
        result.finalState.c?.forEach((cc, l) => assertClose(cc.dataSync(), c.cN![l].values, 1e-5, `cN_${l}`));
      });
      disposeState(state);
      model.dispose();
    });

    test(`${backendLabel}: ${c.name} gradients of every weight match PyTorch`, () => {
      const model = modelFromCase(c);
      const state = stateOf(c);
      const targets = tf.tensor1d(c.targets.flat(), 'int32');
      const tokens = tf.tensor2d(c.tokens, undefined, 'int32');
      const { grads, value } = tf.variableGrads(() => crossEntropy(model.forward(tokens, state).logits, targets), model.trainableVariables);
      for (const v of model.trainableVariables) {
        const name = model.weightNameOf(v.name);
        assertClose(grads[v.name].dataSync(), c.grads[name].values, 1e-4, `grad ${name}`);
      }
      tf.dispose([value, ...Object.values(grads), targets, tokens]);
      disposeState(state);
      model.dispose();
    });

    test(`${backendLabel}: ${c.name} two clipped Adam steps give PyTorch's weights`, () => {
      const model = modelFromCase(c);
      const { lr, clipNorm } = c.adamStep;
      const optimizer = createOptimizer('adam', lr);
      const settings = { clipMode: 'norm' as const, clipValue: clipNorm, dropoutSeed: 0 };
      for (const [expectedNorm, after] of [
        [c.gradGlobalNorm, c.adamStep.weightsAfter],
        [c.adamStep.gradGlobalNorm2, c.adamStep.weightsAfter2],
      ] as const) {
        const state = stateOf(c);
        const outcome = trainStep(model, optimizer, windowOf(c), state, settings);
        assert.ok(outcome.applied);
        assertClose([outcome.gradNorm], [expectedNorm], 1e-5, 'global norm');
        assertClose([outcome.clippedGradNorm], [Math.min(expectedNorm, clipNorm)], 1e-5, 'clipped norm');
        disposeState(state);
        disposeState(outcome.finalState);
        for (const v of model.trainableVariables) {
          const name = model.weightNameOf(v.name);
          assertClose(v.dataSync(), after[name].values, 2e-5, `${name} after Adam`);
        }
      }
      optimizer.dispose();
      model.dispose();
    });
  }
}
