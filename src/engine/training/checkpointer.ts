import { RUN_FILES } from '../../core/runFormat';
import { saveCheckpoint } from '../checkpoint';
import { writeOnnxModel } from '../onnx/onnxExport';
import type { LoopHook, LoopView, TrainingJob, TrainerEvents } from './loopTypes';
import type { RecurrentState } from '../model';
import type { RunInfo } from '../../core/runFormat';

/** Saves checkpoints (and model.onnx beside them); a hook saves every `checkpointEvery` steps. */
export class Checkpointer implements LoopHook {
  constructor(
    private readonly job: TrainingJob,
    private readonly events: TrainerEvents,
  ) {}

  /** Writes a checkpoint of `step` and records it in `info` (the caller writes run.json). */
  async save(info: RunInfo, step: number, state: RecurrentState | undefined): Promise<void> {
    const { run, model, vocab, optimizer, batcher } = this.job;
    await this.job.runner.sync();
    info.checkpoint = await saveCheckpoint(run.dir, {
      step,
      position: batcher.getPosition(),
      model,
      vocabulary: vocab,
      optimizerName: info.training.optimizer,
      optimizer,
      state,
    });
    // model.onnx follows every checkpoint, so the Samples view and `rnn-lab sample` see the newest
    // weights. Bidirectional models see the future: they cannot generate, so they get no model.onnx.
    if (!model.spec.bidirectional)
      writeOnnxModel(run.file(RUN_FILES.onnx), { spec: model.spec, weights: await model.readWeights(), vocab, step, runId: run.id });
    this.events.onCheckpoint?.(info.checkpoint, step);
  }

  async afterStep(loop: LoopView): Promise<void> {
    if (loop.step % loop.info.training.checkpointEvery !== 0 || loop.last) return; // the last step is saved by the loop's finish
    await this.save(loop.info, loop.step, loop.state);
    loop.job.run.writeInfo(loop.info);
  }
}
