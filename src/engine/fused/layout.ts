import { gateCount, outputSize, taskOf, type CellType, type ModelSpec, type Pooling } from '../../core/spec';

/**
 * Where every buffer of a fused training step lives in the shared wasm
 * memory, and which part of the work each thread owns. A pure function of
 * (spec, batch, time, threads): the main thread and every worker compute the
 * same plan from the same numbers (it is also posted, so they cannot drift).
 *
 * Internal layouts (all row-major, leading dimensions in floats):
 * - hidden size H padded to Hp = 8·⌈H/8⌉ (padding units have zero weights, so
 *   they stay 0 and change nothing); vocabulary V → Vp, embedding E → Ep.
 * - gate columns interleaved by blocks of 8 units: unit j, gate g of a group of
 *   G gates sits at column ⌊j/8⌋·8G + 8g + j mod 8. A thread owning unit blocks
 *   j0 … j1 then owns whole columns ranges of every gate matrix, one barrier per
 *   time step suffices, and a block of 8 units × G gates is G packed panels.
 * - the GRU has two gate groups: z,r (G = 2, from h₋₁) and the candidate n (G = 1, from r⊙h₋₁).
 * - rows of sequences are time-major: row t·B + b.
 * - a bidirectional layer has two directions, each with its own weights and
 *   states; the layer above (or the output layer) reads both, its input rows
 *   [0, Hp) from the forward direction and [Hp, 2Hp) from the backward one.
 * - the output layer has `vocab` columns: the vocabulary of a language model,
 *   a tagger's tags (a softmax at every step), or a classifier's classes (one
 *   softmax per row of the batch, over its pooled top layer: `classifier`).
 */
export interface FusedPlan {
  cell: CellType;
  layers: LayerPlan[];
  /** 1, or 2 for bidirectional layers. */
  directions: number;
  /** Inverted dropout on every layer's outputs in a training step (0: none). */
  dropout: number;
  batch: number;
  time: number;
  /** batch · time */
  rows: number;
  hidden: number;
  hp: number;
  /** The output layer's width (outputSize: vocabulary, tags or classes), padded to vp. */
  vocab: number;
  vp: number;
  /** The input's vocabulary (one-hot rows, embedding rows). */
  inputVocab: number;
  /** Rows of logits and loss: `rows`, or `batch` for a classifier. */
  lossRows: number;
  /** A classifier's head (taskOf(spec) === 'classify'). */
  classifier?: ClassifierPlan;
  embedding: number;
  ep: number;
  threads: ThreadPlan[];
  /** Every trainable matrix with its gradient and optimizer moments, for clipping and the update. */
  parameters: ParameterPlan[];
  /** Byte offsets: */
  control: number;
  ids: number;
  targets: number;
  /** [rows, 2]: Σ exp(logit − max) and target logit − max per row. */
  stats: number;
  embeddingTable?: number;
  embeddingGrad?: number;
  /** Layer 0's input rows looked up from the embedding, and their gradient: [rows, Ep]. */
  embedded?: number;
  embeddedGrad?: number;
  outKernel: number;
  outBias: number;
  outKernelPacked: number;
  outKernelTPacked: number;
  logits: number;
  outKernelGrad: number;
  outBiasGrad: number;
  /** Gradients of layer outputs [rows, max(Hp, Ep)] per direction, in two sets alternating between layers. */
  hiddenGrad: [number[], number[]];
  /** [batch, Hp] per step and direction (direction d at + d·batch·Hp floats): ∂L/∂h₋₁ through the recurrence, ∂L/∂c carried, and the GRU's ∂L/∂(r⊙h₋₁). */
  recurrentGrad: number;
  cellGrad: number;
  resetGrad: number;
  /**
   * Parameters and optimizer moments exist twice: a step reads slot `active`
   * and its update writes the other, which becomes active only when every
   * thread has finished. A step that fails anywhere leaves the active slot as
   * the last completed step left it. Slot s of buffer b is at b + s · this.
   */
  parameterSlotBytes: number;
  /**
   * Gradient-flow probe (schedule.ts): float64 Σ(∂L/∂h_t)² per layer, step and
   * 8-unit block, [layers][time][Hp/8], each block written by the thread that owns it.
   */
  flowSums: number;
  /**
   * How the threads share a recurrent step (schedule.ts): by batch rows (each
   * thread its own streams through every step, no waiting between steps) or
   * by unit blocks (chunks claimed as they run, flags per block). Both compute
   * every float alike; `recurrenceSplit` says which is faster where.
   */
  recurrence: RecurrenceSplit;
  /**
   * The unit-block split's work, shared out as it runs: unit-block ranges
   * [b0, b1), none straddling the middle of the blocks.
   */
  chunks: [number, number][];
  /** Int32 sync words: a ready flag per unit block and direction (the last phase that wrote it), then a claim word per phase. */
  sync: number;
  /** Int32s at `sync`: directions·hp/8 block flags, then one claim word for each of `phases` + 1 phases. */
  syncInts: number;
  /** Recurrent phases in one pass (forward and backward, every layer). */
  phases: number;
  /** Total bytes the memory must hold. */
  bytes: number;
}

