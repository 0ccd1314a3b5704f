import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import memoryLimits from '../../../assembly/memory.json';

/** The exports of dist/fused.wasm (assembly/index.ts). Pointers are byte offsets; dimensions count floats. */
export interface FusedKernels {
  packB(src: number, ld: number, trans: number, K: number, N: number, dst: number, p0: number, p1: number): void;
  /** packB, and the sum of each packed column over its K rows into sums[8·p0 … 8·p1). */
  packBColumnSums(src: number, ld: number, trans: number, K: number, N: number, dst: number, p0: number, p1: number, sums: number): void;
  gemm(
    M: number,
    K: number,
    A: number,
    lda: number,
    transA: number,
    Bp: number,
    p0: number,
    p1: number,
    C: number,
    ldc: number,
    acc: number,
    scratch: number,
  ): void;
  /** gemm over rows k0 … k0 + K of B's panels, packed `panelK` rows each: `Bp` at row k0 of panel p0, `A` at column k0. */
  gemmPanels(
    M: number,
    K: number,
    A: number,
    lda: number,
    transA: number,
    Bp: number,
    panelK: number,
    p0: number,
    p1: number,
    C: number,
    ldc: number,
    acc: number,
    scratch: number,
  ): void;
  /** Packs the M rows of A[M, K] for gemmPacked: 4·⌈M/4⌉·K floats at `dst`. */
  packRows(A: number, lda: number, M: number, K: number, dst: number): void;
  /** gemmPanels with A packed by packRows at `Ap`. */
  gemmPacked(M: number, K: number, Ap: number, Bp: number, panelK: number, p0: number, p1: number, C: number, ldc: number, acc: number): void;
  applyActivation(kind: number, input: number, output: number, n: number): void;
  lstmForward(rows: number, hp: number, j0: number, j1: number, z: number, cPrev: number, cOut: number, hOut: number): void;
  lstmBackward(rows: number, hp: number, j0: number, j1: number, z: number, cPrev: number, c: number, dhAbove: number, dhRec: number, dc: number): void;
  rnnForward(rows: number, hp: number, j0: number, j1: number, z: number, hOut: number): void;
  rnnBackward(rows: number, hp: number, j0: number, j1: number, z: number, dhAbove: number, dhRec: number): void;
  gruForwardGates(rows: number, hp: number, j0: number, j1: number, zr: number, hPrev: number, rh: number): void;
  gruForwardOutput(rows: number, hp: number, j0: number, j1: number, zr: number, n: number, hPrev: number, hOut: number): void;
  gruBackwardCandidate(rows: number, hp: number, j0: number, j1: number, zr: number, n: number, hPrev: number, dhAbove: number, dhRec: number): void;
  gruBackwardReset(rows: number, hp: number, j0: number, j1: number, zr: number, hPrev: number, drh: number, dhRec: number): void;
  gatherRows(ids: number, n: number, table: number, ldt: number, bias: number, dst: number, ldd: number, c0: number, c1: number): void;
  broadcastRows(n: number, vector: number, dst: number, ldd: number, c0: number, c1: number): void;
  scatterAddRows(ids: number, n: number, src: number, lds: number, dst: number, ldd: number, c0: number, c1: number): void;
  dropoutRows(
    rows: number,
    ld: number,
    c0: number,
    c1: number,
    hidden: number,
    src: number,
    dst: number,
    mask: number,
    seed: number,
    stream: number,
    rate: number,
    scale: number,
  ): void;
  multiplyRows(rows: number, ld: number, c0: number, c1: number, a: number, mask: number): void;
  softmaxCrossEntropy(r0: number, r1: number, logits: number, ld: number, vocab: number, targets: number, scale: number, stats: number): void;
  sumSquares(g: number, rows: number, ld: number, c0: number, c1: number): number;
  clampRange(g: number, rows: number, ld: number, c0: number, c1: number, bound: number): void;
  adamUpdate(
    w: number,
    wOut: number,
    g: number,
    m: number,
    mOut: number,
    v: number,
    vOut: number,
    rows: number,
    ld: number,
    c0: number,
    c1: number,
    scale: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    learningRate: number,
    epsilon: number,
  ): void;
  rmspropUpdate(
    w: number,
    wOut: number,
    g: number,
    s: number,
    sOut: number,
    mom: number,
    momOut: number,
    rows: number,
    ld: number,
    c0: number,
    c1: number,
    scale: number,
    decay: number,
    oneMinusDecay: number,
    momentum: number,
    learningRate: number,
    epsilon: number,
  ): void;
  sgdUpdate(w: number, wOut: number, g: number, rows: number, ld: number, c0: number, c1: number, scale: number, learningRate: number): void;
  /** A classifier's padded rows and pooling (assembly/heads.ts). */
  keepPaddedRows(batch: number, ld: number, c0: number, c1: number, lengths: number, t: number, prev: number, out: number): void;
  zeroPaddedRows(batch: number, ld: number, c0: number, c1: number, lengths: number, t: number, buf: number): void;
  meanPool(batch: number, ld: number, c0: number, c1: number, lengths: number, seq: number, pooled: number): void;
  meanPoolBackward(batch: number, time: number, ld: number, c0: number, c1: number, lengths: number, dPooled: number, dSeq: number): void;
  lastPoolBackward(batch: number, time: number, ld: number, c0: number, c1: number, lengths: number, reverse: number, dPooled: number, dSeq: number): void;
}

