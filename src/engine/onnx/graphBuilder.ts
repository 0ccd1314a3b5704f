import * as os from 'os';
import { onnx } from 'onnx-proto';
import { CONTRIB_DOMAIN } from './onnxNames';

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

/** Collects nodes, initializers and graph inputs/outputs; names nodes after their first output. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];

  node(opType: string, input: string[], output: string[], attributes: Record<string, AttributeValue> = {}, name?: string): string[] {
    this.nodes.push({ opType, input, output, name: name ?? output[0], attribute: Object.entries(attributes).map(([n, v]) => attribute(n, v)) });
    return output;
  }

  /** A node of onnxruntime's contrib domain (com.microsoft). */
  contribNode(opType: string, input: string[], output: string[], attributes: Record<string, AttributeValue> = {}, name?: string): string[] {
    this.node(opType, input, output, attributes, name);
    this.nodes[this.nodes.length - 1].domain = CONTRIB_DOMAIN;
    return output;
  }

  floatInitializer(name: string, dims: number[], values: Float32Array): void {
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: littleEndianBytes(values) });
  }

  int8Initializer(name: string, dims: number[], values: Int8Array): void {
    this.initializers.push({ name, dims, dataType: DataType.INT8, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
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

/** A node attribute: an int, a string, ints, or a subgraph (Scan's body). */
export type AttributeValue = number | string | number[] | onnx.IGraphProto;

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(value, 'utf8') };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'object') return { name, type: AttributeType.GRAPH, g: value };
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
