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
