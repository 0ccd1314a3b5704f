/**
 * The public interface of an exported model (docs/architecture.md, "The ONNX contract"): tensor names,
 * metadata keys and the format version. The exporter writes these and the
 * inference code, the tests and the PyTorch check read them; nothing else
 * spells them.
 */

export const TOKENS_INPUT = 'tokens';
export const LOGITS_OUTPUT = 'logits';

/** Initial hidden state of layer `l`, [directions, batch, hidden]. */
export const h0Name = (l: number): string => `h0_${l}`;
/** Initial cell state of LSTM layer `l`. */
export const c0Name = (l: number): string => `c0_${l}`;
/** Final hidden state of layer `l`, shaped like its initial state. */
export const hNName = (l: number): string => `hN_${l}`;
export const cNName = (l: number): string => `cN_${l}`;
/** Hidden sequence of layer `l`, [batch, time, directions·hidden] (forward then backward halves). */
export const hSeqName = (l: number): string => `h_${l}`;

export const METADATA_KEYS = {
  format: 'rnnlab.format',
  vocab: 'rnnlab.vocab',
  spec: 'rnnlab.spec',
  /** Training step of the checkpoint the weights come from (informative). */
  step: 'rnnlab.step',
  /** Id of the run the weights come from (informative). */
  run: 'rnnlab.run',
  /** `int8` for a quantized model (int8Graph.ts); absent for float32. */
  precision: 'rnnlab.precision',
  /** A tagger's or classifier's labels and window (JSON `OnnxTaskMetadata`); absent for language models. */
  task: 'rnnlab.task',
} as const;

/** `rnnlab.task`: class id i is `labels[i]`; prediction reads windows (tag) or examples (classify) of `window` tokens, as training did. */
export interface OnnxTaskMetadata {
  labels: string[];
  window: number;
}

/** Bumped when the graph's interface or the metadata change incompatibly. */
export const ONNX_FORMAT_VERSION = 1;

/** Standard ONNX versions that Debian's python3-onnx 1.12 checker and onnxruntime 1.30 both accept. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** onnxruntime's contrib operator domain: its dynamically quantized ops, which the int8 graph uses. */
export const CONTRIB_DOMAIN = 'com.microsoft';
export const CONTRIB_OPSET = 1;

/**
 * The engine's generation sessions run a rewritten graph (generationGraph.ts), never written to a file:
 * every layer's state packed in one input and one output, [layers·(2 for LSTM, else 1), batch, hidden],
 * in the order h_0, c_0, h_1, c_1, … (h only for GRU and RNN).
 */
export const PACKED_STATE_INPUT = 'state';
export const PACKED_STATE_OUTPUT = 'state_out';
