import { onnx } from 'onnx-proto';
import type { ModelSpec } from '../../core/spec';
import { LOGITS_OUTPUT, PACKED_STATE_INPUT, PACKED_STATE_OUTPUT, c0Name, cNName, h0Name, hNName } from './onnxNames';

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

/** The contract's state names in packed order: h0_0, c0_0, h0_1, … (or hN_…): the layout of the packed state. */
export function packedStateNames(spec: ModelSpec, final: boolean): string[] {
  const names: string[] = [];
  for (let l = 0; l < spec.layers; l++) {
    names.push(final ? hNName(l) : h0Name(l));
    if (spec.cell === 'lstm') names.push(final ? cNName(l) : c0Name(l));
  }
  return names;
}

/**
 * Rewrites an exported graph (float32 or int8) for generation: the state of
 * every layer in one input (Split into the contract's h0_l/c0_l) and one
 * output (the Concat of hN_l/cN_l), and only the logits besides; the hidden
 * sequences h_l, which generation never reads, and the nodes that only they
 * need are gone. onnxruntime's per-call cost grows with the number of inputs
 * and outputs (a few microseconds each, measured: bench/sessionTuning.ts),
 * which at one token per call is a sixth of the time of an int8 step.
 * Unidirectional models only (generation refuses the others).
 */
export function toGenerationGraph(graph: onnx.IGraphProto, spec: ModelSpec): void {
  if (spec.bidirectional) throw new Error('a bidirectional model cannot generate');
  const initial = packedStateNames(spec, false);
  const final = packedStateNames(spec, true);
  const stateShape = [{ dimValue: initial.length }, { dimParam: 'batch' }, { dimValue: spec.hidden }];
  const stateInfo = (name: string): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: stateShape } } } });
  const axis0 = [{ name: 'axis', type: AttributeType.INT, i: 0 }];
  const outputs = graph.output ?? [];
  graph.input = [...(graph.input ?? []).filter((i) => !initial.includes(i.name ?? '')), stateInfo(PACKED_STATE_INPUT)];
  graph.output = [...outputs.filter((o) => o.name === LOGITS_OUTPUT), stateInfo(PACKED_STATE_OUTPUT)];
  if (graph.output.length !== 2 || graph.input.length !== 2) throw new Error('the graph does not have the inputs and outputs RNN Lab exports');
  graph.node = [
    { opType: 'Split', input: [PACKED_STATE_INPUT], output: initial, name: 'generation/split_state', attribute: axis0 },
    ...(graph.node ?? []),
    { opType: 'Concat', input: final, output: [PACKED_STATE_OUTPUT], name: 'generation/concat_state', attribute: axis0 },
  ];
  dropUnusedNodes(graph);
}

/** Removes nodes none of whose outputs is read by another node or is a graph output, until none is left. */
function dropUnusedNodes(graph: onnx.IGraphProto): void {
  for (;;) {
    const used = new Set((graph.output ?? []).map((o) => o.name ?? ''));
    const read = (nodes: onnx.INodeProto[]) => {
      for (const n of nodes) {
        for (const i of n.input ?? []) used.add(i);
        for (const a of n.attribute ?? []) if (a.g) read(a.g.node ?? []); // a Scan body may read outer values
      }
    };
    read(graph.node ?? []);
    const kept = (graph.node ?? []).filter((n) => (n.output ?? []).some((o) => used.has(o)));
    if (kept.length === graph.node?.length) return;
    graph.node = kept;
  }
}
