import { clipScale } from '../../core/clipping';
import type { Barrier } from './barrier';
import type { FusedKernels } from './kernels';
import {
  CONTROL_BYTES,
  CONTROL_CLIPPED_PARTIALS,
  CONTROL_PARTIALS,
  CONTROL_RESULTS,
  ownColumns,
  type FusedPlan,
  type GroupPlan,
  type LayerPlan,
  type ParameterPlan,
  type ThreadPlan,
} from './layout';
import type { FusedPass, OptimizerUpdate, UpdateSettings } from './messages';

/**
 * One training step's share of thread `thread`: forward through every layer
 * and the output, softmax cross-entropy, then backpropagation through time
 * and every weight gradient. Each thread runs this same sequence on its own
 * hidden units (and vocabulary panels, rows); barriers mark the points where
 * a thread needs what the others wrote. Every float is computed by exactly
 * one thread in a fixed order, so results do not depend on the thread count
 * or on timing.
 *
 * Before the call the main thread has written the weights, ids, targets and
 * initial states into the plan's buffers; afterwards it reads the gradients,
 * the per-row loss statistics and the final states. Evaluation stops at the
 * loss. The gradient-flow probe (docs/architecture.md, "Gradient flow") runs
 * the backward pass without the weight gradients and records Σ(∂L/∂h_t)² per
 * layer, step and unit block in `plan.flowSums`; with `probeLast` the loss is
 * that of the last position only. Neither touches the parameters or their gradients.
 */
export function runFusedStep(
  k: FusedKernels,
  plan: FusedPlan,
  thread: number,
  barrier: Barrier,
  heap: Float32Array,
  active: number,
  pass: FusedPass = 'train',
): void {
  const share = new ThreadShare(k, plan, thread, barrier, heap, active);
  const backward = pass !== 'evaluate';
  share.packWeights(backward);
  // Any thread may multiply by any panel of a recurrent kernel (schedule's chunks): all are packed first.
  barrier.wait();
  share.forward();
  share.outputAndLoss(pass === 'probeLast');
  if (!backward) return; // evaluation: the loss statistics and the final state are all it needs
  share.backward(pass === 'probeLast' || pass === 'probeWindow');
}

/** One thread's part of a step, phase by phase; fields are the thread's ranges and the plan's shapes. */
class ThreadShare {
  private readonly mine: ThreadPlan;
  private readonly j0: number;
  private readonly j1: number;
  private readonly v0: number;
  private readonly v1: number;
  private readonly e0: number;
  private readonly e1: number;
  private readonly rowBytes: number;
  private readonly scratch: number;
  /** The two fixed halves of the unit blocks (the two-thread split, whatever the thread count): see chunkProduct. */
  private readonly segments: [number, number][];
  /** Recurrent phases begun in this pass (barrier.ts), numbered alike by every thread. */
  private phases = 0;
  /** The phase whose left-hand operand each half of mine.packedRows holds. */
  private readonly packedFor = [0, 0];

  constructor(
    private readonly k: FusedKernels,
    private readonly plan: FusedPlan,
    thread: number,
    private readonly barrier: Barrier,
    private readonly heap: Float32Array,
    private readonly active: number,
  ) {
    this.mine = plan.threads[thread];
    [this.j0, this.j1] = this.mine.units;
    [this.v0, this.v1] = this.mine.vocabPanels;
    [this.e0, this.e1] = this.mine.embeddingPanels;
    this.rowBytes = plan.hp * 4;
    this.scratch = this.mine.gemmScratch;
    // Where layout.ts's share() splits the blocks between two threads.
    const middle = Math.floor(plan.hp / 16);
    this.segments = [
      [0, middle],
      [middle, plan.hp / 8],
    ];
  }

  /** A parameter's current values: slot `active` (layout.ts). */
  private current(buffer: number): number {
    return buffer + this.active * this.plan.parameterSlotBytes;
  }