/**
 * A classifier's head: one softmax per row over its top layer pooled (the
 * final states of both directions, or the mean over its real steps), with the
 * window's lengths for its padded rows (assembly/heads.ts).
 */
export interface ClassifierPlan {
  pooling: Pooling;
  /** Int32 [batch]: each row's real tokens (the rest of the window is padding). */
  lengths: number;
  /** Mean pooling: per direction [batch, Hp]. ("last" reads each direction's final state in place.) */
  pooled?: number[];
  /** With dropout: per direction the multipliers of the pooled rows and the pooled rows times them [batch, Hp]. */
  pooledMask?: number[];
  pooledDropped?: number[];
  /** Per direction ∂L/∂(pooled rows) [batch, Hp]. */
  pooledGrad: number[];
}

export interface LayerPlan {
  /** Rows of the input kernel: V for one-hot input (looked up, not multiplied), Ep, or Hp per direction of the layer below. */
  inRows: number;
  oneHot: boolean;
  directions: DirectionPlan[];
}

/** One direction of a layer: the backward one (`reverse`) runs from the last step to the first. */
export interface DirectionPlan {
  reverse: boolean;
  groups: GroupPlan[];
  /**
   * [(time + 1)·batch, Hp]: the state before the first step it runs, then
   * h_t in time order. Forward: block 0 is the initial state, block t + 1
   * holds h_t. Backward: block t holds h_t, block T the initial state.
   */
  hiddenSeq: number;
  cellSeq?: number;
  /** GRU: r ⊙ h₋₁ per step [rows, Hp]. */
  resetHidden?: number;
  /** With dropout: the step's multipliers (0 or 1/(1 − rate)) [rows, Hp] and the outputs times them, which the layer above reads. */
  dropMask?: number;
  dropped?: number;
}

export interface GroupPlan {
  /** Index of the first Keras gate block this group holds (LSTM i,f,c,o: 0; GRU z,r: 0, n: 2). */
  firstGate: number;
  gates: number;
  /** gates · Hp */
  cols: number;
  kernel: number;
  recurrent: number;
  bias: number;
  kernelPacked?: number;
  kernelTPacked?: number;
  recurrentPacked: number;
  recurrentTPacked: number;
  /** [rows, cols]: pre-activations → activated gates → their gradients. */
  gatesSeq: number;
  kernelGrad: number;
  recurrentGrad: number;
  biasGrad: number;
}

/**
 * A parameter as the update sees it: `rows` × `ld` floats (padding included,
 * where gradients are 0 and weights stay 0). Each thread updates the columns
 * whose gradients it computed: its units' gate columns (`units`, G gates), its
 * vocabulary panels or its embedding panels.
 */
export interface ParameterPlan {
  value: number;
  grad: number;
  /** Adam's m and v, RMSprop's mean square and momentum; unused by SGD. */
  moment1: number;
  moment2: number;
  rows: number;
  ld: number;
  split: 'units' | 'vocab' | 'embedding';
  gates: number;
}

/** The columns [from, to) of `p` that thread `thread` computes and updates. */
export function ownColumns(plan: FusedPlan, p: ParameterPlan, thread: number): [number, number] {
  const t = plan.threads[thread];
  const [from, to] = p.split === 'units' ? t.units : p.split === 'vocab' ? t.vocabPanels : t.embeddingPanels;
  const width = p.split === 'units' ? 8 * p.gates : 8;
  return [from * width, to * width];
}

