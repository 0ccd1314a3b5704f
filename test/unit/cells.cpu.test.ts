import { before } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { registerCellFixtureTests } from './support/torchCells';

before(async () => {
  await initBackend('cpu');
});
registerCellFixtureTests('cpu');
