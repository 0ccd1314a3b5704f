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
 * Picks the tfjs backend once per process, in this order of preference (docs/architecture.md, "Training"):
 * tfjs-node (native, optional dependency) → wasm with SIMD → cpu. A specific
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
  for (const candidate of order) {
    try {
      const info = await tryBackend(candidate);
      if (info) {
        active = info;
        return info;
      }
      failures.push(`${candidate}: not available`);
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new BackendError(`no tfjs backend could start (${failures.join('; ')})`);
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
    case 'node': {
      // An optional dependency whose install needs libtensorflow: often absent.
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when installed (an optional dependency)
        require('@tensorflow/tfjs-node');
      } catch {
        return undefined;
      }
      if (!(await tf.setBackend('tensorflow'))) return undefined;
      return { name: 'tensorflow' };
    }
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

/** The .wasm binaries ship inside the installed package: point tfjs there instead of letting it fetch. */
function wasmDirectory(): string {
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}
