import * as tf from '../tfjs';
import type { StreamBatcher, Window } from '../../core/batching';
import { RUN_FILES, type MetricsRecord, type RunInfo, type SampleRecord } from '../../core/runFormat';
import { learningRateAt } from '../../core/schedule';
import type { Vocabulary } from '../../core/vocabulary';
import { saveCheckpoint } from '../checkpoint';
import type { RecurrentModel, RecurrentState } from '../model';
import { writeOnnxModel } from '../onnx/onnxExport';
import { setLearningRate } from './optimizers';
import type { RunFolder } from '../../core/runStore';
import { sampleText } from '../sampler';
import { disposeState } from '../recurrentState';
import type { StepRunner } from './stepRunner';
import { FusedWorkerError } from '../fused/fusedStepper';

/** Everything a training session needs, already built and validated. */
export interface TrainingJob {
  run: RunFolder;
  info: RunInfo;
  model: RecurrentModel;
  optimizer: tf.Optimizer;
  vocab: Vocabulary;
  batcher: StreamBatcher;
  validation: Window[];
  /** Steps already done (0 for a fresh run). */
  startStep: number;
  /** Hidden state carried in from a checkpoint, if any. */
  state: RecurrentState | undefined;
  /** Computes each step's gradients (fused kernels or tfjs ops). */
  runner: StepRunner;
}

export interface TrainerEvents {
  onStep?(record: Extract<MetricsRecord, { kind: 'step' }>, info: RunInfo): void;
  onEval?(record: Extract<MetricsRecord, { kind: 'eval' }>): void;
  onSample?(record: SampleRecord): void;
  onCheckpoint?(path: string, step: number): void;
}

export type TrainStatus = 'completed' | 'cancelled' | 'failed';

export interface TrainOutcome {
  status: TrainStatus;
  info: RunInfo;
  message?: string;
}

const SAMPLE_LENGTH = 200;
const SAMPLE_TEMPERATURE = 0.8;
/** Bounds the cost of an evaluation on a large validation split. */
export const MAX_EVAL_WINDOWS = 50;

/**
 * The training loop: step, record metrics, evaluate every `evalEvery`, sample
 * every `sampleEvery`, checkpoint (and export model.onnx) every `checkpointEvery` and at the end.
 * Cancellation (the signal) finishes the current step and checkpoints. A
 * non-finite loss or gradient stops the run as failed and keeps the last good
 * checkpoint. The event loop gets a turn after every step.
 */
