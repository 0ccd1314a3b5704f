import type { SampleRecord } from '../../core/runFormat';
import { sampleText } from '../sampler';
import type { LoopHook, LoopView } from './loopTypes';
import { DEFAULT_SAMPLE_TEMPERATURE } from '../../core/presets';

const SAMPLE_LENGTH = 200;
const SAMPLE_TEMPERATURE = DEFAULT_SAMPLE_TEMPERATURE;

/** A sample of generated text every `sampleEvery` steps and after the last, so the user sees the model learn. */
export class PeriodicSamples implements LoopHook {
  async afterStep(loop: LoopView): Promise<void> {
    const { job, info } = loop;
    if (!(loop.step % info.training.sampleEvery === 0 || loop.last)) return;
    await job.runner.sync();
    const sample: SampleRecord = {
      step: loop.step,
      temperature: SAMPLE_TEMPERATURE,
      prime: '',
      text: sampleText(job.model, job.vocab, { length: SAMPLE_LENGTH, temperature: SAMPLE_TEMPERATURE, seed: info.training.seed + loop.step }),
      time: Date.now(),
    };
    job.run.appendSample(sample);
    loop.events.onSample?.(sample);
  }
}