  /** This thread's panels of every weight matrix it multiplies by (weights change every step); transposes only for a backward pass. */
  packWeights(backward: boolean): void {
    const { k, plan, j0, j1, e0, e1 } = this;
    const { hp, vp } = plan;
    for (const layer of plan.layers) {
      for (const g of layer.groups) {
        const [c0, c1] = ownPanels(g, j0, j1);
        k.packB(this.current(g.recurrent), g.cols, 0, hp, g.cols, g.recurrentPacked + c0 * hp * 32, c0, c1);
        if (backward) k.packB(this.current(g.recurrent), g.cols, 1, g.cols, hp, g.recurrentTPacked + j0 * g.cols * 32, j0, j1);
        if (!layer.oneHot) {
          k.packB(this.current(g.kernel), g.cols, 0, layer.inRows, g.cols, g.kernelPacked! + c0 * layer.inRows * 32, c0, c1);
          // Wᵀ, for the gradient of the layer's input: panels over the input's columns (units below, or embedding).
          const [i0, i1] = layer === plan.layers[0] ? [e0, e1] : [j0, j1];
          if (backward) k.packB(this.current(g.kernel), g.cols, 1, g.cols, layer.inRows, g.kernelTPacked! + i0 * g.cols * 32, i0, i1);
        }
      }
    }
    k.packB(this.current(plan.outKernel), vp, 0, hp, vp, plan.outKernelPacked + this.v0 * hp * 32, this.v0, this.v1);
    if (backward) k.packB(this.current(plan.outKernel), vp, 1, vp, hp, plan.outKernelTPacked + j0 * vp * 32, j0, j1);
  }

  /**
   * Every layer over every time step. A step is one phase (two for the GRU:
   * r⊙h₋₁, then h_t) whose chunks of units the threads claim as they get
   * free (barrier.ts); a chunk's product waits only for the blocks of the
   * phase before that it reads.
   */
  forward(): void {
    const { k, plan, barrier } = this;
    if (plan.embeddingTable !== undefined) {
      k.gatherRows(plan.ids, plan.rows, this.current(plan.embeddingTable), plan.ep, 0, plan.embedded!, plan.ep, this.e0 * 8, this.e1 * 8);
      barrier.wait();
    }
    for (let l = 0; l < plan.layers.length; l++) {
      const layer = plan.layers[l];
      this.inputProducts(layer, l);
      // A chunk may fall on another thread's columns: every input product is written first.
      barrier.wait();
      // The first phase reads the initial state, written by the main thread before the step.
      let ready = 0;
      for (let t = 0; t < plan.time; t++) ready = this.forwardStep(layer, t, ready);
      // The next layer's input products (or the output layer) read every unit of every step.
      barrier.awaitBlocks(0, plan.hp / 8, ready);
    }
  }

  /** x·W + b of every step of layer `l` into its gates, over this thread's gate columns. */
  private inputProducts(layer: LayerPlan, l: number): void {
    const { k, plan, j0, j1, scratch } = this;
    const input = layerInput(plan, l);
    for (const g of layer.groups) {
      const [c0, c1] = ownPanels(g, j0, j1);
      if (layer.oneHot) {
        k.gatherRows(plan.ids, plan.rows, this.current(g.kernel), g.cols, this.current(g.bias), g.gatesSeq, g.cols, c0 * 8, c1 * 8);
      } else {
        k.broadcastRows(plan.rows, this.current(g.bias), g.gatesSeq, g.cols, c0 * 8, c1 * 8);
        k.gemm(plan.rows, layer.inRows, input.at, input.ld, 0, g.kernelPacked! + c0 * layer.inRows * 32, c0, c1, g.gatesSeq, g.cols, 1, scratch);
      }
    }
  }

