import { gateCount, type ModelSpec } from '../../core/spec';
import { internalColumn, type FusedPlan, type GroupPlan, type LayerPlan } from './layout';

/**
 * Moves weights, gradients and states between the model's Keras layout
 * (src/engine/model.ts: kernel [in, G·H] with gate g, unit j at column g·H + j)
 * and the fused plan's padded, gate-interleaved layout (layout.ts). Padding is
 * never written here, so it keeps the zeros the memory started with.
 */
export type NamedArrays = Map<string, Float32Array>;

export interface StateArrays {
  /** Per layer [batch·hidden·directions], batch-major (as the model's [batch, directions·hidden] tensors: forward half first). */
  h: Float32Array[];
  c?: Float32Array[];
}

type Direction = 'in' | 'out';

/** Which array of each parameter: the weights, their gradients, or the optimizer's two moments. */
export type ParameterBuffer = 'value' | 'grad' | 'moment1' | 'moment2';

/** Writes one array per weight (Keras layout, the model's names) into the plan's `buffer` (of parameter slot `slot`). */
export function writeParameters(heap: Float32Array, plan: FusedPlan, spec: ModelSpec, arrays: NamedArrays, buffer: ParameterBuffer = 'value', slot = 0): void {
  transferWeights(heap, plan, spec, arrays, 'in', buffer, slot);
}

/** Reads the plan's `buffer` (of parameter slot `slot`) into one fresh array per weight (Keras layout, the model's names). */
export function readParameters(heap: Float32Array, plan: FusedPlan, spec: ModelSpec, buffer: ParameterBuffer = 'value', slot = 0): NamedArrays {
  const arrays: NamedArrays = new Map();
  transferWeights(heap, plan, spec, arrays, 'out', buffer, slot);
  return arrays;
}

function transferWeights(
  heap: Float32Array,
  plan: FusedPlan,
  spec: ModelSpec,
  arrays: NamedArrays,
  direction: Direction,
  buffer: ParameterBuffer,
  slot: number,
): void {
  const H = spec.hidden;
  const G = gateCount(spec.cell);
  // Every buffer of a parameter is laid out like its value: find it by the value's offset.
  // Gradients have one copy; weights and moments one per slot (layout.ts).
  const offset = buffer === 'grad' ? 0 : slot * plan.parameterSlotBytes;
  const pick = (value: number): number => {
    if (buffer === 'value') return (value + offset) / 4;
    const p = plan.parameters.find((q) => q.value === value);
    if (!p) throw new Error(`fused plan has no parameter at ${value}`);
    return (p[buffer] + offset) / 4;
  };
  const take = (name: string, size: number): Float32Array => {
    if (direction === 'out') {
      const fresh = new Float32Array(size);
      arrays.set(name, fresh);
      return fresh;
    }
    const array = arrays.get(name);
    if (!array || array.length !== size) throw new Error(`fused step: "${name}" is missing or has ${array?.length} values instead of ${size}`);
    return array;
  };
  if (spec.embedding > 0) {
    const keras = take('embedding', spec.vocabSize * spec.embedding);
    copyRows(heap, pick(plan.embeddingTable!), plan.ep, keras, spec.vocabSize, spec.embedding, direction);
  }
  // Rows of a layer's input from the directions below: Keras has them side by side (H each), the plan Hp apart.
  const belowRow = (r: number) => Math.floor(r / H) * plan.hp + (r % H);
  plan.layers.forEach((layer, l) => {
    const inputs = l > 0 ? plan.directions * H : spec.embedding || spec.vocabSize;
    layer.directions.forEach((dir, d) => {
      const prefix = `layer${l}/${d === 1 ? 'backward/' : ''}`;
      const kernel = take(`${prefix}kernel`, inputs * G * H);
      const recurrent = take(`${prefix}recurrentKernel`, H * G * H);
      const bias = take(`${prefix}bias`, G * H);
      for (const group of dir.groups) {
        copyGates(heap, pick(group.kernel), group, kernel, inputs, G * H, H, direction, l > 0 ? belowRow : undefined);
        copyGates(heap, pick(group.recurrent), group, recurrent, H, G * H, H, direction);
        copyGates(heap, pick(group.bias), group, bias, 1, G * H, H, direction);
      }
    });
  });
  // The output layer's width: the vocabulary, the tags or the classes.
  const top = plan.directions * H;
  const outputs = plan.vocab;
  const outKernel = take('output/kernel', top * outputs);
  for (let r = 0; r < top; r++) {
    copyRows(heap, pick(plan.outKernel) + belowRow(r) * plan.vp, plan.vp, outKernel.subarray(r * outputs), 1, outputs, direction);
  }
  const outBias = take('output/bias', outputs);
  copyRows(heap, pick(plan.outBias), plan.vp, outBias, 1, outputs, direction);
}

/** A [rows, width] Keras matrix ↔ rows of `ld` floats at heap index `base`. */
function copyRows(heap: Float32Array, base: number, ld: number, keras: Float32Array, rows: number, width: number, direction: Direction): void {
  for (let r = 0; r < rows; r++) {
    const at = base + r * ld;
    const from = r * width;
    // Index loops, not subarray().set(): these rows are short and there are many of them.
    if (direction === 'in') for (let c = 0; c < width; c++) heap[at + c] = keras[from + c];
    else for (let c = 0; c < width; c++) keras[from + c] = heap[at + c];
  }
}

