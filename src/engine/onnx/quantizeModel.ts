import { onnx } from 'onnx-proto';
import { encodeOnnxModel } from './onnxExport';
import type { RnnLabModelInfo } from './onnxMetadata';
import { OnnxModelError } from './onnxModelError';
import { onnxModelWeightsFromGraph } from './onnxWeights';

/**
 * The int8 variant (int8Graph.ts) of a float model file held in memory, with
 * the same metadata: how the engine runs any exported model quantized without
 * its checkpoints (the Samples view's int8 option). An int8 file is returned
 * as it is.
 */
export function quantizeModelBytes(bytes: Uint8Array, info: RnnLabModelInfo, where: string): Uint8Array {
  if (info.precision === 'int8') return bytes;
  let weights;
  try {
    weights = onnxModelWeightsFromGraph(onnx.ModelProto.decode(bytes).graph ?? {}, info.spec);
  } catch (err) {
    throw new OnnxModelError(`${where} does not have the graph RNN Lab exports (${(err as Error).message})`);
  }
  return encodeOnnxModel({ spec: info.spec, weights, vocab: info.vocab, step: info.step, runId: info.run }, 'int8');
}
