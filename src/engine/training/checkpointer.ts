import { RUN_FILES } from '../../core/runFormat';
import { checkpointPathOf, pruneCheckpoints, saveCheckpoint } from '../checkpoint';
import { onnxTaskOf, writeOnnxModel } from '../onnx/onnxExport';
import { taskOf, type ModelSpec } from '../../core/spec';
import type { LoopHook, LoopView, TrainingJob, TrainerEvents } from './loopTypes';
import type { RecurrentState } from '../model';
import type { RunInfo } from '../../core/runFormat';

/**
 * Saves checkpoints (and model.onnx beside them); a hook saves every
 * `checkpointEvery` steps. The order keeps run.json naming a checkpoint that
 * exists whenever the process is killed: the new folder is complete before
 * run.json names it, and older folders go only after that.
 */
export class Checkpointer implements LoopHook {
  constructor(
    private readonly job: TrainingJob,
    private readonly events: TrainerEvents,
  ) {}

  /** Writes a checkpoint of `step`, records it in `info` and writes run.json. */
  async save(info: RunInfo, step: number, state: RecurrentState | undefined): Promise<void> {
    const { run, model, vocab, optimizer, batcher } = this.job;
    const previous = info.checkpoint;
    // Already saved (stopped right after a checkpoint step, or right after resuming): never replace the folder run.json names.
    if (previous === checkpointPathOf(step)) return;
    await this.job.runner.sync();
    const saved = await saveCheckpoint(run.dir, {
      step,
      position: batcher.getPosition(),
      model,
      vocabulary: vocab,
      optimizerName: info.training.optimizer,
      optimizer,
      state,
    });
    info.checkpoint = saved;
    run.writeInfo(info);
    pruneCheckpoints(run.dir, [saved, previous]);
    // model.onnx follows every checkpoint, so the Samples view, `rnn-lab sample` and `rnn-lab predict` see the newest
    // weights. A bidirectional language model (older runs) sees the future: it cannot generate, so it gets no model.onnx.
    if (hasOnnxModel(model.spec)) {
      const source = { spec: model.spec, weights: await model.readWeights(), vocab, step, runId: run.id, task: onnxTaskOf(info) };
      writeOnnxModel(run.file(RUN_FILES.onnx), source);
    }
    this.events.onCheckpoint?.(saved, step);
  }

  async afterStep(loop: LoopView): Promise<void> {
    if (loop.step % loop.info.training.checkpointEvery !== 0 || loop.last) return; // the last step is saved by the loop's finish
    await this.save(loop.info, loop.step, loop.state);
  }
}

/** Every model but a bidirectional language model (which cannot generate) gets a model.onnx. */
export function hasOnnxModel(spec: ModelSpec): boolean {
  return !spec.bidirectional || taskOf(spec) !== 'lm';
}
