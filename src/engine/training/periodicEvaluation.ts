import type { LoopHook, LoopView } from './loopTypes';

/** Validation loss every `evalEvery` steps and after the last; keeps the best in the run's progress. */
export class PeriodicEvaluation implements LoopHook {
  async afterStep(loop: LoopView): Promise<void> {
    const { job, info } = loop;
    if (job.validation.length === 0 || !(loop.step % info.training.evalEvery === 0 || loop.last)) return;
    const valLoss = await job.runner.evaluate(job.validation);
    const record = { kind: 'eval' as const, step: loop.step, valLoss, time: Date.now() };
    job.run.appendMetrics(record);
    if (!(valLoss >= (info.progress.bestValLoss ?? Infinity))) info.progress.bestValLoss = valLoss;
    loop.events.onEval?.(record);
    job.run.writeInfo(info);
  }
}
