import * as os from 'os';
import { onnx } from 'onnx-proto';
import type { ModelSpec } from '../../core/spec';
import { layerToOnnx, type KerasDirectionWeights } from './gateLayout';
import { LOGITS_OUTPUT, ONNX_IR_VERSION, ONNX_OPSET, TOKENS_INPUT, c0Name, cNName, h0Name, hNName, hSeqName } from './onnxNames';

/** Weights by name in RecurrentModel's layout (model.ts): `embedding`, `layer{l}/[backward/]kernel|recurrentKernel|bias`, `output/kernel|bias`. */
export type NamedWeights = ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>;

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;
const OP_TYPE = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' } as const;

/**
 * The model as an ONNX graph (docs/architecture.md, "The ONNX contract"):
 *
 *   tokens [batch, time] ─Transpose→ [time, batch]
 *     ─Gather(embedding) or OneHot→ x [time, batch, input]
 *     per layer: LSTM/GRU/RNN(x, W, R, B, h0_l[, c0_l]) → Y [time, dirs, batch, H], hN_l[, cN_l]
 *                Y ─Transpose→ [time, batch, dirs, H] ─Reshape→ [time, batch, dirs·H] (next layer's x)
 *                  ─Transpose→ h_l [batch, time, dirs·H]
 *     h_last ─MatMul(output/kernel)─Add(output/bias)→ logits [batch, time, vocab]
 *
 * One-hot input is an OneHot node feeding the recurrent op with W = kernelᵀ
 * ([G·H, vocab]). The op then multiplies by 0 and 1, which is exact, at the
 * cost of a vocab-wide input product per token, the same product the op
 * makes for any dense input. The alternative, gathering rows of the kernel
 * and feeding them through an identity W, would cost a (G·H)² product per
 * token (16× more for a 256-unit LSTM) and store a (G·H)² identity; a
 * Gather from a [vocab, vocab] identity would store vocab² floats.
 *
 * Reshaping [time, batch, dirs, H] to [time, batch, dirs·H] puts the forward
 * half before the backward half, as tfjs's concatenation does.
 */
export function buildOnnxGraph(spec: ModelSpec, weights: NamedWeights): onnx.IGraphProto {
  const g = new GraphBuilder();
  const D = spec.bidirectional ? 2 : 1;
  const H = spec.hidden;
  const V = spec.vocabSize;

  g.input(TOKENS_INPUT, DataType.INT64, ['batch', 'time']);
  g.node('Transpose', [TOKENS_INPUT], ['tokens_time_major'], { perm: [1, 0] });
  let x: string;
  let inputSize: number;
  if (spec.embedding > 0) {
    g.floatInitializer('embedding', [V, spec.embedding], weight(weights, 'embedding', [V, spec.embedding]));
    x = g.node('Gather', ['embedding', 'tokens_time_major'], ['embedded'], { axis: 0 })[0];
    inputSize = spec.embedding;
  } else {
    g.int64Initializer('one_hot/depth', [], [V]);
    g.floatInitializer('one_hot/values', [2], Float32Array.of(0, 1));
    x = g.node('OneHot', ['tokens_time_major', 'one_hot/depth', 'one_hot/values'], ['one_hot'], { axis: -1 })[0];
    inputSize = V;
  }
  g.int64Initializer('merge_directions', [3], [0, 0, -1]); // Reshape: keep time and batch, join dirs·H

  for (let l = 0; l < spec.layers; l++) {
    const dirs = (spec.bidirectional ? ['', 'backward/'] : ['']).map((d) => directionWeights(weights, `layer${l}/${d}`, spec, inputSize));
    const onnxWeights = layerToOnnx(spec.cell, inputSize, H, dirs);
    const p = `layer${l}`;
    g.floatInitializer(`${p}/W`, onnxWeights.W.dims, onnxWeights.W.values);
    g.floatInitializer(`${p}/R`, onnxWeights.R.dims, onnxWeights.R.values);
    g.floatInitializer(`${p}/B`, onnxWeights.B.dims, onnxWeights.B.values);

    const stateShape = [D, 'batch', H];
    g.input(h0Name(l), DataType.FLOAT, stateShape);
    const inputs = [x, `${p}/W`, `${p}/R`, `${p}/B`, '' /* sequence_lens: every sequence is full length */, h0Name(l)];
    const outputs = [`${p}/Y`, hNName(l)];
    if (spec.cell === 'lstm') {
      g.input(c0Name(l), DataType.FLOAT, stateShape);
      inputs.push(c0Name(l));
      outputs.push(cNName(l));
    }
    // Default activations are the logistic σ and tanh, as in model.ts.
    const attributes: Record<string, number | string> = { hidden_size: H, direction: spec.bidirectional ? 'bidirectional' : 'forward' };
    if (spec.cell === 'gru') attributes.linear_before_reset = 0; // the reset gate multiplies h before the recurrent product, as in tfjs
    g.node(OP_TYPE[spec.cell], inputs, outputs, attributes, `${p}/${spec.cell}`);

    g.node('Transpose', [`${p}/Y`], [`${p}/Y_time_batch`], { perm: [0, 2, 1, 3] });
    x = g.node('Reshape', [`${p}/Y_time_batch`, 'merge_directions'], [`${p}/sequence_time_major`])[0];
    g.node('Transpose', [x], [hSeqName(l)], { perm: [1, 0, 2] });

    g.output(hNName(l), DataType.FLOAT, stateShape);
    if (spec.cell === 'lstm') g.output(cNName(l), DataType.FLOAT, stateShape);
    g.output(hSeqName(l), DataType.FLOAT, ['batch', 'time', D * H]);
    inputSize = D * H;
  }

  g.floatInitializer('output/kernel', [D * H, V], weight(weights, 'output/kernel', [D * H, V]));
  g.floatInitializer('output/bias', [V], weight(weights, 'output/bias', [V]));
  g.node('MatMul', [hSeqName(spec.layers - 1), 'output/kernel'], ['output/product']);
  g.node('Add', ['output/product', 'output/bias'], [LOGITS_OUTPUT]);
  g.output(LOGITS_OUTPUT, DataType.FLOAT, ['batch', 'time', V]);
  // logits first among the outputs: the one every caller wants.
  g.outputs.unshift(g.outputs.pop()!);
  return g.build('rnnlab');
}

