import { parentPort, workerData } from 'worker_threads';
import { Barrier, BarrierAbortedError } from './barrier';
import { instantiateKernels, type FusedKernels } from './kernels';
import { CONTROL_INTS, shortenedPlan, type FusedPlan } from './layout';
import type { FromFusedWorker, FusedWorkerData, ToFusedWorker } from './messages';
import { runFusedStep, runFusedUpdate } from './schedule';

// A fused-kernel thread: its own instance of the kernels on the shared memory,
// running its share of each step when the main thread asks.
const data = workerData as FusedWorkerData;
const port = parentPort!;
const kernels = instantiateKernels(data.module, data.memory);
let planned: FusedPlan | undefined;
let steps = 0;

const reply = (message: FromFusedWorker): void => port.postMessage(message);

port.on('message', (message: ToFusedWorker) => {
  if (message.kind === 'plan') {
    planned = message.plan;
    return;
  }
  try {
    if (!planned) throw new Error('no plan before the first step');
    // The window's plan: the planned one, or its prefix for a classifier's shorter window.
    const plan = shortenedPlan(planned, message.time);
    if (message.kind === 'step') steps++;
    // Views are made per step: the memory may have grown since the last one.
    const heap = new Float32Array(data.memory.buffer);
    const barrier = new Barrier(
      new Int32Array(data.memory.buffer, plan.control, CONTROL_INTS),
      data.threads,
      data.thread,
      new Int32Array(data.memory.buffer, plan.sync, plan.syncInts),
      plan.directions * (plan.hp / 8),
    );
    if (message.kind === 'evaluate') {
      runFusedStep(kernels, plan, data.thread, barrier, heap, message.active, 'evaluate');
    } else if (message.kind === 'probe') {
      runFusedStep(kernels, plan, data.thread, barrier, heap, message.active, message.lastOnly ? 'probeLast' : 'probeWindow');
    } else {
      const fault = steps === data.exitDuringStep?.step ? data.exitDuringStep.phase : undefined;
      if (fault === 'start') process.exit(70);
      runFusedStep(kernels, plan, data.thread, barrier, heap, message.active, 'train', message.dropoutSeed);
      runFusedUpdate(fault === 'update' ? exitingOnUpdate(kernels) : kernels, plan, data.thread, barrier, heap, message.update, message.active);
    }
    reply({ kind: 'done', id: message.id });
  } catch (err) {
    const text = err instanceof BarrierAbortedError ? err.message : `fused kernel thread ${data.thread + 1}: ${(err as Error).message}`;
    reply({ kind: 'failed', id: message.id, message: text });
  }
});
reply({ kind: 'ready' });

/** Tests only: the kernels, except that the first optimizer update ends this thread (the others update theirs). */
function exitingOnUpdate(k: FusedKernels): FusedKernels {
  const exit = (): never => process.exit(70);
  return { ...k, adamUpdate: exit, rmspropUpdate: exit, sgdUpdate: exit };
}
