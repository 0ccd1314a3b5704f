/**
 * The number format of an exported model's weights (docs/architecture.md, "The ONNX contract"):
 * `float32` as trained, or `int8` (per-column scales) for faster inference on a CPU.
 */
export type ModelPrecision = 'float32' | 'int8';

export const MODEL_PRECISIONS: readonly ModelPrecision[] = ['float32', 'int8'];