/** A whole model file: graph, opset, and `metadata_props`. */
export function buildOnnxModel(spec: ModelSpec, weights: NamedWeights, metadata: Record<string, string>, producerVersion: string): onnx.ModelProto {
  return onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'rnn-lab',
    producerVersion,
    graph: buildOnnxGraph(spec, weights),
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}

function directionWeights(weights: NamedWeights, prefix: string, spec: ModelSpec, inputSize: number): KerasDirectionWeights {
  const cols = (spec.cell === 'lstm' ? 4 : spec.cell === 'gru' ? 3 : 1) * spec.hidden;
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

/** Collects nodes, initializers and graph inputs/outputs; names nodes after their first output. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];

  node(opType: string, input: string[], output: string[], attributes: Record<string, number | string | number[]> = {}, name?: string): string[] {
    this.nodes.push({ opType, input, output, name: name ?? output[0], attribute: Object.entries(attributes).map(([n, v]) => attribute(n, v)) });
    return output;
  }

  floatInitializer(name: string, dims: number[], values: Float32Array): void {
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: littleEndianBytes(values) });
  }

  int64Initializer(name: string, dims: number[], values: number[]): void {
    this.initializers.push({ name, dims, dataType: DataType.INT64, rawData: littleEndianBytes(BigInt64Array.from(values, BigInt)) });
  }

  input(name: string, elemType: number, shape: (number | string)[]): void {
    this.inputs.push(valueInfo(name, elemType, shape));
  }

  output(name: string, elemType: number, shape: (number | string)[]): void {
    this.outputs.push(valueInfo(name, elemType, shape));
  }

  build(name: string): onnx.IGraphProto {
    return { name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }
}

function attribute(name: string, value: number | string | number[]): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(value, 'utf8') };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return { name, type: AttributeType.INT, i: value };
}

function valueInfo(name: string, elemType: number, shape: (number | string)[]): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** ONNX raw_data is little-endian; typed arrays use the machine's order, which is little-endian on every platform Node ships for. */
function littleEndianBytes(values: Float32Array | BigInt64Array): Uint8Array {
  if (os.endianness() !== 'LE') throw new Error('ONNX export needs a little-endian machine');
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
