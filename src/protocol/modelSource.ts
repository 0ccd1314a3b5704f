import { isRecord, shape, str, type Check } from './guards';

/** Where a model comes from: a run folder (its model.onnx) or an RNN Lab .onnx file. */
export type ModelSource = { runDir: string } | { onnxFile: string };

/** The path a source names: the run folder or the .onnx file. */
export function modelSourcePath(source: ModelSource): string {
  return 'runDir' in source ? source.runDir : source.onnxFile;
}

export const modelSourceCheck: Check = (v, p) => (isRecord(v) && typeof v.runDir === 'string' ? shape({ runDir: str })(v, p) : shape({ onnxFile: str })(v, p));
