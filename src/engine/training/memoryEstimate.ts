/**
 * How much memory a training needs, estimated before anything is built, so a
 * plan that cannot fit (`--batch 4096 --seq 10000`) is refused with the
 * estimate in the message instead of failing inside a step with a typed-array
 * error and a half-made run folder.
 */
import * as os from 'os';
import { formatSize } from '../../core/regularFile';
import { gateCount, outputSize, parameterCount, taskOf, type BackendPreference, type ModelSpec, type TrainingSpec } from '../../core/spec';
import { fusedUnsupportedReason } from '../fused/support';
import { planFusedStep } from '../fused/layout';

export class MemoryLimitError extends Error {}

/** TensorFlow.js's WebAssembly backend addresses 32-bit memory. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

export interface MemoryEstimate {
  bytes: number;
  /** What computes the steps, as the estimate assumed. */
  path: 'fused' | 'tfjs';
}

/**
 * Bytes for one training step: the model with its gradients and optimizer
 * moments, and what the backward pass keeps of the forward pass (per row of
 * batch × time: the input, each layer's gates and states, the logits with
 * their softmax and gradient — per sequence for a classifier, over its
 * classes), twice for the gradients of each.
 */
export function estimateTrainingMemory(spec: ModelSpec, training: TrainingSpec, backend: BackendPreference, threads = 2): MemoryEstimate {
  const rows = training.batchSize * training.seqLength;
  const modelBytes = parameterCount(spec) * 4 * 5; // weights, gradients, two moments, an update's temporaries
  const fused = (backend === 'fused' || backend === 'auto') && !fusedUnsupportedReason(spec, training.batchSize, training.seqLength);
  if (fused) return { bytes: planFusedStep(spec, training.batchSize, training.seqLength, threads).bytes + modelBytes, path: 'fused' };
  const directions = spec.bidirectional ? 2 : 1;
  // A language model's or tagger's logits are per step; a classifier's per sequence (a row of the batch).
  const logitsPerStep = taskOf(spec) === 'classify' ? 0 : 3 * outputSize(spec);
  const perRow = (spec.embedding || spec.vocabSize) + spec.layers * directions * spec.hidden * (gateCount(spec.cell) + 3) + logitsPerStep;
  const perSequence = taskOf(spec) === 'classify' ? 3 * outputSize(spec) : 0;
  return { bytes: (rows * perRow + training.batchSize * perSequence) * 4 * 2 + modelBytes, path: 'tfjs' };
}

/** The memory training may use here: the machine's (or the container's) total. */
export function availableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = os.totalmem();
  return constrained > 0 && constrained < total ? constrained : total;
}

/** Throws a MemoryLimitError with the estimate when the plan cannot fit. */
export function checkMemoryFits(spec: ModelSpec, training: TrainingSpec, request: { backend: BackendPreference; threads?: number }): void {
  const estimate = estimateTrainingMemory(spec, training, request.backend, request.threads);
  const wasmHeap = estimate.path === 'tfjs' && request.backend !== 'cpu' && request.backend !== 'node';
  const limit = wasmHeap ? Math.min(WASM_HEAP_BYTES, availableMemory()) : availableMemory();
  if (estimate.bytes <= limit) return;
  const where = limit === WASM_HEAP_BYTES ? "TensorFlow.js WebAssembly's 4 GiB memory" : `the ${formatSize(limit)} of memory here`;
  throw new MemoryLimitError(
    `training ${spec.layers}×${spec.cell.toUpperCase()}-${spec.hidden} on batch ${training.batchSize} × seq ${training.seqLength} needs about ` +
      `${formatSize(estimate.bytes)} of memory, more than ${where}: lower --batch, --seq or --hidden`,
  );
}
