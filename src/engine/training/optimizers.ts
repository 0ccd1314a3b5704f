import * as tf from '../tfjs';
import type { OptimizerName } from '../../core/spec';

/**
 * Optimizers with the hyper-parameters PyTorch uses by default (Adam ε = 1e-8,
 * not tfjs's backend ε of 1e-7), so runs compare with the literature.
 */
export function createOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate, 0.95, 0, 1e-8);
    case 'sgd':
      return tf.train.sgd(learningRate);
  }
}

/** Changes the learning rate of a live optimizer (decay) without losing its moments. */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  // tfjs's optimizer classes answer `instanceof` by duck typing, so test for the method instead.
  const sgd = optimizer as Partial<tf.SGDOptimizer>;
  if (typeof sgd.setLearningRate === 'function') sgd.setLearningRate(learningRate);
  else (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

/** β^n as Adam's steps compute it: fround(β), then n − 1 float32 products by fround(β) (it reaches 0 within about 10⁵ steps). */
export function float32Power(beta: number, n: number): number {
  const b = Math.fround(beta);
  let power = b;
  for (let i = 1; i < n && power !== 0; i++) power = Math.fround(power * b);
  return power;
}

/**
 * After setWeights, tfjs's Adam recomputes its β powers with pow, while its
 * steps multiply: the two differ in the last bits. Setting the products makes
 * a run resumed from a checkpoint continue exactly as an uninterrupted one.
 */
export function restoreAdamPowers(optimizer: tf.Optimizer): void {
  const adam = optimizer as unknown as Partial<{ accBeta1: tf.Variable; accBeta2: tf.Variable; beta1: number; beta2: number }>;
  const { accBeta1, accBeta2, beta1, beta2 } = adam;
  if (!accBeta1 || !accBeta2 || typeof beta1 !== 'number' || typeof beta2 !== 'number') return;
  const n = optimizer.iterations + 1;
  tf.tidy(() => {
    accBeta1.assign(tf.scalar(float32Power(beta1, n)));
    accBeta2.assign(tf.scalar(float32Power(beta2, n)));
  });
}
