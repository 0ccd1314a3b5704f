/**
 * The engine's one entry to TensorFlow.js. tfjs-core's CommonJS build ships no
 * gradient functions and no backend; the umbrella package registers both (the
 * cpu backend and every op's gradient) on the same tfjs-core instance that
 * tfjs-node and the wasm backend use.
 */
import '@tensorflow/tfjs';
export * from '@tensorflow/tfjs-core';