  /** Step t of a layer after phase `ready`: its phase (the GRU's two); returns the last one's number. */
  private forwardStep(layer: LayerPlan, t: number, ready: number): number {
    const { k, plan, rowBytes } = this;
    const { batch: B, hp } = plan;
    const hPrev = layer.hiddenSeq + t * B * rowBytes;
    const hOut = hPrev + B * rowBytes;
    const [first, cand] = layer.groups;
    const z = first.gatesSeq + t * B * first.cols * 4;
    const gates: RecurrentProduct = {
      A: hPrev,
      lda: hp,
      kPerBlock: 8,
      packed: first.recurrentPacked,
      panelK: hp,
      perBlock: first.gates,
      C: z,
      ldc: first.cols,
      beta: 1,
    };
    if (plan.cell === 'lstm') {
      const cPrev = layer.cellSeq! + t * B * rowBytes;
      return this.phase((b0, b1) => {
        this.chunkProduct(gates, b0, b1, ready);
        k.lstmForward(B, hp, b0, b1, z, cPrev, cPrev + B * rowBytes, hOut);
      });
    }
    if (plan.cell === 'rnn') {
      return this.phase((b0, b1) => {
        this.chunkProduct(gates, b0, b1, ready);
        k.rnnForward(B, hp, b0, b1, z, hOut);
      });
    }
    const rh = layer.resetHidden! + t * B * rowBytes;
    const gated = this.phase((b0, b1) => {
      this.chunkProduct(gates, b0, b1, ready);
      k.gruForwardGates(B, hp, b0, b1, z, hPrev, rh);
    });
    const n = cand.gatesSeq + t * B * cand.cols * 4;
    const candidate: RecurrentProduct = { A: rh, lda: hp, kPerBlock: 8, packed: cand.recurrentPacked, panelK: hp, perBlock: 1, C: n, ldc: cand.cols, beta: 1 };
    return this.phase((b0, b1) => {
      this.chunkProduct(candidate, b0, b1, gated);
      k.gruForwardOutput(B, hp, b0, b1, z, n, hPrev, hOut);
    });
  }

  /**
   * The next recurrent phase: claims its chunks until none is left, does
   * `work` on each (unit blocks [b0, b1)) and publishes its blocks. Every
   * thread numbers the phases alike. Returns the phase's number.
   */
  private phase(work: (b0: number, b1: number) => void): number {
    const { barrier } = this;
    const { chunks } = this.plan;
    const phase = ++this.phases;
    for (let c = barrier.claim(phase, chunks.length); c >= 0; c = barrier.claim(phase, chunks.length)) {
      const [b0, b1] = chunks[c];
      work(b0, b1);
      barrier.publish(b0, b1, phase);
    }
    return phase;
  }

  /**
   * The product `p` for the output panels of unit blocks [b0, b1). k runs
   * over every unit block; each output column adds the two fixed halves of
   * the blocks in one order, its own block's half first, so each float is
   * the same whichever thread computes it and for any thread count. Before a
   * half is read its blocks must hold phase `ready`; it is packed once per
   * phase by each thread that reads it.
   */
  private chunkProduct(p: RecurrentProduct, b0: number, b1: number, ready: number): void {
    const { segments, barrier, plan } = this;
    const own = b0 < segments[0][1] ? 0 : 1;
    let acc = p.beta;
    for (const index of [own, 1 - own]) {
      const [s0, s1] = segments[index];
      if (s1 <= s0) continue;
      barrier.awaitBlocks(s0, s1, ready);
      const k0 = s0 * p.kPerBlock;
      const K = (s1 - s0) * p.kPerBlock;
      // Half 1 after half 0 (whose K is k0) in this thread's buffer.
      const packedA = this.mine.packedRows + Math.ceil(plan.batch / 4) * 4 * k0 * 4;
      if (this.packedFor[index] !== this.phases) {
        this.k.packRows(p.A + k0 * 4, p.lda, plan.batch, K, packedA);
        this.packedFor[index] = this.phases;
      }
      const bp = p.packed + (b0 * p.perBlock * p.panelK + k0) * 32;
      this.k.gemmPacked(plan.batch, K, packedA, bp, p.panelK, b0 * p.perBlock, b1 * p.perBlock, p.C, p.ldc, acc);
      acc = 1;
    }
  }

