/**
 * Entry of the engine process, started by the extension host with
 * child_process.fork. Requests arrive on the IPC channel; responses and events
 * go back on it. When the host goes away the engine stops its training (with a
 * checkpoint) and exits.
 */
import { releaseAll } from './inference/sessionCache';
import { EngineServer } from './server';

if (!process.send) {
  process.stderr.write('rnn-lab engine: start me with child_process.fork (no IPC channel)\n');
  process.exit(1);
}

const server = new EngineServer((message) => {
  if (process.connected) process.send!(message);
});

process.on('message', (message: unknown) => {
  void server.handle(message);
});

process.on('disconnect', () => {
  server.stopAll();
  void releaseAll();
  // Give the current step and its checkpoint a moment, then leave.
  setTimeout(() => process.exit(0), 5000).unref();
});
