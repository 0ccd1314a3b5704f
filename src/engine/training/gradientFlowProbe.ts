import * as fs from 'fs';
import { RUN_FILES } from '../../core/runFormat';
import { gradFlowInterval } from '../../core/spec';
import { measureGradientFlow } from './gradientFlow';
import type { LoopHook, LoopView } from './loopTypes';

/**
 * The probe as a loop hook: every `gradFlowEvery` steps (default: at each
 * evaluation) and after the last step, appends to gradflow.jsonl and emits
 * the records. Its time is kept apart from the training time in run.json.
 */
export class GradientFlowProbe implements LoopHook {
  async afterStep(loop: LoopView): Promise<void> {
    const { job, info } = loop;
    const every = gradFlowInterval(info.training);
    const window = job.gradFlowWindow;
    if (!window || every <= 0 || !(loop.step % every === 0 || loop.last)) return;
    const started = performance.now();
    const records = await measureGradientFlow(job.runner, window, loop.step);
    fs.appendFileSync(job.run.file(RUN_FILES.gradFlow), records.map((r) => JSON.stringify(r) + '\n').join(''));
    info.timings = { ...info.timings, gradFlowMs: (info.timings.gradFlowMs ?? 0) + (performance.now() - started) };
    loop.events.onGradFlow?.(records);
  }
}