  /**
   * Logits (this thread's vocabulary panels), then softmax cross-entropy (its
   * rows). With `lastOnly` the gradient is that of the mean loss of the last
   * position's B rows: the other rows' gradients are zeroed.
   */
  outputAndLoss(lastOnly = false): void {
    const { k, plan, v0, v1 } = this;
    const { rows: N, hp, vp, batch: B } = plan;
    const [r0, r1] = this.mine.rows;
    k.broadcastRows(N, this.current(plan.outBias), plan.logits, vp, v0 * 8, v1 * 8);
    k.gemm(N, hp, this.topHidden(), hp, 0, plan.outKernelPacked + v0 * hp * 32, v0, v1, plan.logits, vp, 1, this.scratch);
    this.barrier.wait();
    k.softmaxCrossEntropy(r0, r1, plan.logits, vp, plan.vocab, plan.targets, lastOnly ? 1 / B : 1 / N, plan.stats);
    // Rows are time-major (t·B + b): the last position's rows are the last B.
    if (lastOnly && r0 < N - B) this.heap.fill(0, (plan.logits >> 2) + r0 * vp, (plan.logits >> 2) + Math.min(r1, N - B) * vp);
  }

  /**
   * The output layer's gradients, then backpropagation through time, top
   * layer first, and every weight gradient. A probe computes only ∂L/∂h_t,
   * layer by layer, and records its norms.
   */
  backward(probe = false): void {
    const { plan } = this;
    let dHidden = this.outputGradients(probe);
    for (let l = plan.layers.length - 1; l >= 0; l--) {
      const layer = plan.layers[l];
      // Any thread may take any chunk: every thread's columns of ∂L/∂h from above are written first.
      this.barrier.wait();
      const done = this.throughTime(layer, dHidden, probe ? l : -1);
      if (probe && l === 0) return;
      this.barrier.awaitBlocks(0, plan.hp / 8, done);
      if (!probe) this.weightGradients(layer, l);
      if (layer.oneHot) continue;
      const dInput = this.inputGradient(layer, l, dHidden);
      if (l > 0) dHidden = dInput;
      else this.embeddingGradient();
    }
  }

  /** The output kernel's and bias's gradients (not for a probe), and ∂L/∂(top layer's outputs), which it returns. */
  private outputGradients(probe: boolean): number {
    const { k, plan, j0, j1, v0, v1, mine, scratch } = this;
    const { rows: N, hp, vp } = plan;
    this.barrier.wait();
    // The logits now hold ∂L/∂logits.
    const dHidden = plan.hiddenGrad[0];
    k.gemm(N, vp, plan.logits, vp, 0, plan.outKernelTPacked + j0 * vp * 32, j0, j1, dHidden, hp, 0, scratch);
    if (probe) return dHidden;
    k.packB(plan.logits, vp, 0, N, vp, mine.packScratch, v0, v1);
    k.gemm(hp, N, this.topHidden(), hp, 1, mine.packScratch, v0, v1, plan.outKernelGrad, vp, 0, scratch);
    k.columnSums(N, plan.logits, vp, plan.outBiasGrad, v0 * 8, v1 * 8);
    return dHidden;
  }

  /**
   * Backpropagation through one layer's steps, last first: its gate gradients
   * replace the activated gates. With `flowLayer` ≥ 0 (a probe) it first
   * records the norms of ∂L/∂h_t of each step under that layer's index.
   * Returns the last phase, after which every gate gradient is written.
   */
  private throughTime(layer: LayerPlan, dHidden: number, flowLayer: number): number {
    const { plan, rowBytes } = this;
    let ready = 0;
    for (let t = plan.time - 1; t >= 0; t--) {
      const dAbove = dHidden + t * plan.batch * rowBytes;
      ready = plan.cell === 'gru' ? this.gruStepBack(layer, t, dAbove, ready, flowLayer) : this.stepBack(layer, t, dAbove, ready, flowLayer);
    }
    return ready;
  }