/** The gate blocks of `group` in a [rows, G·H] Keras matrix ↔ the group's interleaved [rows, cols] matrix. */
function copyGates(
  heap: Float32Array,
  base: number,
  group: GroupPlan,
  keras: Float32Array,
  rows: number,
  kerasWidth: number,
  H: number,
  direction: Direction,
  rowOf: (r: number) => number = (r) => r,
): void {
  for (let r = 0; r < rows; r++) {
    const row = base + rowOf(r) * group.cols;
    for (let g = 0; g < group.gates; g++) {
      const from = r * kerasWidth + (group.firstGate + g) * H;
      for (let j = 0; j < H; j++) {
        const at = row + internalColumn(group.gates, g, j);
        if (direction === 'in') heap[at] = keras[from + j];
        else keras[from + j] = heap[at];
      }
    }
  }
}

/**
 * The token ids and targets, time-major (row t·B + b) from the batch-major
 * window. A classifier's targets are one per row, and its `lengths` (each
 * row's real tokens; all of them when not given) go beside them.
 */
export function writeWindow(heap: Float32Array, plan: FusedPlan, inputs: Int32Array, targets: Int32Array, lengths?: Int32Array): void {
  const ints = new Int32Array(heap.buffer, heap.byteOffset, heap.length);
  const { batch: B, time: T, classifier } = plan;
  const expected = classifier ? B : B * T;
  if (inputs.length !== B * T || targets.length !== expected) {
    throw new RangeError(`a window of batch ${B} × ${T} needs ${B * T} tokens and ${expected} targets; got ${inputs.length} and ${targets.length}`);
  }
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      ints[plan.ids / 4 + t * B + b] = inputs[b * T + t];
      if (!classifier) ints[plan.targets / 4 + t * B + b] = targets[b * T + t];
    }
  }
  if (!classifier) return;
  if (lengths && !(lengths.length === B && lengths.every((n) => n >= 1 && n <= T))) throw new RangeError(`lengths must be ${B} counts from 1 to ${T}`);
  for (let b = 0; b < B; b++) {
    ints[plan.targets / 4 + b] = targets[b];
    ints[classifier.lengths / 4 + b] = lengths ? lengths[b] : T;
  }
}

/**
 * The state carried into the window (zeros when undefined) into the block
 * each direction starts from (layout.ts: block 0 forward, block T backward).
 * A bidirectional layer's state rows hold the forward half, then the backward.
 */
export function writeInitialState(heap: Float32Array, plan: FusedPlan, state: StateArrays | undefined): void {
  plan.layers.forEach((layer, l) => {
    layer.directions.forEach((dir, d) => {
      const block = (dir.reverse ? plan.time : 0) * plan.batch * plan.hp;
      for (const [at, values] of [
        [dir.hiddenSeq, state?.h[l]],
        [dir.cellSeq, state?.c?.[l]],
      ] as const) {
        if (at === undefined) continue;
        if (values) copyState(heap, at / 4 + block, plan, values, d, 'in');
        else heap.fill(0, at / 4 + block, at / 4 + block + plan.batch * plan.hp);
      }
    });
  });
}

/** The state after the window's last step: each direction's last state (block T forward, block 0 backward). */
export function readFinalState(heap: Float32Array, plan: FusedPlan): StateArrays {
  const read = (layer: LayerPlan, buffer: 'hiddenSeq' | 'cellSeq'): Float32Array => {
    const values = new Float32Array(plan.batch * plan.hidden * plan.directions);
    layer.directions.forEach((dir, d) => {
      const block = (dir.reverse ? 0 : plan.time) * plan.batch * plan.hp;
      copyState(heap, dir[buffer]! / 4 + block, plan, values, d, 'out');
    });
    return values;
  };
  return {
    h: plan.layers.map((layer) => read(layer, 'hiddenSeq')),
    c: plan.cell === 'lstm' ? plan.layers.map((layer) => read(layer, 'cellSeq')) : undefined,
  };
}

/** Direction `d`'s half of [batch, directions·H] state rows ↔ a [batch, Hp] block at heap index `base`. */
function copyState(heap: Float32Array, base: number, plan: FusedPlan, values: Float32Array, d: number, direction: Direction): void {
  const width = plan.directions * plan.hidden;
  for (let b = 0; b < plan.batch; b++) {
    copyRows(heap, base + b * plan.hp, plan.hp, values.subarray(b * width + d * plan.hidden), 1, plan.hidden, direction);
  }
}

/** Mean cross-entropy (nats) from the per-row statistics the kernel left: ln Σ exp − (target − max). */
export function readLoss(heap: Float32Array, plan: FusedPlan): number {
  let total = 0;
  const base = plan.stats / 4;
  for (let r = 0; r < plan.lossRows; r++) total += Math.log(heap[base + 2 * r]) - heap[base + 2 * r + 1];
  return total / plan.lossRows;
}