/** Control block layout (byte offsets from plan.control): barrier ints, then float64 slots. */
export const CONTROL_BYTES = 256;
/** Per-thread Σg² before clipping (threads ≤ 8). */
export const CONTROL_PARTIALS = 64;
/** Per-thread Σg² after clipping by value. */
export const CONTROL_CLIPPED_PARTIALS = 128;
/** Results written by thread 0: [global norm, clipped norm, applied (1/0)]. */
export const CONTROL_RESULTS = 192;

/** A thread's share: [from, to) ranges of 8-unit blocks, vocabulary panels, embedding panels and loss rows. */
export interface ThreadPlan {
  units: [number, number];
  vocabPanels: [number, number];
  embeddingPanels: [number, number];
  rows: [number, number];
  /** Its batch rows [from, to) in a recurrence split by rows: whole 4-row tiles of the products. */
  batchRows: [number, number];
  /** Its own packed right-hand operand of the weight-gradient products. */
  packScratch: number;
  /** Its own packed left-hand operand (gemm's scratch). */
  gemmScratch: number;
  /** The left-hand operand of a recurrent phase's products, packed once per phase for every chunk it takes: [4·⌈batch/4⌉, max columns]. */
  packedRows: number;
}

/** First byte the plan uses: below it only the kernels' constants (their module's data, assembly/activations.ts), never cleared. */
export const PLAN_BASE = 64 * 1024;
/** The barrier's Int32 slots at the start of the control block (barrier.ts). */
export const CONTROL_INTS = 16;
/** Mirrors assembly/gemm.ts: rows of A packed per block. */
const GEMM_BLOCK_FLOATS = 32768;

export const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

/** [from, to) of `count` items for thread `index` of `threads`, in order, as even as possible. */
export function share(count: number, index: number, threads: number): [number, number] {
  return [Math.floor((count * index) / threads), Math.floor((count * (index + 1)) / threads)];
}

export type RecurrenceSplit = 'rows' | 'units';

/** `recurrence` forces a split (tests and benchmarks compare them); by default `recurrenceSplit` chooses. */
export function planFusedStep(spec: ModelSpec, batch: number, time: number, threads: number, recurrence?: RecurrenceSplit): FusedPlan {
  // Parameters and moments come first, twice (the two slots), then everything else: a first pass measures them.
  const slotBytes = layOut(spec, batch, time, threads, PLAN_BASE, PLAN_BASE).parameterSlotBytes;
  const plan = layOut(spec, batch, time, threads, PLAN_BASE, PLAN_BASE + 2 * slotBytes);
  plan.recurrence = recurrence ?? recurrenceSplit(batch, threads);
  return plan;
}

/**
 * Rows when every thread gets at least two 4-row tiles of the batch. Split by
 * rows, a thread runs its streams through every step without waiting for
 * the others (the unit split waits for the blocks it reads at every step:
 * 2–4 ms of an LSTM 1×256 step on two threads), at the cost of reading every
 * recurrent weight each step instead of its share (docs/architecture.md,
 * "Training"; the measurements under "Measured facts behind the design").
 * With fewer rows a thread would idle.
 */
export function recurrenceSplit(batch: number, threads: number): RecurrenceSplit {
  return threads === 1 || Math.floor(Math.ceil(batch / 4) / threads) >= 2 ? 'rows' : 'units';
}

/** The padded sizes every buffer is measured in. */
interface Dims {
  batch: number;
  time: number;
  rows: number;
  hp: number;
  vp: number;
  ep: number;
}

/** Hands out consecutive buffers from byte `next` on; the order of the calls fixes every offset. */
class Arena {
  constructor(private next: number) {}

  /** Byte offset of a new buffer of `n` floats, cache-line aligned so v128 accesses never split lines. */
  floats(n: number): number {
    const at = this.next;
    this.next += Math.ceil((n * 4) / 64) * 64;
    return at;
  }

  /** The first byte after the last buffer. */
  get end(): number {
    return this.next;
  }
}