  /**
   * Σ(∂L/∂h_t)² over every stream, per 8-unit block of [b0, b1), into
   * flowSums. ∂L/∂h_t is what the step's backward kernel adds first: the
   * gradient from above (the output or the next layer) plus the one through
   * the recurrence, which are complete in these blocks here. Each block's sum
   * has one fixed order whoever computes it.
   */
  private recordFlow(l: number, t: number, dAbove: number, b0: number, b1: number): void {
    const { heap, plan } = this;
    const { batch: B, time: T, hp } = plan;
    const blocks = hp / 8;
    const sums = new Float64Array(heap.buffer, plan.flowSums + (l * T + t) * blocks * 8, blocks);
    const above = dAbove >> 2;
    const recurrent = plan.recurrentGrad >> 2;
    for (let j = b0; j < b1; j++) {
      let sum = 0;
      for (let b = 0; b < B; b++) {
        for (let u = j * 8; u < j * 8 + 8; u++) {
          const d = Math.fround(heap[above + b * hp + u] + heap[recurrent + b * hp + u]);
          sum += d * d;
        }
      }
      sums[j] = sum;
    }
  }

  /**
   * LSTM or RNN step t, one phase after phase `ready` (that of step t + 1):
   * per chunk, ∂L/∂h_t through the recurrence (step t + 1's gate gradients ·
   * Rᵀ; zero at the last step), then the gate gradients. Returns the phase.
   */
  private stepBack(layer: LayerPlan, t: number, dAbove: number, ready: number, flowLayer: number): number {
    const { k, plan, heap, rowBytes } = this;
    const { batch: B, hp } = plan;
    const first = layer.groups[0];
    const z = first.gatesSeq + t * B * first.cols * 4;
    const through = this.recurrentBack(first, t, 0);
    const cPrev = layer.cellSeq! + t * B * rowBytes;
    return this.phase((b0, b1) => {
      if (through) this.chunkProduct(through, b0, b1, ready);
      else zeroColumns(heap, plan.recurrentGrad, B, hp, b0 * 8, b1 * 8);
      if (flowLayer >= 0) this.recordFlow(flowLayer, t, dAbove, b0, b1);
      if (plan.cell === 'rnn') {
        k.rnnBackward(B, hp, b0, b1, z, dAbove, plan.recurrentGrad);
        return;
      }
      if (!through) zeroColumns(heap, plan.cellGrad, B, hp, b0 * 8, b1 * 8);
      k.lstmBackward(B, hp, b0, b1, z, cPrev, cPrev + B * rowBytes, dAbove, plan.recurrentGrad, plan.cellGrad);
    });
  }

  /**
   * GRU step t, two phases after phase `ready`: per chunk, the gates' path of
   * step t + 1 added to ∂L/∂h_t, then the candidate's gradients; then, once
   * every candidate gradient is written, through r⊙h₋₁ the reset and update
   * gates'. Returns the second phase.
   */
  private gruStepBack(layer: LayerPlan, t: number, dAbove: number, ready: number, flowLayer: number): number {
    const { k, plan, heap, rowBytes } = this;
    const { batch: B, hp } = plan;
    const hPrev = layer.hiddenSeq + t * B * rowBytes;
    const [first, cand] = layer.groups;
    const z = first.gatesSeq + t * B * first.cols * 4;
    const n = cand.gatesSeq + t * B * cand.cols * 4;
    // The kernels of step t + 1 left their share of ∂L/∂h_t in recurrentGrad: add the gates' path to it.
    const through = this.recurrentBack(first, t, 1);
    const candidate = this.phase((b0, b1) => {
      if (through) this.chunkProduct(through, b0, b1, ready);
      else zeroColumns(heap, plan.recurrentGrad, B, hp, b0 * 8, b1 * 8);
      if (flowLayer >= 0) this.recordFlow(flowLayer, t, dAbove, b0, b1);
      k.gruBackwardCandidate(B, hp, b0, b1, z, n, hPrev, dAbove, plan.recurrentGrad);
    });
    const reset: RecurrentProduct = {
      A: n,
      lda: hp,
      kPerBlock: 8,
      packed: cand.recurrentTPacked,
      panelK: hp,
      perBlock: 1,
      C: plan.resetGrad,
      ldc: hp,
      beta: 0,
    };
    return this.phase((b0, b1) => {
      this.chunkProduct(reset, b0, b1, candidate);
      k.gruBackwardReset(B, hp, b0, b1, z, hPrev, plan.resetGrad, plan.recurrentGrad);
    });
  }

