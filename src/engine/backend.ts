import * as path from 'path';
import type * as WasmBackend from '@tensorflow/tfjs-backend-wasm';
import * as tf from './tfjs';
import type { BackendPreference } from '../core/spec';
import type { BackendInfo } from '../core/runFormat';
import { patchWasmBatchMatMul } from './wasmMatMulPatch';
import { installWasmKernels } from './wasmKernels';
import { installCpuKernels } from './cpuKernels';

export class BackendError extends Error {}

let active: BackendInfo | undefined;

/**
 * The packages that provide the native `tensorflow` backend, best first. Both are installed by the
 * user (their install downloads libtensorflow); the GPU build wins where it loads (CUDA present).
 */
export const NATIVE_MODULES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/* eslint-disable @typescript-eslint/no-require-imports -- installed by the user, or not at all; literal names keep them external in the bundle */
const loadModule: Record<(typeof NATIVE_MODULES)[number], () => void> = {
  '@tensorflow/tfjs-node-gpu': () => void require('@tensorflow/tfjs-node-gpu'),
  '@tensorflow/tfjs-node': () => void require('@tensorflow/tfjs-node'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Picks the tfjs backend once per process, in this order of preference (docs/architecture.md, "Training"):
 * tfjs-node-gpu or tfjs-node (native, installed by the user) → wasm with SIMD → cpu. A specific
 * preference that cannot load is an error, not a silent fallback.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  if (active) {
    if (!tfjsCandidates(preference).some((c) => backendNameFor(c) === active!.name)) {
      throw new BackendError(`backend "${active.name}" is already active in this process; cannot switch to "${preference}"`);
    }
    return active;
  }
  // tfjs-core's "install tfjs-node" banner and similar warnings are not for our users: the run records the backend.
  tf.env().set('PROD', true);
  const order = tfjsCandidates(preference);
  const failures: string[] = [];
  // Installed native packages that failed: recorded on whatever loads instead, so the run says why.
  let nativeFailures: string[] = [];
  for (const candidate of order) {
    try {
      const info = await tryBackend(candidate);
      if (info) {
        active = nativeFailures.length > 0 && !info.moduleFailures ? { ...info, moduleFailures: nativeFailures } : info;
        return active;
      }
      failures.push(candidate === 'node' ? `node: neither ${NATIVE_MODULES.join(' nor ')} is installed` : `${candidate}: not available`);
    } catch (err) {
      if (err instanceof NativeLoadError) nativeFailures = err.failures;
      failures.push(`${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new BackendError(`no tfjs backend could start (${failures.join('; ')})`);
}

/** Every installed native package failed to load; `failures` names each with its first error line. */
class NativeLoadError extends Error {
  constructor(readonly failures: string[]) {
    super(failures.join('; '));
  }
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}

/** tfjs backends to try, best first. `fused` still needs tfjs for the optimizer, evaluation and sampling. */
function tfjsCandidates(preference: BackendPreference): BackendPreference[] {
  if (preference === 'auto') return ['node', 'wasm', 'cpu'];
  if (preference === 'fused') return ['wasm', 'cpu'];
  return [preference];
}

function backendNameFor(preference: BackendPreference): string {
  return preference === 'node' ? 'tensorflow' : preference;
}

async function tryBackend(candidate: BackendPreference): Promise<BackendInfo | undefined> {
  switch (candidate) {
    case 'node':
      return loadNative();
    case 'wasm': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when this backend is chosen
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof WasmBackend;
      wasm.setWasmPaths(wasmDirectory());
      if (!(await tf.setBackend('wasm'))) return undefined;
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      installWasmKernels();
      return { name: 'wasm', simd: Boolean(simd), matMulPatched: patchWasmBatchMatMul() };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) return undefined;
      installCpuKernels();
      return { name: 'cpu' };
    default:
      return undefined;
  }
}

/**
 * The first native package that loads, in NATIVE_MODULES order; undefined when none is installed.
 * One that is installed but fails (no CUDA for the GPU build, a libtensorflow that does not load)
 * is noted and the next is tried; if none loads, the error names each failure.
 */
async function loadNative(): Promise<BackendInfo | undefined> {
  const failures: string[] = [];
  for (const module of NATIVE_MODULES) {
    try {
      loadModule[module]();
    } catch (err) {
      if (isNotInstalled(err, module)) continue;
      failures.push(`${module}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    // A package with its own copy of tfjs-core registers the backend there, where our tf never sees it.
    if (!tf.findBackendFactory('tensorflow')) {
      failures.push(`${module}: loaded, but registered no backend with RNN Lab's @tensorflow/tfjs-core (install version ${tf.version_core} beside RNN Lab)`);
      continue;
    }
    if (!(await tf.setBackend('tensorflow'))) {
      failures.push(`${module}: the tensorflow backend did not start`);
      continue;
    }
    return { name: 'tensorflow', module, ...(failures.length > 0 ? { moduleFailures: failures } : {}) };
  }
  if (failures.length > 0) throw new NativeLoadError(failures);
  return undefined;
}

/** The package itself is missing (not one of its own imports). */
function isNotInstalled(err: unknown, module: string): boolean {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${module}'`);
}

/** The .wasm binaries ship inside the installed package: point tfjs there instead of letting it fetch. */
function wasmDirectory(): string {
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}