/**
 * The plan's two arenas and the parameters placed so far: `slots` holds slot 0
 * of the parameters and their moments (slot 1 is `parameterSlotBytes`
 * further), `buffers` everything else.
 */
interface Allocator {
  slots: Arena;
  buffers: Arena;
  parameters: ParameterPlan[];
}

/** One pass of planFusedStep. The order of the allocations below is the memory layout: change it and every offset moves. */
function layOut(spec: ModelSpec, batch: number, time: number, threads: number, parameterBase: number, otherBase: number): FusedPlan {
  const rows = batch * time;
  const dims: Dims = { batch, time, rows, hp: roundUp8(spec.hidden), vp: roundUp8(outputSize(spec)), ep: roundUp8(spec.embedding) };
  const alloc: Allocator = { slots: new Arena(parameterBase), buffers: new Arena(otherBase), parameters: [] };
  const { buffers } = alloc;
  const io = { control: buffers.floats(CONTROL_BYTES / 4), ids: buffers.floats(rows), targets: buffers.floats(rows), stats: buffers.floats(rows * 2) };
  const layers = Array.from({ length: spec.layers }, (_, l) => planLayer(alloc, spec, dims, l));
  const output = planOutput(alloc, spec, dims);
  const { hp, vp, ep } = dims;
  const plan: FusedPlan = {
    cell: spec.cell,
    layers,
    directions: spec.bidirectional ? 2 : 1,
    dropout: spec.dropout,
    batch,
    time,
    rows,
    hidden: spec.hidden,
    hp,
    vocab: outputSize(spec),
    vp,
    inputVocab: spec.vocabSize,
    lossRows: taskOf(spec) === 'classify' ? batch : rows,
    embedding: spec.embedding,
    ep,
    threads: planThreads(buffers, spec, dims, layers, threads, taskOf(spec) === 'classify' ? batch : rows),
    parameters: alloc.parameters,
    ...io,
    ...output,
    parameterSlotBytes: alloc.slots.end - parameterBase,
    // Last, so that no other buffer moves; two floats per float64.
    flowSums: buffers.floats(2 * spec.layers * time * (hp / 8)),
    recurrence: 'units',
    chunks: planChunks(spec.cell, hp / 8),
    sync: 0,
    syncInts: 0,
    phases: 2 * spec.layers * (spec.bidirectional ? 2 : 1) * time * (spec.cell === 'gru' ? 2 : 1),
    bytes: 0,
  };
  plan.syncInts = plan.directions * (hp / 8) + plan.phases + 1;
  plan.sync = buffers.floats(plan.syncInts);
  plan.classifier = planClassifier(buffers, spec, dims);
  plan.bytes = Math.max(buffers.end, parameterBase + 2 * plan.parameterSlotBytes);
  return plan;
}

/** The gate groups of a cell: one for LSTM and RNN; z,r and the candidate n for the GRU (see FusedPlan). */
function groupShapes(cell: CellType): { firstGate: number; gates: number }[] {
  if (cell !== 'gru') return [{ firstGate: 0, gates: gateCount(cell) }];
  return [
    { firstGate: 0, gates: 2 },
    { firstGate: 2, gates: 1 },
  ];
}

/** Records a trainable matrix and gives it its two optimizer moments. */
function addParameter(alloc: Allocator, value: number, grad: number, rows: number, ld: number, split: ParameterPlan['split'], gates = 1): void {
  const moment1 = alloc.slots.floats(rows * ld);
  const moment2 = alloc.slots.floats(rows * ld);
  alloc.parameters.push({ value, grad, moment1, moment2, rows, ld, split, gates });
}