  /**
   * ∂L/∂h_t through the recurrence = step t + 1's gate gradients · Rᵀ of the
   * first group, written (beta 0) or added (beta 1) to recurrentGrad; none
   * at the last step.
   */
  private recurrentBack(first: GroupPlan, t: number, beta: 0 | 1): RecurrentProduct | undefined {
    const { plan } = this;
    if (t === plan.time - 1) return undefined;
    const zNext = first.gatesSeq + (t + 1) * plan.batch * first.cols * 4;
    return {
      A: zNext,
      lda: first.cols,
      kPerBlock: 8 * first.gates,
      packed: first.recurrentTPacked,
      panelK: first.cols,
      perBlock: 1,
      C: plan.recurrentGrad,
      ldc: plan.hp,
      beta,
    };
  }

  /** The kernel, recurrent kernel and bias gradients of layer `l`, over this thread's gate columns. */
  private weightGradients(layer: LayerPlan, l: number): void {
    const { k, plan, heap, j0, j1, mine, scratch } = this;
    const { rows: N, hp } = plan;
    const input = layerInput(plan, l);
    for (const g of layer.groups) {
      const [c0, c1] = ownPanels(g, j0, j1);
      k.packB(g.gatesSeq, g.cols, 0, N, g.cols, mine.packScratch, c0, c1);
      // The candidate's recurrent product multiplies r⊙h₋₁, the other gates' h₋₁.
      const recurrentInput = g.firstGate === 2 ? layer.resetHidden! : layer.hiddenSeq;
      k.gemm(hp, N, recurrentInput, hp, 1, mine.packScratch, c0, c1, g.recurrentGrad, g.cols, 0, scratch);
      k.columnSums(N, g.gatesSeq, g.cols, g.biasGrad, c0 * 8, c1 * 8);
      if (layer.oneHot) {
        zeroColumns(heap, g.kernelGrad, layer.inRows, g.cols, c0 * 8, c1 * 8);
        k.scatterAddRows(plan.ids, N, g.gatesSeq, g.cols, g.kernelGrad, g.cols, c0 * 8, c1 * 8);
      } else {
        k.gemm(layer.inRows, N, input.at, input.ld, 1, mine.packScratch, c0, c1, g.kernelGrad, g.cols, 0, scratch);
      }
    }
  }

  /**
   * ∂L/∂(layer input) = Σ_groups ∂L/∂gates · Wᵀ, over this thread's columns of
   * the input: the layer below's outputs (into the hiddenGrad buffer `dHidden`
   * does not use) or the embedded rows. Returns where it wrote.
   */
  private inputGradient(layer: LayerPlan, l: number, dHidden: number): number {
    const { k, plan, j0, j1, e0, e1, scratch } = this;
    const below = l > 0;
    const [i0, i1] = below ? [j0, j1] : [e0, e1];
    const width = below ? plan.hp : plan.ep;
    const dInput = below ? plan.hiddenGrad[dHidden === plan.hiddenGrad[0] ? 1 : 0] : plan.embeddedGrad!;
    layer.groups.forEach((g, index) => {
      k.gemm(plan.rows, g.cols, g.gatesSeq, g.cols, 0, g.kernelTPacked! + i0 * g.cols * 32, i0, i1, dInput, width, index > 0 ? 1 : 0, scratch);
    });
    return dInput;
  }

  /** The embedding table's gradient: the embedded rows' gradients added into their tokens' rows. */
  private embeddingGradient(): void {
    const { k, plan, e0, e1 } = this;
    const { ep } = plan;
    zeroColumns(this.heap, plan.embeddingGrad!, plan.vocab, ep, e0 * 8, e1 * 8);
    k.scatterAddRows(plan.ids, plan.rows, plan.embeddedGrad!, ep, plan.embeddingGrad!, ep, e0 * 8, e1 * 8);
  }

