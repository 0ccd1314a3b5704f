import { onnx } from 'onnx-proto';
import { outputSize, type ModelSpec } from '../../core/spec';
import { layerToOnnx, type KerasDirectionWeights, type OnnxLayerWeights } from './gateLayout';

/** Weights by name in RecurrentModel's layout (model.ts): `embedding`, `layer{l}/[backward/]kernel|recurrentKernel|bias`, `output/kernel|bias`. */
export type NamedWeights = ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>;

/**
 * A model's weights in the layout of the ONNX recurrent ops (W [D, G·H, input],
 * R [D, G·H, H], B [D, 2·G·H], gate blocks in ONNX order), which both the
 * float and the int8 graph are built from. Read back from a float file, they
 * let the engine quantize any exported model without its run folder.
 */
export interface OnnxModelWeights {
  /** [vocab, embedding] when the model has an embedding. */
  embedding?: Float32Array;
  layers: OnnxLayerWeights[];
  /** [D·H, vocab] */
  outputKernel: Float32Array;
  /** [vocab] */
  outputBias: Float32Array;
}

/** The input width of layer `l`: the embedding or the one-hot vocabulary below the first, D·H above. */
export function layerInputSize(spec: ModelSpec, l: number): number {
  if (l > 0) return (spec.bidirectional ? 2 : 1) * spec.hidden;
  return spec.embedding > 0 ? spec.embedding : spec.vocabSize;
}

/** Named (Keras-layout) weights in the ONNX ops' layout; a missing or misshapen weight is an error. */
export function onnxModelWeights(spec: ModelSpec, weights: NamedWeights): OnnxModelWeights {
  const D = spec.bidirectional ? 2 : 1;
  const V = spec.vocabSize;
  const O = outputSize(spec);
  const layers = Array.from({ length: spec.layers }, (_, l) => {
    const inputSize = layerInputSize(spec, l);
    const dirs = (spec.bidirectional ? ['', 'backward/'] : ['']).map((d) => directionWeights(weights, `layer${l}/${d}`, spec, inputSize));
    return layerToOnnx(spec.cell, inputSize, spec.hidden, dirs);
  });
  return {
    ...(spec.embedding > 0 ? { embedding: weight(weights, 'embedding', [V, spec.embedding]) } : {}),
    layers,
    outputKernel: weight(weights, 'output/kernel', [D * spec.hidden, O]),
    outputBias: weight(weights, 'output/bias', [O]),
  };
}

/**
 * The weights of a float graph this exporter wrote (its initializers by name),
 * checked against the spec. Throws when the graph is not one of ours.
 */
export function onnxModelWeightsFromGraph(graph: onnx.IGraphProto, spec: ModelSpec): OnnxModelWeights {
  const read = initializerReader(graph);
  const D = spec.bidirectional ? 2 : 1;
  const rows = gateRows(spec);
  const layers = Array.from({ length: spec.layers }, (_, l) => {
    const inputSize = layerInputSize(spec, l);
    return {
      W: read(`layer${l}/W`, [D, rows, inputSize]),
      R: read(`layer${l}/R`, [D, rows, spec.hidden]),
      B: read(`layer${l}/B`, [D, 2 * rows]),
    };
  });
  return {
    ...(spec.embedding > 0 ? { embedding: read('embedding', [spec.vocabSize, spec.embedding]).values } : {}),
    layers,
    outputKernel: read('output/kernel', [D * spec.hidden, outputSize(spec)]).values,
    outputBias: read('output/bias', [outputSize(spec)]).values,
  };
}

/** G·H: the rows of a layer's W and R. */
export function gateRows(spec: ModelSpec): number {
  return (spec.cell === 'lstm' ? 4 : spec.cell === 'gru' ? 3 : 1) * spec.hidden;
}

export type InitializerReader = (name: string, shape?: number[]) => { dims: number[]; values: Float32Array };

/** The graph's float initializers by name; a missing one, or one of another shape than asked, is an error. */
export function initializerReader(graph: onnx.IGraphProto): InitializerReader {
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  return (name, shape) => {
    const t = initializers.get(name);
    if (!t) throw new Error(`no initializer "${name}"`);
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT) throw new Error(`initializer "${name}" is not float32`);
    const dims = (t.dims ?? []).map(Number);
    if (shape && (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])))
      throw new Error(`initializer "${name}" has shape [${dims}]; expected [${shape}]`);
    return { dims, values: floatValues(t) };
  };
}

function floatValues(t: onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData); // aligned
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

function directionWeights(weights: NamedWeights, prefix: string, spec: ModelSpec, inputSize: number): KerasDirectionWeights {
  const cols = gateRows(spec);
  return {
    kernel: weight(weights, `${prefix}kernel`, [inputSize, cols]),
    recurrentKernel: weight(weights, `${prefix}recurrentKernel`, [spec.hidden, cols]),
    bias: weight(weights, `${prefix}bias`, [cols]),
  };
}

function weight(weights: NamedWeights, name: string, shape: number[]): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`weights lack "${name}"`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))
    throw new Error(`weight "${name}" has shape [${w.shape}]; the spec needs [${shape}]`);
  return w.values;
}
