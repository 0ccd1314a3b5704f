import { onnx } from 'onnx-proto';
import type { ModelPrecision } from '../../core/precision';
import { outputSize, taskOf, type ModelSpec } from '../../core/spec';
import { GraphBuilder } from './graphBuilder';
import { buildInt8OnnxGraph } from './int8Graph';
import { CONTRIB_DOMAIN, CONTRIB_OPSET, LOGITS_OUTPUT, ONNX_IR_VERSION, ONNX_OPSET, TOKENS_INPUT, c0Name, cNName, h0Name, hNName, hSeqName } from './onnxNames';
import type { OnnxModelWeights } from './onnxWeights';

const { DataType } = onnx.TensorProto;
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
export function buildOnnxGraph(spec: ModelSpec, w: OnnxModelWeights): onnx.IGraphProto {
  const g = new GraphBuilder();
  const D = spec.bidirectional ? 2 : 1;
  const H = spec.hidden;
  const V = spec.vocabSize;
  const classify = taskOf(spec) === 'classify';

  g.input(TOKENS_INPUT, DataType.INT64, ['batch', 'time']);
  g.node('Transpose', [TOKENS_INPUT], ['tokens_time_major'], { perm: [1, 0] });
  let x: string;
  if (spec.embedding > 0) {
    g.floatInitializer('embedding', [V, spec.embedding], w.embedding!);
    x = g.node('Gather', ['embedding', 'tokens_time_major'], ['embedded'], { axis: 0 })[0];
  } else {
    g.int64Initializer('one_hot/depth', [], [V]);
    g.floatInitializer('one_hot/values', [2], Float32Array.of(0, 1));
    x = g.node('OneHot', ['tokens_time_major', 'one_hot/depth', 'one_hot/values'], ['one_hot'], { axis: -1 })[0];
  }
  g.int64Initializer('merge_directions', [3], [0, 0, -1]); // Reshape: keep time and batch, join dirs·H

  for (let l = 0; l < spec.layers; l++) {
    const onnxWeights = w.layers[l];
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
  }

  const O = outputSize(spec);
  g.floatInitializer('output/kernel', [D * H, O], w.outputKernel);
  g.floatInitializer('output/bias', [O], w.outputBias);
  const top = classify ? pooled(g, spec) : hSeqName(spec.layers - 1);
  g.node('MatMul', [top, 'output/kernel'], ['output/product']);
  g.node('Add', ['output/product', 'output/bias'], [LOGITS_OUTPUT]);
  g.output(LOGITS_OUTPUT, DataType.FLOAT, classify ? ['batch', O] : ['batch', 'time', O]);
  // logits first among the outputs: the one every caller wants.
  g.outputs.unshift(g.outputs.pop()!);
  return g.build('rnnlab');
}

/**
 * A classifier's view of the sequence, [batch, D·H] as model.ts pools it: the top layer's final
 * states hN [D, batch, H] ─Transpose→ [batch, D, H] ─Reshape→ [batch, D·H] (forward half first),
 * or the mean over time of its hidden sequence h [batch, time, D·H].
 */
function pooled(g: GraphBuilder, spec: ModelSpec): string {
  const top = spec.layers - 1;
  if ((spec.pooling ?? 'last') === 'mean') return g.node('ReduceMean', [hSeqName(top)], ['pooled'], { axes: [1], keepdims: 0 })[0];
  g.node('Transpose', [hNName(top)], ['final_batch_major'], { perm: [1, 0, 2] });
  g.int64Initializer('merge_final', [2], [0, -1]);
  return g.node('Reshape', ['final_batch_major', 'merge_final'], ['pooled'])[0];
}

/** A whole model file: graph, opsets, and `metadata_props`. The int8 graph (int8Graph.ts) also imports onnxruntime's contrib domain. */
export function buildOnnxModel(
  spec: ModelSpec,
  weights: OnnxModelWeights,
  metadata: Record<string, string>,
  producerVersion: string,
  precision: ModelPrecision = 'float32',
): onnx.ModelProto {
  const int8 = precision === 'int8';
  return onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }, ...(int8 ? [{ domain: CONTRIB_DOMAIN, version: CONTRIB_OPSET }] : [])],
    producerName: 'rnn-lab',
    producerVersion,
    graph: int8 ? buildInt8OnnxGraph(spec, weights) : buildOnnxGraph(spec, weights),
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}