  /** The top layer's outputs, rows t·B + b for steps 0 … T−1. */
  private topHidden(): number {
    return this.plan.layers[this.plan.layers.length - 1].hiddenSeq + this.plan.batch * this.rowBytes;
  }
}

/**
 * One recurrent product of a chunk: C[batch rows, the chunk's panels] (+= when
 * `beta`) A·B, k over the layer's unit blocks, `kPerBlock` columns of A per
 * block (8 for h, a group's gate columns per block for gate gradients); B's
 * panels packed `panelK` rows each from `packed` on, `perBlock` output
 * panels per unit block.
 */
interface RecurrentProduct {
  A: number;
  lda: number;
  kPerBlock: number;
  packed: number;
  panelK: number;
  perBlock: number;
  C: number;
  ldc: number;
  beta: 0 | 1;
}

/** The packed panels [p0, p1) of a gate group that belong to unit blocks [j0, j1). */
function ownPanels(g: GroupPlan, j0: number, j1: number): [number, number] {
  return [j0 * g.gates, j1 * g.gates];
}

function layerInput(plan: FusedPlan, l: number): { at: number; ld: number } {
  if (l > 0) return { at: plan.layers[l - 1].hiddenSeq + plan.batch * plan.hp * 4, ld: plan.hp };
  return { at: plan.embedded ?? 0, ld: plan.ep };
}

function zeroColumns(heap: Float32Array, at: number, rows: number, ld: number, c0: number, c1: number): void {
  if (c1 <= c0) return;
  const base = at / 4;
  for (let r = 0; r < rows; r++) heap.fill(0, base + r * ld + c0, base + r * ld + c1);
}

/**
 * After the backward pass: the global gradient norm (each thread's share of
 * Σg², summed in thread order by every thread, so all agree bit for bit),
 * clipping, and the optimizer's update of the columns this thread computed,
 * from slot `active` into the other slot. Nothing is written when the loss or
 * the norm is not finite. Thread 0 writes [norm, clipped norm, applied] into
 * the control block.
 */
export function runFusedUpdate(
  k: FusedKernels,
  plan: FusedPlan,
  thread: number,
  barrier: Barrier,
  heap: Float32Array,
  update: UpdateSettings | undefined,
  active: number,
): void {
  const share = new UpdateShare(k, plan, thread, barrier, heap);
  const norm = share.globalNorm();
  let clippedNorm = norm;
  const applied = update !== undefined && Number.isFinite(norm);
  if (applied) {
    let scale = 1;
    if (update.clipMode === 'norm') {
      scale = clipScale(norm, update.clipValue);
      clippedNorm = norm * scale;
    } else if (update.clipMode === 'value') {
      clippedNorm = share.clipByValue(update.clipValue);
    }
    share.applyOptimizer(update.optimizer, scale, active);
  }
  if (thread === 0) share.report(norm, clippedNorm, applied);
}

/** One thread's part of the update: the parameter columns whose gradients it computed. */
class UpdateShare {
  /** Float64 view of the control block (layout.ts). */
  private readonly control: Float64Array;
  /** Per parameter, the columns [c0, c1) this thread owns. */
  private readonly own: [number, number][];

  constructor(
    private readonly k: FusedKernels,
    private readonly plan: FusedPlan,
    private readonly thread: number,
    private readonly barrier: Barrier,
    private readonly heap: Float32Array,
  ) {
    this.control = new Float64Array(heap.buffer, plan.control, CONTROL_BYTES / 8);
    this.own = plan.parameters.map((p) => ownColumns(plan, p, thread));
  }

