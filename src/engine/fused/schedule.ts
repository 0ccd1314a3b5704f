import { clipScale } from '../../core/clipping';
import type { Barrier } from './barrier';
import type { FusedKernels } from './kernels';
import { dropoutStream } from './dropoutMask';
import {
  CONTROL_BYTES,
  CONTROL_CLIPPED_PARTIALS,
  CONTROL_PARTIALS,
  CONTROL_RESULTS,
  ownColumns,
  type FusedPlan,
  type GroupPlan,
  type DirectionPlan,
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
  dropoutSeed?: number,
): void {
  // Dropout only in a training step, and only with a seed for its masks.
  const dropping = pass === 'train' && plan.dropout > 0 && dropoutSeed !== undefined;
  const probing = pass === 'probeLast' || pass === 'probeWindow';
  const share = new ThreadShare(k, plan, thread, barrier, heap, active, dropping ? dropoutSeed : undefined, plan.recurrence === 'rows' && !probing);
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
  /** Unit blocks per direction (each direction has its own ready flags: flag d·blocks + b). */
  private readonly blocks: number;
  /** The two fixed halves of the unit blocks (the two-thread split, whatever the thread count): see product. */
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
    /** Set when this pass drops out layer outputs: the seed of the step's masks. */
    private readonly dropoutSeed: number | undefined,
    /**
     * Recurrent steps split by batch rows. A probe splits by units: it sums
     * each unit block's ∂L/∂h_t over every row (recordFlow).
     */
    private readonly byRows: boolean,
  ) {
    this.mine = plan.threads[thread];
    [this.j0, this.j1] = this.mine.units;
    [this.v0, this.v1] = this.mine.vocabPanels;
    [this.e0, this.e1] = this.mine.embeddingPanels;
    this.rowBytes = plan.hp * 4;
    this.scratch = this.mine.gemmScratch;
    this.blocks = plan.hp / 8;
    // Where layout.ts's share() splits the blocks between two threads.
    const middle = Math.floor(this.blocks / 2);
    this.segments = [
      [0, middle],
      [middle, this.blocks],
    ];
  }

  /** A parameter's current values: slot `active` (layout.ts). */
  private current(buffer: number): number {
    return buffer + this.active * this.plan.parameterSlotBytes;
  }

  /** This thread's panels of every weight matrix it multiplies by (weights change every step); transposes only for a backward pass. */
  packWeights(backward: boolean): void {
    const { k, plan, j0, j1 } = this;
    const { hp, vp } = plan;
    for (const layer of plan.layers) {
      for (const g of layer.directions.flatMap((dir) => dir.groups)) {
        const [c0, c1] = ownPanels(g, j0, j1);
        k.packB(this.current(g.recurrent), g.cols, 0, hp, g.cols, g.recurrentPacked + c0 * hp * 32, c0, c1);
        if (backward) k.packB(this.current(g.recurrent), g.cols, 1, g.cols, hp, g.recurrentTPacked + j0 * g.cols * 32, j0, j1);
        if (layer.oneHot) continue;
        k.packB(this.current(g.kernel), g.cols, 0, layer.inRows, g.cols, g.kernelPacked! + c0 * layer.inRows * 32, c0, c1);
        if (!backward) continue;
        // Wᵀ, for the gradient of the layer's input: panels over the input's columns (the embedding, or each direction's units below).
        for (const [i0, i1] of this.inputPanels(layer === plan.layers[0])) {
          k.packB(this.current(g.kernel), g.cols, 1, g.cols, layer.inRows, g.kernelTPacked! + i0 * g.cols * 32, i0, i1);
        }
      }
    }
    const top = plan.directions * hp;
    k.packB(this.current(plan.outKernel), vp, 0, top, vp, plan.outKernelPacked + this.v0 * top * 32, this.v0, this.v1);
    if (!backward) return;
    for (const [i0, i1] of this.inputPanels(false)) k.packB(this.current(plan.outKernel), vp, 1, vp, top, plan.outKernelTPacked + i0 * vp * 32, i0, i1);
  }

  /** This thread's panels of a layer's input: its embedding panels, or its unit blocks of each direction below. */
  private inputPanels(embedded: boolean): [number, number][] {
    if (embedded) return [[this.e0, this.e1]];
    return Array.from({ length: this.plan.directions }, (_, d): [number, number] => [d * this.blocks + this.j0, d * this.blocks + this.j1]);
  }

  /**
   * Every layer over every time step. A step of a direction is one phase
   * (two for the GRU: r⊙h₋₁, then h_t). Split by rows, each thread runs its
   * batch rows through it; split by units, the threads claim its chunks of
   * units as they get free (barrier.ts), and a chunk's product waits only for
   * the blocks of its direction's phase before. A bidirectional layer
   * interleaves its directions' phases, so either fills the other's waits.
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
      const ready = layer.directions.map(() => 0);
      for (let s = 0; s < plan.time; s++) {
        layer.directions.forEach((dir, d) => (ready[d] = this.forwardStep(dir, d, dir.reverse ? plan.time - 1 - s : s, ready[d])));
      }
      // The next layer's input products (or the output layer) read every unit of every step.
      this.awaitRecurrence(ready);
      if (this.dropoutSeed !== undefined && !this.pools(l)) {
        this.dropout(layer, l);
        barrier.wait();
      }
    }
    if (plan.classifier) this.pool();
  }

  /** Whether layer `l` is a classifier's top layer, which is pooled (and its pooled rows dropped out) instead of read step by step. */
  private pools(l: number): boolean {
    return this.plan.classifier !== undefined && l === this.plan.layers.length - 1;
  }

  /**
   * A classifier's pooled rows over this thread's columns, then, in a step
   * with dropout, dropped out (stream after the layers'); every column is
   * written before the logits read them.
   */
  private pool(): void {
    const { k, plan, j0, j1 } = this;
    const head = plan.classifier!;
    const top = plan.layers[plan.layers.length - 1];
    top.directions.forEach((dir, d) => {
      if (head.pooled) k.meanPool(plan.batch, plan.hp, j0 * 8, j1 * 8, head.lengths, outputRows(plan, dir), head.pooled[d]);
      if (this.dropoutSeed === undefined) return;
      const scale = Math.fround(1 / Math.fround(1 - plan.dropout));
      const stream = dropoutStream(plan.layers.length, d);
      const [src, dst, mask] = [this.pooledRows(d), head.pooledDropped![d], head.pooledMask![d]];
      k.dropoutRows(plan.batch, plan.hp, j0 * 8, j1 * 8, plan.hidden, src, dst, mask, this.dropoutSeed, stream, plan.dropout, scale);
    });
    if (head.pooled || this.dropoutSeed !== undefined) this.barrier.wait();
  }

  /** Direction `d`'s pooled rows [batch, Hp]: its mean over the real steps, or its final state (block T forward, block 0 backward). */
  private pooledRows(d: number): number {
    const { plan } = this;
    const head = plan.classifier!;
    if (head.pooled) return head.pooled[d];
    const dir = plan.layers[plan.layers.length - 1].directions[d];
    return dir.hiddenSeq + (dir.reverse ? 0 : plan.time * plan.batch * this.rowBytes);
  }

  /** What the classifier's output layer reads of direction `d`: its pooled rows, dropped out in a pass with dropout. */
  private pooledInput(d: number): number {
    return this.dropoutSeed !== undefined ? this.plan.classifier!.pooledDropped![d] : this.pooledRows(d);
  }

  /** x·W + b of every step of layer `l` into each direction's gates, over this thread's gate columns. */
  private inputProducts(layer: LayerPlan, l: number): void {
    const { k, plan, j0, j1, scratch } = this;
    const parts = this.layerInputs(l);
    for (const g of layer.directions.flatMap((dir) => dir.groups)) {
      const [c0, c1] = ownPanels(g, j0, j1);
      if (layer.oneHot) {
        k.gatherRows(plan.ids, plan.rows, this.current(g.kernel), g.cols, this.current(g.bias), g.gatesSeq, g.cols, c0 * 8, c1 * 8);
        continue;
      }
      k.broadcastRows(plan.rows, this.current(g.bias), g.gatesSeq, g.cols, c0 * 8, c1 * 8);
      // One product per part of the input (a direction below): its rows of W, added in turn.
      for (const part of parts) {
        const bp = g.kernelPacked! + (c0 * layer.inRows + part.firstRow) * 32;
        k.gemmPanels(plan.rows, part.width, part.at, part.width, 0, bp, layer.inRows, c0, c1, g.gatesSeq, g.cols, 1, scratch);
      }
    }
  }

  /**
   * What layer `l` reads, part by part: the embedded rows, or each direction
   * of the layer below (its outputs, or with dropout their dropped copy),
   * with the first row of the kernel that multiplies it.
   */
  private layerInputs(l: number): { at: number; width: number; firstRow: number }[] {
    const { plan } = this;
    if (l === 0) return [{ at: plan.embedded ?? 0, width: plan.ep, firstRow: 0 }];
    return plan.layers[l - 1].directions.map((dir, d) => ({ at: this.readOutputs(dir), width: plan.hp, firstRow: d * plan.hp }));
  }

  /** A direction's outputs as the layer above reads them: rows t·B + b in time order, dropped out in a pass with dropout. */
  private readOutputs(dir: DirectionPlan): number {
    return this.dropoutSeed !== undefined ? dir.dropped! : outputRows(this.plan, dir);
  }

  /** Inverted dropout of layer `l`'s outputs, this thread's columns: masks drawn from the step's seed (dropoutMask.ts). */
  private dropout(layer: LayerPlan, l: number): void {
    const { plan, j0, j1 } = this;
    const scale = Math.fround(1 / Math.fround(1 - plan.dropout));
    layer.directions.forEach((dir, d) => {
      const { hp, rows, hidden, dropout } = plan;
      this.k.dropoutRows(
        rows,
        hp,
        j0 * 8,
        j1 * 8,
        hidden,
        outputRows(plan, dir),
        dir.dropped!,
        dir.dropMask!,
        this.dropoutSeed!,
        dropoutStream(l, d),
        dropout,
        scale,
      );
    });
  }

  /** Step t of direction `d` after its phase `ready`: its phase (the GRU's two); returns the last one's number. */
  private forwardStep(dir: DirectionPlan, d: number, t: number, ready: number): number {
    const { k, plan, rowBytes } = this;
    const { batch: B, hp } = plan;
    const [prev, out] = stateBlocks(dir, t).map((block) => block * B * rowBytes);
    const [hPrev, hOut] = [dir.hiddenSeq + prev, dir.hiddenSeq + out];
    const [first, cand] = dir.groups;
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
    // A part's rows of a [batch, Hp] state and of the gates.
    const state = (at: number, part: Part) => at + part.r0 * rowBytes;
    const gateRows = (part: Part) => z + part.r0 * first.cols * 4;
    if (plan.cell === 'lstm') {
      return this.phase(d, (part) => {
        this.product(gates, d, part, ready);
        const cells = dir.cellSeq!;
        k.lstmForward(rowCount(part), hp, part.b0, part.b1, gateRows(part), state(cells + prev, part), state(cells + out, part), state(hOut, part));
        this.keepPadded(dir, t, part);
      });
    }
    if (plan.cell === 'rnn') {
      return this.phase(d, (part) => {
        this.product(gates, d, part, ready);
        k.rnnForward(rowCount(part), hp, part.b0, part.b1, gateRows(part), state(hOut, part));
        this.keepPadded(dir, t, part);
      });
    }
    const rh = dir.resetHidden! + t * B * rowBytes;
    const gated = this.phase(d, (part) => {
      this.product(gates, d, part, ready);
      k.gruForwardGates(rowCount(part), hp, part.b0, part.b1, gateRows(part), state(hPrev, part), state(rh, part));
    });
    const n = cand.gatesSeq + t * B * cand.cols * 4;
    const candidate: RecurrentProduct = { A: rh, lda: hp, kPerBlock: 8, packed: cand.recurrentPacked, panelK: hp, perBlock: 1, C: n, ldc: cand.cols, beta: 1 };
    return this.phase(d, (part) => {
      this.product(candidate, d, part, gated);
      k.gruForwardOutput(rowCount(part), hp, part.b0, part.b1, gateRows(part), n + part.r0 * cand.cols * 4, state(hPrev, part), state(hOut, part));
      this.keepPadded(dir, t, part);
    });
  }

  /** A classifier's rows padded at step t keep their state through it (h, and the LSTM's c): a part's rows and units. */
  private keepPadded(dir: DirectionPlan, t: number, part: Part): void {
    const head = this.plan.classifier;
    if (!head) return;
    const { batch: B, hp } = this.plan;
    const [prev, out] = stateBlocks(dir, t).map((block) => (block * B + part.r0) * this.rowBytes);
    for (const seq of [dir.hiddenSeq, dir.cellSeq]) {
      if (seq !== undefined) this.k.keepPaddedRows(rowCount(part), hp, part.b0 * 8, part.b1 * 8, head.lengths + part.r0 * 4, t, seq + prev, seq + out);
    }
  }

  /**
   * A classifier's rows padded at step t get no gradient there: the gradient
   * through the recurrence (and the LSTM's carried ∂L/∂c) is zeroed before the
   * step's kernel, whose gate gradients are then zero (from above nothing
   * arrives at a padded step: the pooling and the layer above give it none).
   */
  private zeroPadded(d: number, t: number, part: Part): void {
    const head = this.plan.classifier;
    if (!head) return;
    const { hp } = this.plan;
    for (const buffer of this.plan.cell === 'lstm' ? [this.plan.recurrentGrad, this.plan.cellGrad] : [this.plan.recurrentGrad]) {
      const rows = this.scratchOf(buffer, d) + part.r0 * this.rowBytes;
      this.k.zeroPaddedRows(rowCount(part), hp, part.b0 * 8, part.b1 * 8, head.lengths + part.r0 * 4, t, rows);
    }
  }

  /**
   * The next recurrent phase, of direction `d`: does `work` on this thread's
   * parts of it and returns its number (every thread numbers the phases
   * alike). Split by rows, the thread's part is its batch rows over every
   * unit: what they read it wrote itself the phase before. Split by units, it
   * claims chunks of unit blocks (every row) until none is left and
   * publishes each chunk's blocks.
   */
  private phase(d: number, work: (part: Part) => void): number {
    const { barrier, plan } = this;
    const phase = ++this.phases;
    if (this.byRows) {
      const [r0, r1] = this.mine.batchRows;
      if (r1 > r0) work({ b0: 0, b1: this.blocks, r0, r1 });
      return phase;
    }
    const { chunks } = plan;
    for (let c = barrier.claim(phase, chunks.length); c >= 0; c = barrier.claim(phase, chunks.length)) {
      const [b0, b1] = chunks[c];
      work({ b0, b1, r0: 0, r1: plan.batch });
      barrier.publish(d * this.blocks + b0, d * this.blocks + b1, phase);
    }
    return phase;
  }

  /** After a layer's recurrence (each direction's last phase in `last`): every row and unit of every step is written. */
  private awaitRecurrence(last: number[]): void {
    if (this.byRows) this.barrier.wait();
    else last.forEach((phase, d) => this.barrier.awaitBlocks(d * this.blocks, (d + 1) * this.blocks, phase));
  }

  /**
   * The product `p` for a part: its rows, and the output panels of its unit
   * blocks, of direction `d`. k runs over every unit block; each output
   * column adds the two fixed halves of the blocks in one order, its own
   * block's half first, so each float is the same whichever thread computes
   * it, for either split and any thread count. Split by units, a half is read
   * once its blocks hold phase `ready`, and each thread packs it once per
   * phase; split by rows, the thread packs its rows of each half.
   */
  private product(p: RecurrentProduct, d: number, part: Part, ready: number): void {
    const { segments, barrier, plan } = this;
    const rows = rowCount(part);
    const halves = segments.map(([s0, s1], index) => {
      const [k0, K] = [s0 * p.kPerBlock, (s1 - s0) * p.kPerBlock];
      // Half 1 after half 0 (whose K is k0) in this thread's buffer.
      const packed = this.mine.packedRows + Math.ceil(rows / 4) * 4 * k0 * 4;
      return { index, k0, K, packed };
    });
    if (this.byRows) {
      for (const { k0, K, packed } of halves) if (K > 0) this.k.packRows(p.A + (part.r0 * p.lda + k0) * 4, p.lda, rows, K, packed);
    }
    const C = p.C + part.r0 * p.ldc * 4;
    // A part's blocks may straddle the middle (split by rows: all of them): each side adds its own half first.
    for (const [own, [s0, s1]] of segments.entries()) {
      const [b0, b1] = [Math.max(part.b0, s0), Math.min(part.b1, s1)];
      if (b1 <= b0) continue;
      let acc = p.beta;
      for (const { index, k0, K, packed } of [halves[own], halves[1 - own]]) {
        if (K === 0) continue;
        if (!this.byRows) {
          barrier.awaitBlocks(d * this.blocks + segments[index][0], d * this.blocks + segments[index][1], ready);
          if (this.packedFor[index] !== this.phases) {
            this.k.packRows(p.A + k0 * 4, p.lda, plan.batch, K, packed);
            this.packedFor[index] = this.phases;
          }
        }
        const bp = p.packed + (b0 * p.perBlock * p.panelK + k0) * 32;
        this.k.gemmPacked(rows, K, packed, bp, p.panelK, b0 * p.perBlock, b1 * p.perBlock, C, p.ldc, acc);
        acc = 1;
      }
    }
  }

  /**
   * Logits (this thread's vocabulary panels), then softmax cross-entropy (its
   * rows). With `lastOnly` the gradient is that of the mean loss of the last
   * position's B rows: the other rows' gradients are zeroed.
   */
  outputAndLoss(lastOnly = false): void {
    if (this.plan.classifier) {
      this.classifierOutputAndLoss();
      return;
    }
    const { k, plan, v0, v1 } = this;
    const { rows: N, hp, vp, batch: B } = plan;
    const [r0, r1] = this.mine.rows;
    const top = plan.directions * hp;
    k.broadcastRows(N, this.current(plan.outBias), plan.logits, vp, v0 * 8, v1 * 8);
    this.topOutputs().forEach((at, d) => {
      k.gemmPanels(N, hp, at, hp, 0, plan.outKernelPacked + (v0 * top + d * hp) * 32, top, v0, v1, plan.logits, vp, 1, this.scratch);
    });
    this.barrier.wait();
    k.softmaxCrossEntropy(r0, r1, plan.logits, vp, plan.vocab, plan.targets, lastOnly ? 1 / B : 1 / N, plan.stats);
    // Rows are time-major (t·B + b): the last position's rows are the last B.
    if (lastOnly && r0 < N - B) this.heap.fill(0, (plan.logits >> 2) + r0 * vp, (plan.logits >> 2) + Math.min(r1, N - B) * vp);
  }

  /** A classifier's logits, one row per sequence from its pooled rows, and their softmax cross-entropy (the mean over the batch). */
  private classifierOutputAndLoss(): void {
    const { k, plan, v0, v1 } = this;
    const { batch: B, hp, vp } = plan;
    const [r0, r1] = this.mine.rows;
    const top = plan.directions * hp;
    k.broadcastRows(B, this.current(plan.outBias), plan.logits, vp, v0 * 8, v1 * 8);
    for (let d = 0; d < plan.directions; d++) {
      k.gemmPanels(B, hp, this.pooledInput(d), hp, 0, plan.outKernelPacked + (v0 * top + d * hp) * 32, top, v0, v1, plan.logits, vp, 1, this.scratch);
    }
    this.barrier.wait();
    k.softmaxCrossEntropy(r0, r1, plan.logits, vp, plan.vocab, plan.targets, 1 / B, plan.stats);
  }

  /**
   * The output layer's gradients, then backpropagation through time, top
   * layer first, and every weight gradient. A probe computes only ∂L/∂h_t,
   * layer by layer, and records its norms.
   */
  backward(probe = false): void {
    const { plan, barrier } = this;
    let dHidden = plan.classifier ? this.classifierGradients() : this.outputGradients(probe);
    for (let l = plan.layers.length - 1; l >= 0; l--) {
      const layer = plan.layers[l];
      if (this.dropoutSeed !== undefined && !this.pools(l)) this.dropoutGradient(layer, dHidden);
      // Any thread may take any chunk: every thread's columns of ∂L/∂h from above are written first.
      barrier.wait();
      const done = this.throughTime(layer, dHidden, probe ? l : -1);
      if (probe && l === 0) return;
      this.awaitRecurrence(done);
      if (!probe) this.weightGradients(layer, l);
      if (layer.oneHot) continue;
      const dInput = this.inputGradient(layer, l, dHidden);
      if (l > 0) dHidden = dInput;
      else this.embeddingGradient();
    }
  }

  /** ∂L/∂(outputs) from ∂L/∂(dropped outputs): times the step's mask, this thread's columns. */
  private dropoutGradient(layer: LayerPlan, dHidden: number[]): void {
    const { plan, j0, j1 } = this;
    layer.directions.forEach((dir, d) => this.k.multiplyRows(plan.rows, plan.hp, j0 * 8, j1 * 8, dHidden[d], dir.dropMask!));
  }

  /** The output kernel's and bias's gradients (not for a probe), and ∂L/∂(top layer's outputs) per direction, which it returns. */
  private outputGradients(probe: boolean): number[] {
    const { k, plan, j0, j1, v0, v1, mine, scratch } = this;
    const { rows: N, hp, vp } = plan;
    this.barrier.wait();
    // The logits now hold ∂L/∂logits.
    const dHidden = plan.hiddenGrad[0];
    dHidden.forEach((at, d) => {
      const panel = d * this.blocks + j0;
      k.gemm(N, vp, plan.logits, vp, 0, plan.outKernelTPacked + panel * vp * 32, j0, j1, at, hp, 0, scratch);
    });
    if (probe) return dHidden;
    // The bias gradient is the column sums of ∂L/∂logits, taken while they are packed.
    k.packBColumnSums(plan.logits, vp, 0, N, vp, mine.packScratch, v0, v1, plan.outBiasGrad);
    this.topOutputs().forEach((at, d) => k.gemm(hp, N, at, hp, 1, mine.packScratch, v0, v1, plan.outKernelGrad + d * hp * vp * 4, vp, 0, scratch));
    return dHidden;
  }

  /**
   * A classifier's output kernel and bias gradients, and ∂L/∂(top layer's
   * outputs) per direction, which it returns: ∂L/∂(pooled rows) (times the
   * dropout mask) at the step "last" pooling read, or spread over the real
   * steps for mean pooling; zero at every other step.
   */
  private classifierGradients(): number[] {
    const { k, plan, j0, j1, v0, v1, mine, scratch } = this;
    const { batch: B, time: T, hp, vp } = plan;
    const head = plan.classifier!;
    this.barrier.wait();
    // The logits now hold ∂L/∂logits.
    const dHidden = plan.hiddenGrad[0];
    plan.layers[plan.layers.length - 1].directions.forEach((dir, d) => {
      const at = head.pooledGrad[d];
      k.gemm(B, vp, plan.logits, vp, 0, plan.outKernelTPacked + (d * this.blocks + j0) * vp * 32, j0, j1, at, hp, 0, scratch);
      if (this.dropoutSeed !== undefined) k.multiplyRows(B, hp, j0 * 8, j1 * 8, at, head.pooledMask![d]);
      if (head.pooled) k.meanPoolBackward(B, T, hp, j0 * 8, j1 * 8, head.lengths, at, dHidden[d]);
      else k.lastPoolBackward(B, T, hp, j0 * 8, j1 * 8, head.lengths, dir.reverse ? 1 : 0, at, dHidden[d]);
    });
    k.packBColumnSums(plan.logits, vp, 0, B, vp, mine.packScratch, v0, v1, plan.outBiasGrad);
    for (let d = 0; d < plan.directions; d++) {
      k.gemm(hp, B, this.pooledInput(d), hp, 1, mine.packScratch, v0, v1, plan.outKernelGrad + d * hp * vp * 4, vp, 0, scratch);
    }
    return dHidden;
  }

  /**
   * Backpropagation through one layer's steps, last first, its directions'
   * phases interleaved: gate gradients replace the activated gates. With
   * `flowLayer` ≥ 0 (a probe) it first records the norms of ∂L/∂h_t of each
   * step under that layer's index. Returns each direction's last phase,
   * after which its gate gradients are written.
   */
  private throughTime(layer: LayerPlan, dHidden: number[], flowLayer: number): number[] {
    const { plan, rowBytes } = this;
    const ready = layer.directions.map(() => 0);
    for (let s = plan.time - 1; s >= 0; s--) {
      layer.directions.forEach((dir, d) => {
        const t = dir.reverse ? plan.time - 1 - s : s;
        const dAbove = dHidden[d] + t * plan.batch * rowBytes;
        ready[d] = plan.cell === 'gru' ? this.gruStepBack(dir, d, t, dAbove, ready[d], flowLayer) : this.stepBack(dir, d, t, dAbove, ready[d], flowLayer);
      });
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
  private recordFlow(l: number, t: number, dAbove: number, part: Part): void {
    const { heap, plan } = this;
    // A probe splits by units (runFusedStep): the part has every row.
    const { b0, b1 } = part;
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

  /** Direction `d`'s [batch, Hp] scratch of `buffer` (recurrentGrad, cellGrad or resetGrad: one per direction). */
  private scratchOf(buffer: number, d: number): number {
    return buffer + d * this.plan.batch * this.rowBytes;
  }

  /**
   * LSTM or RNN step t of direction `d`, one phase after phase `ready` (that
   * of the step it ran next): per part, ∂L/∂h_t through the recurrence (the
   * next step's gate gradients · Rᵀ; zero at its last step), then the gate
   * gradients. Returns the phase.
   */
  private stepBack(dir: DirectionPlan, d: number, t: number, dAbove: number, ready: number, flowLayer: number): number {
    const { k, plan, heap, rowBytes } = this;
    const { batch: B, hp } = plan;
    const first = dir.groups[0];
    const z = first.gatesSeq + t * B * first.cols * 4;
    const dRec = this.scratchOf(plan.recurrentGrad, d);
    const dCell = this.scratchOf(plan.cellGrad, d);
    const through = this.recurrentBack(dir, d, t, 0);
    const [prev, out] = stateBlocks(dir, t).map((block) => (dir.cellSeq ?? 0) + block * B * rowBytes);
    return this.phase(d, (part) => {
      const [rows, o] = [rowCount(part), part.r0 * rowBytes];
      if (through) this.product(through, d, part, ready);
      else zeroColumns(heap, dRec + o, rows, hp, part.b0 * 8, part.b1 * 8);
      if (flowLayer >= 0) this.recordFlow(flowLayer, t, dAbove, part);
      if (!through && plan.cell === 'lstm') zeroColumns(heap, dCell + o, rows, hp, part.b0 * 8, part.b1 * 8);
      this.zeroPadded(d, t, part);
      const gates = z + part.r0 * first.cols * 4;
      if (plan.cell === 'rnn') {
        k.rnnBackward(rows, hp, part.b0, part.b1, gates, dAbove + o, dRec + o);
        return;
      }
      k.lstmBackward(rows, hp, part.b0, part.b1, gates, prev + o, out + o, dAbove + o, dRec + o, dCell + o);
    });
  }

  /**
   * GRU step t of direction `d`, two phases after phase `ready`: per part,
   * the gates' path of the step it ran next added to ∂L/∂h_t, then the
   * candidate's gradients; then, once the part's candidate gradients are
   * written (split by units: every one), through r⊙h₋₁ the reset and update
   * gates'. Returns the second phase.
   */
  private gruStepBack(dir: DirectionPlan, d: number, t: number, dAbove: number, ready: number, flowLayer: number): number {
    const { k, plan, heap, rowBytes } = this;
    const { batch: B, hp } = plan;
    const hPrev = dir.hiddenSeq + stateBlocks(dir, t)[0] * B * rowBytes;
    const [first, cand] = dir.groups;
    const z = first.gatesSeq + t * B * first.cols * 4;
    const n = cand.gatesSeq + t * B * cand.cols * 4;
    const dRec = this.scratchOf(plan.recurrentGrad, d);
    const dReset = this.scratchOf(plan.resetGrad, d);
    // The kernels of the step it ran next left their share of ∂L/∂h_t in dRec: add the gates' path to it.
    const through = this.recurrentBack(dir, d, t, 1);
    const candidate = this.phase(d, (part) => {
      const [rows, o] = [rowCount(part), part.r0 * rowBytes];
      if (through) this.product(through, d, part, ready);
      else zeroColumns(heap, dRec + o, rows, hp, part.b0 * 8, part.b1 * 8);
      if (flowLayer >= 0) this.recordFlow(flowLayer, t, dAbove, part);
      this.zeroPadded(d, t, part);
      k.gruBackwardCandidate(rows, hp, part.b0, part.b1, z + part.r0 * first.cols * 4, n + part.r0 * cand.cols * 4, hPrev + o, dAbove + o, dRec + o);
    });
    const reset: RecurrentProduct = { A: n, lda: hp, kPerBlock: 8, packed: cand.recurrentTPacked, panelK: hp, perBlock: 1, C: dReset, ldc: hp, beta: 0 };
    return this.phase(d, (part) => {
      const [rows, o] = [rowCount(part), part.r0 * rowBytes];
      this.product(reset, d, part, candidate);
      k.gruBackwardReset(rows, hp, part.b0, part.b1, z + part.r0 * first.cols * 4, hPrev + o, dReset + o, dRec + o);
    });
  }

  /**
   * ∂L/∂h_t through the recurrence = the gate gradients of the step the
   * direction ran after t · Rᵀ of the first group, written (beta 0) or added
   * (beta 1) to the direction's recurrentGrad; none at its last step.
   */
  private recurrentBack(dir: DirectionPlan, d: number, t: number, beta: 0 | 1): RecurrentProduct | undefined {
    const { plan } = this;
    const next = dir.reverse ? t - 1 : t + 1;
    if (next < 0 || next >= plan.time) return undefined;
    const first = dir.groups[0];
    const zNext = first.gatesSeq + next * plan.batch * first.cols * 4;
    const C = this.scratchOf(plan.recurrentGrad, d);
    return { A: zNext, lda: first.cols, kPerBlock: 8 * first.gates, packed: first.recurrentTPacked, panelK: first.cols, perBlock: 1, C, ldc: plan.hp, beta };
  }

  /** The kernel, recurrent kernel and bias gradients of layer `l`, over this thread's gate columns. */
  private weightGradients(layer: LayerPlan, l: number): void {
    const { k, plan, heap, j0, j1, mine, scratch } = this;
    const { rows: N, hp } = plan;
    const parts = this.layerInputs(l);
    for (const dir of layer.directions) {
      for (const g of dir.groups) {
        const [c0, c1] = ownPanels(g, j0, j1);
        // The bias gradient is the column sums of the gate gradients, taken while they are packed.
        k.packBColumnSums(g.gatesSeq, g.cols, 0, N, g.cols, mine.packScratch, c0, c1, g.biasGrad);
        // A one-hot input's kernel gradient reads the gate gradients again: now, while they are in cache.
        if (layer.oneHot) {
          zeroColumns(heap, g.kernelGrad, layer.inRows, g.cols, c0 * 8, c1 * 8);
          k.scatterAddRows(plan.ids, N, g.gatesSeq, g.cols, g.kernelGrad, g.cols, c0 * 8, c1 * 8);
        }
        // The candidate's recurrent product multiplies r⊙h₋₁, the other gates' h₋₁.
        const recurrentInput = g.firstGate === 2 ? dir.resetHidden! : previousRows(plan, dir);
        k.gemm(hp, N, recurrentInput, hp, 1, mine.packScratch, c0, c1, g.recurrentGrad, g.cols, 0, scratch);
        if (layer.oneHot) continue;
        for (const part of parts) {
          k.gemm(part.width, N, part.at, part.width, 1, mine.packScratch, c0, c1, g.kernelGrad + part.firstRow * g.cols * 4, g.cols, 0, scratch);
        }
      }
    }
  }

  /**
   * ∂L/∂(layer input) = Σ_directions Σ_groups ∂L/∂gates · Wᵀ, over this
   * thread's columns of the input: each direction's outputs of the layer
   * below (into the hiddenGrad set `dHidden` is not), or the embedded rows.
   * Returns where it wrote, per direction below.
   */
  private inputGradient(layer: LayerPlan, l: number, dHidden: number[]): number[] {
    const { k, plan, scratch } = this;
    const groups = layer.directions.flatMap((dir) => dir.groups);
    const targets = l > 0 ? plan.hiddenGrad[dHidden === plan.hiddenGrad[0] ? 1 : 0] : [plan.embeddedGrad!];
    const width = l > 0 ? plan.hp : plan.ep;
    this.inputPanels(l === 0).forEach(([i0, i1], part) => {
      const [p0, p1] = l > 0 ? [this.j0, this.j1] : [i0, i1];
      groups.forEach((g, index) => {
        k.gemm(plan.rows, g.cols, g.gatesSeq, g.cols, 0, g.kernelTPacked! + i0 * g.cols * 32, p0, p1, targets[part], width, index > 0 ? 1 : 0, scratch);
      });
    });
    return targets;
  }

  /** The embedding table's gradient: the embedded rows' gradients added into their tokens' rows. */
  private embeddingGradient(): void {
    const { k, plan, e0, e1 } = this;
    const { ep } = plan;
    zeroColumns(this.heap, plan.embeddingGrad!, plan.inputVocab, ep, e0 * 8, e1 * 8);
    k.scatterAddRows(plan.ids, plan.rows, plan.embeddedGrad!, ep, plan.embeddingGrad!, ep, e0 * 8, e1 * 8);
  }

  /** What the output layer reads: each direction of the top layer, rows t·B + b for steps 0 … T−1. */
  private topOutputs(): number[] {
    return this.plan.layers[this.plan.layers.length - 1].directions.map((dir) => this.readOutputs(dir));
  }
}

/** [the block holding the state before step t, the block receiving h_t] of a direction's state sequences (layout.ts). */
function stateBlocks(dir: DirectionPlan, t: number): [number, number] {
  return dir.reverse ? [t + 1, t] : [t, t + 1];
}

/** A direction's h_t for t = 0 … T−1, rows t·B + b. */
function outputRows(plan: FusedPlan, dir: DirectionPlan): number {
  return dir.hiddenSeq + (dir.reverse ? 0 : plan.batch * plan.hp * 4);
}

/** The state each step of a direction starts from, in time order: rows t·B + b hold the state before step t. */
function previousRows(plan: FusedPlan, dir: DirectionPlan): number {
  return dir.hiddenSeq + (dir.reverse ? plan.batch * plan.hp * 4 : 0);
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

/** A thread's share of a recurrent phase: unit blocks [b0, b1) of batch rows [r0, r1). */
interface Part {
  b0: number;
  b1: number;
  r0: number;
  r1: number;
}

function rowCount(part: Part): number {
  return part.r1 - part.r0;
}

/** The packed panels [p0, p1) of a gate group that belong to unit blocks [j0, j1). */
function ownPanels(g: GroupPlan, j0: number, j1: number): [number, number] {
  return [j0 * g.gates, j1 * g.gates];
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