/** Layer `l`: per direction, its gate groups' weights (then their moments), and its state sequences. */
function planLayer(alloc: Allocator, spec: ModelSpec, dims: Dims, l: number): LayerPlan {
  const { batch, time, rows, hp, ep } = dims;
  const { buffers } = alloc;
  const oneHot = l === 0 && spec.embedding === 0;
  const directions = spec.bidirectional ? 2 : 1;
  const inRows = l > 0 ? directions * hp : oneHot ? spec.vocabSize : ep;
  const plans = Array.from({ length: directions }, (_, d): DirectionPlan => {
    const groups = groupShapes(spec.cell).map((shape) => planGroup(alloc, dims, shape, inRows, oneHot));
    for (const g of groups) {
      addParameter(alloc, g.kernel, g.kernelGrad, inRows, g.cols, 'units', g.gates);
      addParameter(alloc, g.recurrent, g.recurrentGrad, hp, g.cols, 'units', g.gates);
      addParameter(alloc, g.bias, g.biasGrad, 1, g.cols, 'units', g.gates);
    }
    return {
      reverse: d === 1,
      groups,
      hiddenSeq: buffers.floats((time + 1) * batch * hp),
      cellSeq: spec.cell === 'lstm' ? buffers.floats((time + 1) * batch * hp) : undefined,
      resetHidden: spec.cell === 'gru' ? buffers.floats(rows * hp) : undefined,
      dropMask: spec.dropout > 0 ? buffers.floats(rows * hp) : undefined,
      dropped: spec.dropout > 0 ? buffers.floats(rows * hp) : undefined,
    };
  });
  return { inRows, oneHot, directions: plans };
}

/** One gate group of a layer: weights in the slots; packed copies, gate sequence and gradients in the buffers. */
function planGroup(alloc: Allocator, dims: Dims, shape: { firstGate: number; gates: number }, inRows: number, oneHot: boolean): GroupPlan {
  const { slots, buffers } = alloc;
  const { rows, hp } = dims;
  const cols = shape.gates * hp;
  return {
    ...shape,
    cols,
    kernel: slots.floats(inRows * cols),
    recurrent: slots.floats(hp * cols),
    bias: slots.floats(cols),
    // A one-hot input looks kernel rows up: nothing to pack.
    kernelPacked: oneHot ? undefined : buffers.floats(inRows * cols),
    kernelTPacked: oneHot ? undefined : buffers.floats(cols * inRows),
    recurrentPacked: buffers.floats(hp * cols),
    recurrentTPacked: buffers.floats(cols * hp),
    gatesSeq: buffers.floats(rows * cols),
    kernelGrad: buffers.floats(inRows * cols),
    recurrentGrad: buffers.floats(hp * cols),
    biasGrad: buffers.floats(cols),
  };
}

/** The embedding, the output layer and the backward pass's shared gradients; output and embedding parameters last. */
function planOutput(alloc: Allocator, spec: ModelSpec, dims: Dims) {
  const { slots, buffers } = alloc;
  const { batch, rows, vp, ep } = dims;
  const directions = spec.bidirectional ? 2 : 1;
  // The output layer reads every direction of the top layer: Hp rows each.
  const hp = directions * dims.hp;
  const gradients = () => Array.from({ length: directions }, () => buffers.floats(rows * Math.max(dims.hp, ep)));
  const embeds = spec.embedding > 0;
  const embedded = embeds ? buffers.floats(rows * ep) : undefined;
  const output = {
    embeddingTable: embeds ? slots.floats(spec.vocabSize * ep) : undefined,
    embeddingGrad: embeds ? buffers.floats(spec.vocabSize * ep) : undefined,
    embedded,
    embeddedGrad: embeds ? buffers.floats(rows * ep) : undefined,
    outKernel: slots.floats(hp * vp),
    outBias: slots.floats(vp),
    outKernelPacked: buffers.floats(hp * vp),
    outKernelTPacked: buffers.floats(vp * hp),
    logits: buffers.floats(rows * vp),
    outKernelGrad: buffers.floats(hp * vp),
    outBiasGrad: buffers.floats(vp),
    hiddenGrad: [gradients(), gradients()] as [number[], number[]],
    // One [batch, Hp] scratch per direction: a bidirectional layer runs both at once.
    recurrentGrad: buffers.floats(directions * batch * dims.hp),
    cellGrad: buffers.floats(directions * batch * dims.hp),
    resetGrad: buffers.floats(directions * batch * dims.hp),
  };
  addParameter(alloc, output.outKernel, output.outKernelGrad, hp, vp, 'vocab');
  addParameter(alloc, output.outBias, output.outBiasGrad, 1, vp, 'vocab');
  if (output.embeddingTable !== undefined) addParameter(alloc, output.embeddingTable, output.embeddingGrad!, spec.vocabSize, ep, 'embedding');
  return output;
}