  /** √Σg² over every gradient; NaN when the loss of any row is not finite. */
  globalNorm(): number {
    const { plan, heap, own } = this;
    let squares = 0;
    plan.parameters.forEach((p, i) => {
      if (own[i][1] > own[i][0]) squares += this.k.sumSquares(p.grad, p.rows, p.ld, own[i][0], own[i][1]);
    });
    // A non-finite loss on this thread's rows poisons the sum, so every thread sees it.
    const [r0, r1] = plan.threads[this.thread].rows;
    for (let r = r0; r < r1; r++) {
      if (!Number.isFinite(heap[plan.stats / 4 + 2 * r]) || !Number.isFinite(heap[plan.stats / 4 + 2 * r + 1])) squares = NaN;
    }
    return Math.sqrt(this.sumOverThreads(CONTROL_PARTIALS, squares));
  }

  /** Clamps this thread's gradients to ±`clipValue`; returns the norm of all the clamped gradients. */
  clipByValue(clipValue: number): number {
    const { k, plan, own } = this;
    let clipped = 0;
    plan.parameters.forEach((p, i) => {
      if (own[i][1] <= own[i][0]) return;
      k.clampRange(p.grad, p.rows, p.ld, own[i][0], own[i][1], clipValue);
      clipped += k.sumSquares(p.grad, p.rows, p.ld, own[i][0], own[i][1]);
    });
    return Math.sqrt(this.sumOverThreads(CONTROL_CLIPPED_PARTIALS, clipped));
  }

  /**
   * Publishes this thread's `partial` at byte `offset` of the control block and,
   * once every thread has, returns their sum added in thread order, so every
   * thread gets the same float.
   */
  private sumOverThreads(offset: number, partial: number): number {
    const { control } = this;
    const at = offset / 8;
    control[at + this.thread] = partial;
    this.barrier.wait();
    let total = 0;
    for (let t = 0; t < this.plan.threads.length; t++) total += control[at + t];
    return total;
  }

  /** The optimizer's step on this thread's columns, from slot `active` into the other slot (layout.ts), gradients scaled by `scale`. */
  applyOptimizer(o: OptimizerUpdate, scale: number, active: number): void {
    const from = active * this.plan.parameterSlotBytes;
    const to = (1 - active) * this.plan.parameterSlotBytes;
    this.plan.parameters.forEach((p, i) => {
      const [c0, c1] = this.own[i];
      if (c1 > c0) updateColumns(this.k, o, p, c0, c1, scale, from, to);
    });
  }

  /** Thread 0's [norm, clipped norm, applied] for the main thread. */
  report(norm: number, clippedNorm: number, applied: boolean): void {
    const results = CONTROL_RESULTS / 8;
    this.control[results] = norm;
    this.control[results + 1] = clippedNorm;
    this.control[results + 2] = applied ? 1 : 0;
  }
}

/** One optimizer step on columns [c0, c1) of `p`: weights and moments read at `+ from`, written at `+ to`. */
function updateColumns(k: FusedKernels, o: OptimizerUpdate, p: ParameterPlan, c0: number, c1: number, scale: number, from: number, to: number): void {
  const [w, m1, m2] = [p.value, p.moment1, p.moment2];
  if (o.kind === 'adam') {
    k.adamUpdate(
      w + from,
      w + to,
      p.grad,
      m1 + from,
      m1 + to,
      m2 + from,
      m2 + to,
      p.rows,
      p.ld,
      c0,
      c1,
      scale,
      o.beta1,
      o.beta2,
      1 - o.beta1,
      1 - o.beta2,
      o.oneMinusAccBeta1,
      o.oneMinusAccBeta2,
      o.learningRate,
      o.epsilon,
    );
  } else if (o.kind === 'rmsprop') {
    k.rmspropUpdate(
      w + from,
      w + to,
      p.grad,
      m1 + from,
      m1 + to,
      m2 + from,
      m2 + to,
      p.rows,
      p.ld,
      c0,
      c1,
      scale,
      o.decay,
      1 - o.decay,
      o.momentum,
      o.learningRate,
      o.epsilon,
    );
  } else {
    k.sgdUpdate(w + from, w + to, p.grad, p.rows, p.ld, c0, c1, scale, o.learningRate);
  }
}
