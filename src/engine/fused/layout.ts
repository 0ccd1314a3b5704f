import { gateCount, type CellType, type ModelSpec } from '../../core/spec';

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
 */
export interface FusedPlan {
  cell: CellType;
  layers: LayerPlan[];
  batch: number;
  time: number;
  /** batch · time */
  rows: number;
  hidden: number;
  hp: number;
  vocab: number;
  vp: number;
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
  /** Gradients of layer outputs [rows, Hp], alternating between layers. */
  hiddenGrad: [number, number];
  /** [batch, Hp] per step: ∂L/∂h₋₁ through the recurrence, ∂L/∂c carried, and the GRU's ∂L/∂(r⊙h₋₁). */
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
  /** Total bytes the memory must hold. */
  bytes: number;
}

export interface LayerPlan {
  /** Rows of the input kernel: V for one-hot input (looked up, not multiplied), Ep or Hp otherwise. */
  inRows: number;
  oneHot: boolean;
  groups: GroupPlan[];
  /** [(time + 1)·batch, Hp]: block 0 is the initial state, block t + 1 the state after step t. */
  hiddenSeq: number;
  cellSeq?: number;
  /** GRU: r ⊙ h₋₁ per step [rows, Hp]. */
  resetHidden?: number;
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

/** A thread's share: [from, to) ranges of 8-unit blocks, vocabulary panels, embedding panels and rows. */
export interface ThreadPlan {
  units: [number, number];
  vocabPanels: [number, number];
  embeddingPanels: [number, number];
  rows: [number, number];
  /** Its own packed right-hand operand of the weight-gradient products. */
  packScratch: number;
  /** Its own packed left-hand operand (gemm's scratch). */
  gemmScratch: number;
}

/** First byte the plan uses: below it nothing (the kernels keep no data). */
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

export function planFusedStep(spec: ModelSpec, batch: number, time: number, threads: number): FusedPlan {
  // Parameters and moments come first, twice (the two slots), then everything else: a first pass measures them.
  const slotBytes = layOut(spec, batch, time, threads, PLAN_BASE, PLAN_BASE).parameterSlotBytes;
  return layOut(spec, batch, time, threads, PLAN_BASE, PLAN_BASE + 2 * slotBytes);
}

function layOut(spec: ModelSpec, batch: number, time: number, threads: number, parameterBase: number, otherBase: number): FusedPlan {
  const rows = batch * time;
  const hp = roundUp8(spec.hidden);
  const vp = roundUp8(spec.vocabSize);
  const ep = roundUp8(spec.embedding);
  // Cache-line aligned, so v128 accesses never split lines.
  const aligned = (n: number): number => Math.ceil((n * 4) / 64) * 64;
  let next = otherBase;
  const floats = (n: number): number => {
    const at = next;
    next += aligned(n);
    return at;
  };
  let nextParameter = parameterBase;
  /** Slot 0 of a parameter buffer (weights or moments); slot 1 is `parameterSlotBytes` further. */
  const slot = (n: number): number => {
    const at = nextParameter;
    nextParameter += aligned(n);
    return at;
  };
  const control = floats(CONTROL_BYTES / 4);
  const ids = floats(rows);
  const targets = floats(rows);
  const stats = floats(rows * 2);

  const parameters: ParameterPlan[] = [];
  const parameter = (value: number, grad: number, rows: number, ld: number, split: ParameterPlan['split'], gates = 1): ParameterPlan => ({
    value,
    grad,
    moment1: slot(rows * ld),
    moment2: slot(rows * ld),
    rows,
    ld,
    split,
    gates,
  });
  const groupShapes = spec.cell === 'gru' ? [{ firstGate: 0, gates: 2 }, { firstGate: 2, gates: 1 }] : [{ firstGate: 0, gates: gateCount(spec.cell) }];
  const layers: LayerPlan[] = [];
  let maxK = Math.max(rows, vp, hp);
  for (let l = 0; l < spec.layers; l++) {
    const oneHot = l === 0 && spec.embedding === 0;
    const inRows = l > 0 ? hp : oneHot ? spec.vocabSize : ep;
    const groups = groupShapes.map(({ firstGate, gates }): GroupPlan => {
      const cols = gates * hp;
      maxK = Math.max(maxK, cols);
      return {
        firstGate,
        gates,
        cols,
        kernel: slot(inRows * cols),
        recurrent: slot(hp * cols),
        bias: slot(cols),
        kernelPacked: oneHot ? undefined : floats(inRows * cols),
        kernelTPacked: oneHot ? undefined : floats(cols * inRows),
        recurrentPacked: floats(hp * cols),
        recurrentTPacked: floats(cols * hp),
        gatesSeq: floats(rows * cols),
        kernelGrad: floats(inRows * cols),
        recurrentGrad: floats(hp * cols),
        biasGrad: floats(cols),
      };
    });
    for (const g of groups) {
      parameters.push(parameter(g.kernel, g.kernelGrad, inRows, g.cols, 'units', g.gates));
      parameters.push(parameter(g.recurrent, g.recurrentGrad, hp, g.cols, 'units', g.gates));
      parameters.push(parameter(g.bias, g.biasGrad, 1, g.cols, 'units', g.gates));
    }
    layers.push({
      inRows,
      oneHot,
      groups,
      hiddenSeq: floats((time + 1) * batch * hp),
      cellSeq: spec.cell === 'lstm' ? floats((time + 1) * batch * hp) : undefined,
      resetHidden: spec.cell === 'gru' ? floats(rows * hp) : undefined,
    });
  }
  const embedded = spec.embedding > 0 ? floats(rows * ep) : undefined;
  const plan: FusedPlan = {
    cell: spec.cell,
    layers,
    batch,
    time,
    rows,
    hidden: spec.hidden,
    hp,
    vocab: spec.vocabSize,
    vp,
    embedding: spec.embedding,
    ep,
    threads: [],
    parameters,
    control,
    ids,
    targets,
    stats,
    embeddingTable: spec.embedding > 0 ? slot(spec.vocabSize * ep) : undefined,
    embeddingGrad: spec.embedding > 0 ? floats(spec.vocabSize * ep) : undefined,
    embedded,
    embeddedGrad: spec.embedding > 0 ? floats(rows * ep) : undefined,
    outKernel: slot(hp * vp),
    outBias: slot(vp),
    outKernelPacked: floats(hp * vp),
    outKernelTPacked: floats(vp * hp),
    logits: floats(rows * vp),
    outKernelGrad: floats(hp * vp),
    outBiasGrad: floats(vp),
    hiddenGrad: [floats(rows * Math.max(hp, ep)), floats(rows * Math.max(hp, ep))],
    recurrentGrad: floats(batch * hp),
    cellGrad: floats(batch * hp),
    resetGrad: floats(batch * hp),
    parameterSlotBytes: 0,
    bytes: 0,
  };
  parameters.push(parameter(plan.outKernel, plan.outKernelGrad, hp, vp, 'vocab'));
  parameters.push(parameter(plan.outBias, plan.outBiasGrad, 1, vp, 'vocab'));
  if (plan.embeddingTable !== undefined) parameters.push(parameter(plan.embeddingTable, plan.embeddingGrad!, spec.vocabSize, ep, 'embedding'));
  const blocks = hp / 8;
  for (let t = 0; t < threads; t++) {
    const units = share(blocks, t, threads);
    const ownCols = Math.max(...groupShapes.map((g) => (units[1] - units[0]) * 8 * g.gates), 8);
    plan.threads.push({
      units,
      vocabPanels: share(vp / 8, t, threads),
      embeddingPanels: share(ep / 8, t, threads),
      rows: share(rows, t, threads),
      packScratch: floats(rows * Math.max(ownCols, vp)),
      gemmScratch: floats(Math.max(GEMM_BLOCK_FLOATS, 4 * maxK) + 16),
    });
  }
  plan.parameterSlotBytes = nextParameter - parameterBase;
  plan.bytes = Math.max(next, parameterBase + 2 * plan.parameterSlotBytes);
  return plan;
}

/** Internal column of unit `unit` of the group's gate `gateInGroup` (0 … gates − 1), in a group of `gates` gates. */
export function internalColumn(gates: number, gateInGroup: number, unit: number): number {
  return (unit >> 3) * 8 * gates + gateInGroup * 8 + (unit & 7);
}
