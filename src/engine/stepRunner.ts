import type * as tf from './tfjs';
import type { BackendInfo } from '../core/runFormat';
import type { BackendPreference, ModelSpec } from '../core/spec';
import { FusedStepper } from './fused/fusedStepper';
import { defaultFusedThreads, fusedUnsupportedReason } from './fused/support';
import type { RecurrentModel, RecurrentState } from './model';
import { fusedTrainStep, trainStep, type StepInput, type StepOutcome, type StepSettings } from './trainStep';

/** Computes one optimizer step, on the fused kernels or on tfjs ops. */
export interface StepRunner {
  step(model: RecurrentModel, optimizer: tf.Optimizer, window: StepInput, state: RecurrentState | undefined, settings: StepSettings): Promise<StepOutcome>;
  dispose(): void;
}

export interface ChosenStepRunner {
  runner: StepRunner;
  /** The backend as the run records it: which path computes gradients, with how many threads, and why not fused. */
  backend: BackendInfo;
}

export interface StepRunnerRequest {
  spec: ModelSpec;
  batch: number;
  time: number;
  preference: BackendPreference;
  /** The tfjs backend that loaded for this preference. */
  tfjsBackend: BackendInfo;
  threads?: number;
  /** Tests only (see FusedStepperOptions). */
  exitDuringStep?: { thread: number; step: number };
}

/**
 * The rule: tfjs-node where it loaded (native, fastest), the fused
 * kernels otherwise (`auto` or `fused`), plain tfjs ops when asked for by name
 * (`wasm`, `cpu`: the reference). A model the kernels do not support trains on
 * tfjs ops with a one-line notice in the run's backend record.
 */
export async function chooseStepRunner(request: StepRunnerRequest): Promise<ChosenStepRunner> {
  const { spec, tfjsBackend } = request;
  const wantsFused = request.preference === 'fused' || (request.preference === 'auto' && tfjsBackend.name !== 'tensorflow');
  if (!wantsFused) return { runner: tfjsRunner, backend: { ...tfjsBackend, training: 'tfjs' } };
  const reason = fusedUnsupportedReason(spec, request.batch, request.time);
  if (reason) {
    return { runner: tfjsRunner, backend: { ...tfjsBackend, training: 'tfjs', notice: `Fused kernels not used: ${reason}; training with tfjs ${tfjsBackend.name} ops (slower).` } };
  }
  const threads = request.threads ?? (await defaultFusedThreads());
  const stepper = await FusedStepper.create(spec, { threads, exitDuringStep: request.exitDuringStep });
  return {
    runner: {
      step: (model, optimizer, window, state, settings) => fusedTrainStep(stepper, model, optimizer, window, state, settings),
      dispose: () => stepper.dispose(),
    },
    backend: { ...tfjsBackend, training: 'fused', threads },
  };
}

const tfjsRunner: StepRunner = {
  step: async (model, optimizer, window, state, settings) => trainStep(model, optimizer, window, state, settings),
  dispose: () => {},
};
