/**
 * A model's internals computed with tfjs ops from its own variables, step by
 * step as RecurrentModel.runLayer does, keeping what that loop throws away:
 * the cell state and the gates. The hidden sequences are checked against
 * RecurrentModel.forward, so this is the model's computation, not a second
 * opinion about it.
 */
import * as tf from '../../../src/engine/tfjs';
import type { RecurrentModel } from '../../../src/engine/model';

export interface TfjsLayerInternals {
  h: Float32Array;
  c?: Float32Array;
  i?: Float32Array;
  f?: Float32Array;
  o?: Float32Array;
  z?: Float32Array;
  r?: Float32Array;
}

/** One sequence (batch 1) from zero state; every array is [time, hidden]. */
export function tfjsInternals(model: RecurrentModel, ids: number[]): TfjsLayerInternals[] {
  const { cell, layers, hidden: H } = model.spec;
  const result: TfjsLayerInternals[] = [];
  tf.tidy(() => {
    const time = ids.length;
    const flat = tf.tensor1d(ids, 'int32');
    let x: tf.Tensor2D | undefined = model.spec.embedding > 0 ? (tf.gather(model.variable('embedding'), flat) as tf.Tensor2D) : undefined;
    for (let l = 0; l < layers; l++) {
      const W = model.variable(`layer${l}/kernel`) as tf.Tensor2D;
      const U = model.variable(`layer${l}/recurrentKernel`) as tf.Tensor2D;
      const b = model.variable(`layer${l}/bias`);
      const projected = tf.add<tf.Tensor2D>(x ? tf.matMul(x, W) : tf.gather(W, flat), b);
      let h = tf.zeros<tf.Rank.R2>([1, H]);
      let c = tf.zeros<tf.Rank.R2>([1, H]);
      const seq: Record<string, tf.Tensor2D[]> = { h: [], c: [], i: [], f: [], o: [], z: [], r: [] };
      for (let t = 0; t < time; t++) {
        const xt = tf.slice(projected, [t, 0], [1, -1]);
        if (cell === 'rnn') h = tf.tanh(tf.add(xt, tf.matMul(h, U))) as tf.Tensor2D;
        else if (cell === 'lstm') {
          const [i, f, g, o] = tf.split<tf.Tensor2D>(tf.add(xt, tf.matMul(h, U)), 4, 1);
          const [si, sf, so] = [tf.sigmoid(i), tf.sigmoid(f), tf.sigmoid(o)];
          c = tf.add(tf.mul(sf, c), tf.mul(si, tf.tanh(g)));
          h = tf.mul(so, tf.tanh(c));
          seq.i.push(si);
          seq.f.push(sf);
          seq.o.push(so);
          seq.c.push(c);
        } else {
          const [xzr, xh] = tf.split<tf.Tensor2D>(xt, [2 * H, H], 1);
          const Uzr = tf.slice(U, [0, 0], [H, 2 * H]);
          const Uh = tf.slice(U, [0, 2 * H], [H, H]);
          const [z, r] = tf.split<tf.Tensor2D>(tf.sigmoid(tf.add(xzr, tf.matMul(h, Uzr))), 2, 1);
          const candidate = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, h), Uh)));
          h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
          seq.z.push(z);
          seq.r.push(r);
        }
        seq.h.push(h);
      }
      const layer: TfjsLayerInternals = { h: new Float32Array(0) };
      for (const [k, list] of Object.entries(seq))
        if (list.length) (layer as unknown as Record<string, Float32Array>)[k] = tf.concat(list, 0).dataSync().slice() as Float32Array;
      result.push(layer);
      x = tf.concat(seq.h, 0);
    }
  });
  return result;
}