/** Each thread's share of units, panels and rows, and its own scratch buffers. */
function planThreads(buffers: Arena, spec: ModelSpec, dims: Dims, layers: LayerPlan[], threads: number, lossRows: number): ThreadPlan[] {
  const { rows, hp, vp, ep } = dims;
  // The largest inner dimension gemm packs: sized for the scratch of its left-hand operand.
  const maxK = Math.max(rows, vp, hp, ...layers.flatMap((layer) => layer.directions[0].groups.map((g) => g.cols)));
  const shapes = groupShapes(spec.cell);
  return Array.from({ length: threads }, (_, t): ThreadPlan => {
    const units = share(hp / 8, t, threads);
    const ownCols = Math.max(...shapes.map((g) => (units[1] - units[0]) * 8 * g.gates), 8);
    return {
      units,
      vocabPanels: share(vp / 8, t, threads),
      embeddingPanels: share(ep / 8, t, threads),
      rows: share(lossRows, t, threads),
      batchRows: share(Math.ceil(dims.batch / 4), t, threads).map((tile) => Math.min(4 * tile, dims.batch)) as [number, number],
      packScratch: buffers.floats(rows * Math.max(ownCols, vp)),
      gemmScratch: buffers.floats(Math.max(GEMM_BLOCK_FLOATS, 4 * maxK) + 16),
      packedRows: buffers.floats(Math.ceil(dims.batch / 4) * 4 * Math.max(...layers.flatMap((layer) => layer.directions[0].groups.map((g) => g.cols)))),
    };
  });
}

/** A classifier's buffers (after every other, so a language model's plan is as before), or none for another task. */
function planClassifier(buffers: Arena, spec: ModelSpec, dims: Dims): ClassifierPlan | undefined {
  if (taskOf(spec) !== 'classify') return undefined;
  const perDirection = () => Array.from({ length: spec.bidirectional ? 2 : 1 }, () => buffers.floats(dims.batch * dims.hp));
  const pooling = spec.pooling ?? 'last';
  return {
    pooling,
    lengths: buffers.floats(dims.batch),
    pooled: pooling === 'mean' ? perDirection() : undefined,
    pooledMask: spec.dropout > 0 ? perDirection() : undefined,
    pooledDropped: spec.dropout > 0 ? perDirection() : undefined,
    pooledGrad: perDirection(),
  };
}

/**
 * A classifier's plan for a window of `time` ≤ plan.time steps (a batch
 * padded to a shorter longest row): every sequence buffer is time-major, so
 * the window uses the prefix of each, and the backward direction starts from
 * block `time` of its states. Nothing moves; the memory is not planned again.
 */
export function shortenedPlan(plan: FusedPlan, time: number): FusedPlan {
  if (time === plan.time) return plan;
  if (!plan.classifier || !(Number.isInteger(time) && time >= 1 && time < plan.time)) {
    throw new RangeError(`a plan for ${plan.time} steps cannot run a window of ${time}`);
  }
  return { ...plan, time, rows: plan.batch * time, phases: (plan.phases / plan.time) * time };
}

/**
 * The recurrent steps' chunks: about 64 gate columns of the first group each
 * (2 unit blocks for the LSTM, 4 for the GRU, 8 for the RNN), so a chunk's
 * product is long enough to pay for claiming it; each half of the blocks is
 * cut on its own (schedule.ts sums the halves in an order fixed per block).
 */
function planChunks(cell: CellType, blocks: number): [number, number][] {
  const size = 8 / groupShapes(cell)[0].gates;
  const middle = Math.floor(blocks / 2);
  const chunks: [number, number][] = [];
  for (const [from, to] of [
    [0, middle],
    [middle, blocks],
  ]) {
    for (let b = from; b < to; b += size) chunks.push([b, Math.min(b + size, to)]);
  }
  return chunks;
}

/** Internal column of unit `unit` of the group's gate `gateInGroup` (0 … gates − 1), in a group of `gates` gates. */
export function internalColumn(gates: number, gateInGroup: number, unit: number): number {
  return (unit >> 3) * 8 * gates + gateInGroup * 8 + (unit & 7);
}
