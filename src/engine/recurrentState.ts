import * as tf from './tfjs';
import type { RecurrentState } from './model';

/** Marks a state's tensors as surviving the surrounding tidy scope. */
export function keepState(state: RecurrentState): RecurrentState {
  return { h: state.h.map((t) => tf.keep(t)), c: state.c?.map((t) => tf.keep(t)) };
}

export function disposeState(state: RecurrentState | undefined): void {
  if (!state) return;
  tf.dispose(state.h);
  if (state.c) tf.dispose(state.c);
}