export async function runTrainingLoop(job: TrainingJob, events: TrainerEvents = {}, signal?: AbortSignal): Promise<TrainOutcome> {
  const { run, model, optimizer, vocab, batcher } = job;
  const training = job.info.training;
  const info: RunInfo = { ...job.info, status: 'running', progress: { ...job.info.progress } };
  const charsPerToken = Float64Array.from(vocab.tokens, (t, id) => (id === vocab.unk ? 1 : [...t].length));
  let state = job.state;
  let step = job.startStep;
  let sessionMs = 0;
  let sessionChars = 0;
  const save = async (): Promise<void> => {
    await job.runner.sync();
    info.checkpoint = await saveCheckpoint(run.dir, { step, position: batcher.getPosition(), model, vocabulary: vocab, optimizerName: training.optimizer, optimizer, state });
    // model.onnx follows every checkpoint, so the Samples view and `rnn-lab sample` see the newest
    // weights. Bidirectional models see the future: they cannot generate, so they get no model.onnx.
    if (!model.spec.bidirectional) writeOnnxModel(run.file(RUN_FILES.onnx), { spec: model.spec, weights: await model.readWeights(), vocab, step, runId: run.id });
    events.onCheckpoint?.(info.checkpoint, step);
  };
  const finish = async (status: TrainStatus, message?: string): Promise<TrainOutcome> => {
    if (status !== 'failed') await save();
    info.status = status;
    info.message = message;
    info.progress.step = step;
    info.timings = { ...info.timings, finishedAt: new Date().toISOString() };
    run.writeInfo(info);
    disposeState(state);
    return { status, info, message };
  };

  // Where the data stood before the current step's window: a step that fails without applying
  // anything is checkpointed as not taken, so resuming trains that window.
  let positionBeforeStep = batcher.getPosition();
  try {
    if (!info.checkpoint) await save(); // a fresh run is resumable (and recoverable) from the start
    run.writeInfo(info);
    while (step < training.steps) {
      if (signal?.aborted) return await finish('cancelled', 'stopped by the user');
      const lr = learningRateAt(step, training.learningRate, training.lrDecay, training.lrDecayEvery);
      setLearningRate(optimizer, lr);
      positionBeforeStep = batcher.getPosition();
      const window = batcher.next();
      if (window.resetState) {
        disposeState(state);
        state = undefined;
      }
      const started = performance.now();
      const outcome = await job.runner.step(window, state, {
        clipMode: training.clipMode,
        clipValue: training.clipValue,
        dropoutSeed: (training.seed * 1_000_003 + step) >>> 0,
      });
      const ms = performance.now() - started;
      if (!outcome.applied) {
        const what = Number.isFinite(outcome.loss) ? 'the gradient norm' : 'the loss';
        return await finish('failed', `${what} became ${Number.isNaN(outcome.loss) || Number.isNaN(outcome.gradNorm) ? 'NaN' : 'infinite'} at step ${step + 1}; the weights of step ${step} are kept. Lower the learning rate (now ${lr}) or clip gradients.`);
      }
      disposeState(state);
      state = outcome.finalState;
      step++;

      let chars = 0;
      for (let i = 0; i < window.inputs.length; i++) chars += charsPerToken[window.inputs[i]];
      sessionMs += ms;
      sessionChars += chars;
      info.timings = { ...info.timings, trainingMs: info.timings.trainingMs + ms };
      info.progress = { ...info.progress, step, epoch: window.epoch, lastLoss: outcome.loss, charsPerSec: (sessionChars / sessionMs) * 1000 };
      const record = {
        kind: 'step' as const,
        step,
        epoch: window.epoch,
        loss: outcome.loss,
        gradNorm: outcome.gradNorm,
        clippedGradNorm: outcome.clippedGradNorm,
        lr,
        charsPerSec: (chars / ms) * 1000,
        time: Date.now(),
      };
      run.appendMetrics(record);
      events.onStep?.(record, info);

      const last = step === training.steps;
      if (job.validation.length > 0 && (step % training.evalEvery === 0 || last)) {
        const valLoss = await job.runner.evaluate(job.validation);
        const evalRecord = { kind: 'eval' as const, step, valLoss, time: Date.now() };
        run.appendMetrics(evalRecord);
        if (!(valLoss >= (info.progress.bestValLoss ?? Infinity))) info.progress.bestValLoss = valLoss;
        events.onEval?.(evalRecord);
        run.writeInfo(info);
      }
      if (step % training.sampleEvery === 0 || last) {
        await job.runner.sync();
        const sample: SampleRecord = {
          step,
          temperature: SAMPLE_TEMPERATURE,
          prime: '',
          text: sampleText(model, vocab, { length: SAMPLE_LENGTH, temperature: SAMPLE_TEMPERATURE, seed: training.seed + step }),
          time: Date.now(),
        };
        run.appendSample(sample);
        events.onSample?.(sample);
      }
      if (step % training.checkpointEvery === 0 && !last) {
        await save();
        run.writeInfo(info);
      }
      // Let signals, timers and messages through between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return await finish('completed');
  } catch (err) {
    if (err instanceof FusedWorkerError) {
      // The step that failed applied nothing: the weights are those of `step`, worth a checkpoint.
      batcher.setPosition(positionBeforeStep);
      await save().catch(() => undefined);
      return await finish('failed', `${err.message} during step ${step + 1}; the weights of step ${step} are saved in a checkpoint — resume the run to continue`);
    }
    return await finish('failed', (err as Error).message);
  }
}
