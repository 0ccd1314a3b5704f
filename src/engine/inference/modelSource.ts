import * as fs from 'fs';
import * as path from 'path';
import { RUN_FILES } from '../../core/runFormat';
import { listCheckpoints } from '../checkpoint';
import { OnnxModelError } from '../onnx/onnxModelError';

/**
 * The `.onnx` file behind what a user named: a run folder (its model.onnx) or
 * a model file. A run without a model.onnx is an error that says why and what
 * to do, rather than a silent export: sampling never writes into a run folder.
 */
export function resolveModelFile(source: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new OnnxModelError(`${source} not found: give an RNN Lab run folder or .onnx file`);
  }
  if (!stat.isDirectory()) return source;
  if (!fs.existsSync(path.join(source, RUN_FILES.info))) throw new OnnxModelError(`${source} is neither an RNN Lab run folder nor a .onnx file`);
  const file = path.join(source, RUN_FILES.onnx);
  if (fs.existsSync(file)) return file;
  const run = path.basename(path.resolve(source));
  if (listCheckpoints(source).length === 0) throw new OnnxModelError(`run ${run} has no model yet: it has not reached its first checkpoint`);
  throw new OnnxModelError(
    `run ${run} has no ${RUN_FILES.onnx} yet (runs export it at each checkpoint; older runs do not): run "rnn-lab export ${source}" first`,
  );
}
