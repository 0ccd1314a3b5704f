import { before } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { registerCellFixtureTests } from './support/torchCells';

// The wasm backend takes other kernels (one-hot matMul lookups, the patched transposed matMul).
before(async () => {
  await initBackend('wasm');
});
registerCellFixtureTests('wasm');
