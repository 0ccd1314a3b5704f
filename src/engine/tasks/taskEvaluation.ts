import * as tf from '../tfjs';
import type { Window } from '../../core/batching';
import type { TaskEvalRecord } from '../../core/runFormat';
import { addToConfusion, emptyConfusion, taskMetrics, type ConfusionMatrix } from '../../core/tasks/metrics';
import { crossEntropy, type RecurrentModel } from '../model';
import type { LoopHook, LoopView } from '../training/loopTypes';

/**
 * Mean loss and the confusion matrix of a tagger or classifier over held-out
 * windows: every window from a zero state, no dropout; a classifier's rows
 * count once each, a tagger's tokens once each.
 */
export function evaluateTask(model: RecurrentModel, windows: Window[], classes: number): { loss: number; confusion: ConfusionMatrix } {
  const confusion = emptyConfusion(classes);
  let total = 0;
  let count = 0;
  for (const w of windows) {
    const { loss, predicted } = tf.tidy(() => {
      const { logits } = model.forward(tf.tensor2d(w.inputs, [w.batch, w.time], 'int32'), undefined, { lengths: w.lengths });
      const value = crossEntropy(logits, tf.tensor1d(w.targets, 'int32')).dataSync()[0];
      return { loss: value, predicted: tf.argMax(logits, 1).dataSync() as Int32Array };
    });
    addToConfusion(confusion, w.targets, predicted);
    total += loss * w.targets.length;
    count += w.targets.length;
  }
  return { loss: count > 0 ? total / count : NaN, confusion };
}

/**
 * The tagger's or classifier's evaluation every `evalEvery` steps and after
 * the last: an `eval` line (its validation loss, which the loss charts read)
 * and a `taskEval` line with accuracy, macro-F1, per-class figures and the
 * confusion matrix. It takes the language model's PeriodicEvaluation's place
 * (and samples' place: a tagger does not generate).
 */
export class TaskEvaluation implements LoopHook {
  async afterStep(loop: LoopView): Promise<void> {
    const { job, info } = loop;
    const task = info.task;
    if (!task || job.validation.length === 0 || !(loop.step % info.training.evalEvery === 0 || loop.last)) return;
    await job.runner.sync();
    const { loss, confusion } = evaluateTask(job.model, job.validation, task.labels.length);
    const metrics = taskMetrics(confusion, task.labels);
    const time = Date.now();
    const evalRecord = { kind: 'eval' as const, step: loop.step, valLoss: loss, time };
    const record: TaskEvalRecord = {
      kind: 'taskEval',
      step: loop.step,
      valLoss: loss,
      accuracy: metrics.accuracy,
      macroF1: metrics.macroF1,
      classes: metrics.classes,
      confusion,
      time,
    };
    job.run.appendMetrics(evalRecord);
    job.run.appendMetrics(record);
    if (!(loss >= (info.progress.bestValLoss ?? Infinity))) info.progress.bestValLoss = loss;
    task.latest = { step: loop.step, accuracy: metrics.accuracy, macroF1: metrics.macroF1 };
    loop.events.onEval?.(evalRecord);
    loop.events.onTaskEval?.(record);
    job.run.writeInfo(info);
  }
}
