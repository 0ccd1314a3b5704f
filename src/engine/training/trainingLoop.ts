import type { Window } from '../../core/batching';
import type { RunInfo } from '../../core/runFormat';
import { learningRateAt } from '../../core/schedule';
import { stoppedMessage } from '../../core/runLabels';
import type { RecurrentState } from '../model';
import { disposeState } from '../recurrentState';
import { Checkpointer } from './checkpointer';
import type { LoopHook, LoopView, StepRecord, TrainerEvents, TrainingJob, TrainOutcome, TrainStatus } from './loopTypes';
import { setLearningRate } from './optimizers';
import { PeriodicEvaluation } from './periodicEvaluation';
import { PeriodicSamples } from './periodicSamples';
import { TaskEvaluation } from '../tasks/taskEvaluation';
import { StepNotTakenError, type StepOutcome } from './stepTypes';
import { ThroughputMeter } from './throughput';

export type { LoopHook, TrainerEvents, TrainingJob, TrainOutcome, TrainStatus } from './loopTypes';

/**
 * The training loop: step, record metrics, then run the hooks (evaluation,
 * samples, checkpoints with model.onnx; see loopTypes.ts). Cancellation (the
 * signal) finishes the current step and checkpoints. A non-finite loss or
 * gradient stops the run as failed and keeps the last good checkpoint. The
 * event loop gets a turn after every step.
 */
export function runTrainingLoop(job: TrainingJob, events: TrainerEvents = {}, signal?: AbortSignal, extraHooks: LoopHook[] = []): Promise<TrainOutcome> {
  return new TrainingLoop(job, events, extraHooks).run(signal);
}

class TrainingLoop implements LoopView {
  readonly info: RunInfo;
  state: RecurrentState | undefined;
  step: number;
  private readonly checkpoints: Checkpointer;
  private readonly hooks: LoopHook[];
  private readonly meter: ThroughputMeter;

  constructor(
    readonly job: TrainingJob,
    readonly events: TrainerEvents,
    extraHooks: LoopHook[],
  ) {
    this.info = { ...job.info, status: 'running', progress: { ...job.info.progress } };
    this.state = job.state;
    this.step = job.startStep;
    this.checkpoints = new Checkpointer(job, events);
    // The task decides what is measured between steps: a language model's validation loss and samples,
    // a tagger's or classifier's accuracy, F1 and confusion matrix.
    const measures = job.info.task ? [new TaskEvaluation()] : [new PeriodicEvaluation(), new PeriodicSamples()];
    this.hooks = [...measures, ...extraHooks, this.checkpoints];
    this.meter = new ThroughputMeter(job.vocab);
  }

  get last(): boolean {
    return this.step === this.info.training.steps;
  }

  async run(signal: AbortSignal | undefined): Promise<TrainOutcome> {
    const { batcher, run } = this.job;
    // Where the data stood before the current step's window: a step that fails without applying
    // anything is checkpointed as not taken, so resuming trains that window.
    let positionBeforeStep = batcher.getPosition();
    try {
      if (!this.info.checkpoint) await this.checkpoints.save(this.info, this.step, this.state); // resumable from the start
      run.writeInfo(this.info);
      while (this.step < this.info.training.steps) {
        if (signal?.aborted) return await this.finish('cancelled', stoppedMessage(this.step));
        positionBeforeStep = batcher.getPosition();
        const failure = await this.takeStep();
        if (failure) return await this.finish('failed', failure);
        for (const hook of this.hooks) await hook.afterStep(this);
        // Let signals, timers and messages through between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return await this.finish('completed');
    } catch (err) {
      if (!(err instanceof StepNotTakenError)) return await this.finish('failed', (err as Error).message);
      // The step that failed applied nothing: the weights are those of `step`, worth a checkpoint.
      batcher.setPosition(positionBeforeStep);
      await this.checkpoints.save(this.info, this.step, this.state).catch(() => undefined);
      return await this.finish(
        'failed',
        `${err.message} during step ${this.step + 1}; the weights of step ${this.step} are saved in a checkpoint — resume the run to continue`,
      );
    }
  }

  /** One optimizer step and its metrics line; returns why the run must stop, if it must. */
  private async takeStep(): Promise<string | undefined> {
    const training = this.info.training;
    const lr = learningRateAt(this.step, training.learningRate, training.lrDecay, training.lrDecayEvery);
    setLearningRate(this.job.optimizer, lr);
    const window = this.job.batcher.next();
    if (window.resetState) {
      disposeState(this.state);
      this.state = undefined;
    }
    const started = performance.now();
    const outcome = await this.job.runner.step(window, this.state, {
      clipMode: training.clipMode,
      clipValue: training.clipValue,
      dropoutSeed: (training.seed * 1_000_003 + this.step) >>> 0,
    });
    const ms = performance.now() - started;
    if (!outcome.applied) {
      const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
      this.info.nonFinite = { step: this.step + 1, loss: finiteOrNull(outcome.loss), gradNorm: finiteOrNull(outcome.gradNorm) };
      return nonFiniteMessage(outcome, this.step, lr);
    }
    disposeState(this.state);
    this.state = outcome.finalState;
    this.step++;
    this.recordStep(window, outcome, lr, ms);
    return undefined;
  }

  private recordStep(window: Window, outcome: StepOutcome, lr: number, ms: number): void {
    const charsPerSec = this.meter.record(window.inputs, ms);
    this.info.timings = { ...this.info.timings, trainingMs: this.info.timings.trainingMs + ms };
    this.info.progress = { ...this.info.progress, step: this.step, epoch: window.epoch, lastLoss: outcome.loss, charsPerSec: this.meter.sessionCharsPerSec };
    const record: StepRecord = {
      kind: 'step',
      step: this.step,
      epoch: window.epoch,
      loss: outcome.loss,
      gradNorm: outcome.gradNorm,
      clippedGradNorm: outcome.clippedGradNorm,
      lr,
      charsPerSec,
      time: Date.now(),
    };
    this.job.run.appendMetrics(record);
    this.events.onStep?.(record, this.info);
  }

  private async finish(status: TrainStatus, message?: string): Promise<TrainOutcome> {
    if (status !== 'failed') await this.checkpoints.save(this.info, this.step, this.state);
    const info = this.info;
    info.status = status;
    info.message = message;
    info.progress.step = this.step;
    info.timings = { ...info.timings, finishedAt: new Date().toISOString() };
    this.job.run.writeInfo(info);
    disposeState(this.state);
    return { status, info, message };
  }
}

function nonFiniteMessage(outcome: StepOutcome, step: number, lr: number): string {
  const what = Number.isFinite(outcome.loss) ? 'the gradient norm' : 'the loss';
  const value = Number.isNaN(outcome.loss) || Number.isNaN(outcome.gradNorm) ? 'NaN' : 'infinite';
  return `${what} became ${value} at step ${step + 1}; the weights of step ${step} are kept. Lower the learning rate (now ${lr}) or clip gradients.`;
}
