import * as fs from 'fs';
import * as path from 'path';

/** The exports of dist/fused.wasm (assembly/index.ts). Pointers are byte offsets; dimensions count floats. */
export interface FusedKernels {
  packB(src: number, ld: number, trans: number, K: number, N: number, dst: number, p0: number, p1: number): void;
  gemm(M: number, K: number, A: number, lda: number, transA: number, Bp: number, p0: number, p1: number, C: number, ldc: number, acc: number, scratch: number): void;
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
  columnSums(n: number, src: number, lds: number, dst: number, c0: number, c1: number): void;
  scatterAddRows(ids: number, n: number, src: number, lds: number, dst: number, ldd: number, c0: number, c1: number): void;
  softmaxCrossEntropy(r0: number, r1: number, logits: number, ld: number, vocab: number, targets: number, scale: number, stats: number): void;
}

/** The module's declared memory maximum (pages of 64 KiB): 2 GiB. */
export const MAX_MEMORY_PAGES = 32768;

/** dist/fused.wasm, found from the bundle (dist/) or from compiled sources (out/src/engine/fused/). */
export function fusedWasmPath(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', 'fused.wasm');
    if (fs.existsSync(candidate)) return candidate;
    const inBundle = path.join(dir, 'fused.wasm');
    if (fs.existsSync(inBundle)) return inBundle;
    if (path.dirname(dir) === dir) throw new Error('dist/fused.wasm is missing: run `npm run build`');
  }
}

let compiled: WebAssembly.Module | undefined;

/** Compiles the kernels once per thread that asks (workers receive the compiled module instead). */
export function fusedModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(fs.readFileSync(fusedWasmPath()));
  return compiled;
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): FusedKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as FusedKernels;
}

/** A shared memory the kernels can use; it grows (never shrinks) to fit each plan. */
export function createSharedMemory(bytes: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536), maximum: MAX_MEMORY_PAGES, shared: true });
}