/** The module's declared memory maximum (pages of 64 KiB): 2 GiB, written once for the build and for us. */
export const MAX_MEMORY_PAGES: number = memoryLimits.maximumPages;

export type SimdFlavour = 'relaxed' | 'plain';

/** dist/<file>, found from the bundle (dist/) or from compiled sources (out/src/engine/fused/). */
function distFile(file: string): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', file);
    if (fs.existsSync(candidate)) return candidate;
    const inBundle = path.join(dir, file);
    if (fs.existsSync(inBundle) && path.basename(dir) === 'dist') return inBundle;
    if (path.dirname(dir) === dir) throw new Error(`dist/${file} is missing: run \`npm run build\``);
  }
}

const compiled = new Map<SimdFlavour, WebAssembly.Module>();

/**
 * The kernels, compiled once per process (workers receive the compiled
 * module). `auto` takes the relaxed-SIMD build (fused multiply-add) when this
 * V8 validates it: Node 20 needs --experimental-wasm-relaxed-simd, which is
 * set here before compiling (our engine and CLI are processes of their own);
 * newer V8s run it by default.
 */
export function fusedModule(preference: SimdFlavour | 'auto' = 'auto'): { module: WebAssembly.Module; simd: SimdFlavour } {
  const simd: SimdFlavour = preference === 'plain' ? 'plain' : relaxedSimdAvailable() ? 'relaxed' : 'plain';
  if (preference === 'relaxed' && simd !== 'relaxed') throw new Error('this runtime does not support relaxed SIMD');
  let module = compiled.get(simd);
  if (!module) {
    module = new WebAssembly.Module(fs.readFileSync(distFile(simd === 'relaxed' ? 'fused-relaxed.wasm' : 'fused.wasm')));
    compiled.set(simd, module);
  }
  return { module, simd };
}

let relaxedChecked: boolean | undefined;

function relaxedSimdAvailable(): boolean {
  if (relaxedChecked === undefined) {
    const bytes = fs.readFileSync(distFile('fused-relaxed.wasm'));
    if (!WebAssembly.validate(bytes)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedChecked = WebAssembly.validate(bytes);
  }
  return relaxedChecked;
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): FusedKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as FusedKernels;
}

/** A shared memory the kernels can use; it grows (never shrinks) to fit each plan. */
export function createSharedMemory(bytes: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536), maximum: MAX_MEMORY_PAGES, shared: true });
}
