import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { biasToOnnx, kernelToOnnx, layerToOnnx, onnxGateSource } from '../../src/engine/onnx/gateLayout';

const f32 = (...v: number[]) => Float32Array.from(v);
const list = (a: Float32Array) => Array.from(a);

test('LSTM gate blocks go from Keras i,f,c,o to ONNX i,o,f,c; GRU z,r,h and RNN keep their order', () => {
  assert.deepEqual(onnxGateSource('lstm'), [0, 3, 1, 2]);
  assert.deepEqual(onnxGateSource('gru'), [0, 1, 2]);
  assert.deepEqual(onnxGateSource('rnn'), [0]);
});

test('an LSTM kernel is transposed and its gate rows reordered (H = 1, two inputs)', () => {
  // Keras [input 2, 4 gates]: row k = [i, f, c, o] of input k.
  const kernel = f32(1, 2, 3, 4, 5, 6, 7, 8);
  // ONNX [4 gates, input 2] in i, o, f, c order: i = (1, 5), o = (4, 8), f = (2, 6), c = (3, 7).
  assert.deepEqual(list(kernelToOnnx(kernel, 2, 1, onnxGateSource('lstm'))), [1, 5, 4, 8, 2, 6, 3, 7]);
});

test('units inside a gate block keep their order (LSTM, H = 2, one input)', () => {
  // Keras [1, 8] = i0 i1 f0 f1 c0 c1 o0 o1.
  assert.deepEqual(list(kernelToOnnx(f32(1, 2, 3, 4, 5, 6, 7, 8), 1, 2, onnxGateSource('lstm'))), [1, 2, 7, 8, 3, 4, 5, 6]);
});

test('a GRU kernel is only transposed (H = 2, two inputs)', () => {
  const kernel = f32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12); // [[z0 z1 r0 r1 h0 h1] for input 0, then input 1]
  assert.deepEqual(list(kernelToOnnx(kernel, 2, 2, onnxGateSource('gru'))), [1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12]);
});

test('an RNN kernel [3, 2] becomes its transpose [2, 3]', () => {
  assert.deepEqual(list(kernelToOnnx(f32(1, 2, 3, 4, 5, 6), 3, 2, onnxGateSource('rnn'))), [1, 3, 5, 2, 4, 6]);
});

test('the Keras bias becomes the input bias Wb, reordered, and the recurrent bias Rb is zero', () => {
  assert.deepEqual(list(biasToOnnx(f32(10, 20, 30, 40), 1, onnxGateSource('lstm'))), [10, 40, 20, 30, 0, 0, 0, 0]);
  assert.deepEqual(list(biasToOnnx(f32(1, 2, 3), 1, onnxGateSource('gru'))), [1, 2, 3, 0, 0, 0]);
});

test('a bidirectional layer stacks forward then backward weights along the first axis', () => {
  const forward = { kernel: f32(1, 2), recurrentKernel: f32(3), bias: f32(4) }; // RNN, input 2, H 1
  const backward = { kernel: f32(5, 6), recurrentKernel: f32(7), bias: f32(8) };
  const onnx = layerToOnnx('rnn', 2, 1, [forward, backward]);
  assert.deepEqual(onnx.W.dims, [2, 1, 2]);
  assert.deepEqual(list(onnx.W.values), [1, 2, 5, 6]);
  assert.deepEqual(onnx.R.dims, [2, 1, 1]);
  assert.deepEqual(list(onnx.R.values), [3, 7]);
  assert.deepEqual(onnx.B.dims, [2, 2]);
  assert.deepEqual(list(onnx.B.values), [4, 0, 8, 0]);
});

test('a kernel of the wrong size is refused', () => {
  assert.throws(() => kernelToOnnx(f32(1, 2, 3), 2, 1, onnxGateSource('lstm')), /expected 2×4/);
});
