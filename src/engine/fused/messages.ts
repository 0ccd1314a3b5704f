import type { FusedPlan } from './layout';

/** What a fused-kernel worker thread is given when it starts (worker_threads' workerData). */
export interface FusedWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  thread: number;
  threads: number;
  /** Tests only: the worker exits in the middle of its step number `exitDuringStep` (1-based). */
  exitDuringStep?: number;
}

/** Main thread → worker. */
export type ToFusedWorker = { kind: 'plan'; plan: FusedPlan } | { kind: 'step'; id: number };

/** Worker → main thread. */
export type FromFusedWorker = { kind: 'ready' } | { kind: 'done'; id: number } | { kind: 'failed'; id: number; message: string };
