import type * as tf from '../tfjs';
import type { BackendInfo } from '../../core/runFormat';
import type { BackendPreference } from '../../core/spec';
import { FusedStepper, type FusedStepperOptions } from '../fused/fusedStepper';
import { defaultFusedThreads, fusedUnsupportedReason } from '../fused/support';
import type { RecurrentModel, RecurrentState } from '../model';
import { trainStep } from './tfjsStep';
import type { StepInput, StepOutcome, StepSettings } from './stepTypes';
import { FusedTraining } from '../fused/fusedTraining';
import { evaluateLoss } from './evaluate';
import { tfjsGradientFlow } from './gradientFlow';
import type { Window } from '../../core/batching';

/** Computes one optimizer step of the job's model and optimizer, on the fused kernels or on tfjs ops. */
export interface StepRunner {
  step(window: StepInput, state: RecurrentState | undefined, settings: StepSettings): Promise<StepOutcome>;
  /** Mean loss (nats per token) over held-out windows with the current parameters. */
  evaluate(windows: Window[]): Promise<number>;
  /** Per layer ‖∂L/∂h_t‖ over a window from a zero state, parameters unchanged (gradientFlow.ts). */
  gradientFlow(window: StepInput, lastOnly: boolean): Promise<Float64Array[]>;
  /** Brings the tfjs model and optimizer up to date (before sampling and checkpoints). */
  sync(): Promise<void>;
  dispose(): void;
}

export interface ChosenStepRunner {
  runner: StepRunner;
  /** The backend as the run records it: which path computes gradients, with how many threads, and why not fused. */
  backend: BackendInfo;
}

export interface StepRunnerRequest {
  model: RecurrentModel;
  optimizer: tf.Optimizer;
  batch: number;
  time: number;
  preference: BackendPreference;
  /** The tfjs backend that loaded for this preference. */
  tfjsBackend: BackendInfo;
  threads?: number;
  /** Tests only (see FusedStepperOptions). */
  exitDuringStep?: FusedStepperOptions['exitDuringStep'];
}

/**
 * The rule: tfjs-node where it loaded (native, fastest), the fused
 * kernels otherwise (`auto` or `fused`), plain tfjs ops when asked for by name
 * (`wasm`, `cpu`: the reference). A model the kernels do not support, or
 * kernels that cannot start here, train on tfjs ops with a one-line notice in
 * the run's backend record.
 */
export async function chooseStepRunner(request: StepRunnerRequest): Promise<ChosenStepRunner> {
  const { model, optimizer, tfjsBackend } = request;
  const spec = model.spec;
  const wantsFused = request.preference === 'fused' || (request.preference === 'auto' && tfjsBackend.name !== 'tensorflow');
  const tfjsRunner = tfjsStepRunner(model, optimizer);
  if (!wantsFused) return { runner: tfjsRunner, backend: { ...tfjsBackend, training: 'tfjs' } };
  const fallBack = (why: string): ChosenStepRunner => ({
    runner: tfjsRunner,
    backend: { ...tfjsBackend, training: 'tfjs', notice: `Fused kernels not used: ${why}; training with tfjs ${tfjsBackend.name} ops (slower).` },
  });
  const reason = fusedUnsupportedReason(spec, request.batch, request.time);
  if (reason) return fallBack(reason);
  const threads = request.threads ?? (await defaultFusedThreads());
  let stepper: FusedStepper;
  try {
    stepper = await FusedStepper.create(spec, { threads, batch: request.batch, time: request.time, exitDuringStep: request.exitDuringStep });
  } catch (err) {
    // A missing or unloadable dist/fused.wasm, a runtime without wasm SIMD or threads: still train.
    return fallBack(`they could not start (${(err as Error).message.split('\n')[0]})`);
  }
  const training = new FusedTraining(stepper, model, optimizer);
  return {
    runner: {
      step: (window, state, settings) => training.step(window, state, settings),
      evaluate: (windows) => training.evaluate(windows),
      gradientFlow: (window, lastOnly) => training.gradientFlow(window, lastOnly),
      sync: () => training.sync(),
      dispose: () => stepper.dispose(),
    },
    backend: { ...tfjsBackend, training: 'fused', threads, fusedSimd: stepper.simd },
  };
}

function tfjsStepRunner(model: RecurrentModel, optimizer: tf.Optimizer): StepRunner {
  return {
    step: async (window, state, settings) => trainStep(model, optimizer, window, state, settings),
    evaluate: async (windows) => evaluateLoss(model, windows),
    gradientFlow: async (window, lastOnly) => tfjsGradientFlow(model, window, lastOnly),
    sync: async () => {},
    dispose: () => {},
  };
}
