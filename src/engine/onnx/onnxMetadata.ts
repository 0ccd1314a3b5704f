import { onnx } from 'onnx-proto';
import { readRegularFile, type FileReadError } from '../../core/regularFile';
import { MODEL_PRECISIONS, type ModelPrecision } from '../../core/precision';
import { outputSize, requireClasses, taskOf, validateModelSpec, type ModelSpec } from '../../core/spec';
import { Vocabulary } from '../../core/vocabulary';
import { LOGITS_OUTPUT, METADATA_KEYS, ONNX_FORMAT_VERSION, type OnnxTaskMetadata } from './onnxNames';
import { OnnxModelError } from './onnxModelError';

/** What an RNN Lab `.onnx` file says about itself: enough to sample without its run folder. */
export interface RnnLabModelInfo {
  format: number;
  spec: ModelSpec;
  vocab: Vocabulary;
  /** Training step of the weights, when recorded. */
  step?: number;
  /** Id of the run the weights come from, when recorded. */
  run?: string;
  /** `int8` for a quantized model (the activation probe needs float32). */
  precision: ModelPrecision;
  /** A tagger's or classifier's labels and window. */
  task?: OnnxTaskMetadata;
}

/**
 * An RNN Lab model's metadata, checked against its graph: the metadata says
 * what the tokens mean, the graph computes, and a file where they disagree
 * (a vocabulary of 50 tokens over 60 logits) would score NaN and sample garbage.
 */
export function readRnnLabModelInfo(bytes: Uint8Array, where: string): RnnLabModelInfo {
  const model = decodeModel(bytes, where);
  const info = parseRnnLabMetadata(new Map(model.metadataProps.map((p) => [p.key ?? '', p.value ?? ''])), where);
  const problem = graphMismatch(model.graph!, info.spec);
  if (problem) throw new OnnxModelError(`${where} is inconsistent: ${problem}; it was damaged or edited after export`);
  return info;
}

/** What in the graph disagrees with the spec from the metadata, in words. */
function graphMismatch(graph: onnx.IGraphProto, spec: ModelSpec): string | undefined {
  const dims = (name: string) => graph.initializer?.find((t) => t.name === name)?.dims?.map(Number);
  const width = (spec.bidirectional ? 2 : 1) * spec.hidden;
  // A float model's output kernel, or an int8 model's quantized one (onnx/int8Graph.ts).
  const kernel = dims('output/kernel') ?? dims('output/int8');
  if (!kernel) return 'its graph has no output layer (output/kernel)';
  const outputs = outputSize(spec);
  const what = taskOf(spec) === 'lm' ? `its vocabulary has ${outputs} tokens` : `it has ${outputs} labels`;
  if (kernel.length !== 2 || kernel[1] !== outputs) return `${what} but its output layer computes ${kernel[1] ?? '?'} logits per token`;
  if (kernel[0] !== width) return `its spec says ${width} hidden units feed the output layer, its graph has ${kernel[0]}`;
  // Per step [batch, time, outputs]; a classifier's per sequence [batch, classes].
  const axis = taskOf(spec) === 'classify' ? 1 : 2;
  const declared: unknown = graph.output?.find((o) => o.name === LOGITS_OUTPUT)?.type?.tensorType?.shape?.dim?.[axis]?.dimValue;
  if (declared === undefined || declared === null) return `its graph has no ${LOGITS_OUTPUT} output`;
  if (Number(declared) !== outputs) return `${what} but its ${LOGITS_OUTPUT} output has ${Number(declared)}`;
  // The rows the tokens select: an embedding's, or the one-hot input's columns of the first layer.
  const inputRows = spec.embedding > 0 ? dims('embedding')?.[0] : dims('layer0/W')?.[2];
  if (inputRows !== undefined && inputRows !== spec.vocabSize)
    return `its vocabulary has ${spec.vocabSize} tokens but its input layer reads ${inputRows} (the vocabulary does not belong to these weights)`;
  return undefined;
}

/**
 * `metadata_props` of an ONNX model held in memory. onnxruntime does not
 * expose them, so the file is decoded here; tensor payloads decode as views
 * into `bytes`, so this is cheap even for a large model.
 */
export function readOnnxMetadata(bytes: Uint8Array, where: string): Map<string, string> {
  const model = decodeModel(bytes, where);
  return new Map(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}

function decodeModel(bytes: Uint8Array, where: string): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxModelError(`${where} is not a readable ONNX model: it is truncated or corrupted (${(err as Error).message})`);
  }
  // Random bytes sometimes decode as a message with a few stray fields: a model has a graph and an IR version.
  if (!model.graph || !model.irVersion) throw new OnnxModelError(`${where} is not a readable ONNX model: it is truncated or corrupted (no graph)`);
  return model;
}

/** Checks and parses RNN Lab's metadata; an ONNX file made by other tools is refused with a clear message. */
export function parseRnnLabMetadata(metadata: Map<string, string>, where: string): RnnLabModelInfo {
  const formatText = metadata.get(METADATA_KEYS.format);
  if (formatText === undefined || !metadata.has(METADATA_KEYS.spec) || !metadata.has(METADATA_KEYS.vocab)) {
    throw new OnnxModelError(
      `${where} was not exported by RNN Lab (it has no ${METADATA_KEYS.spec} / ${METADATA_KEYS.vocab} metadata), so its vocabulary is unknown`,
    );
  }
  const format = Number(formatText);
  if (!Number.isInteger(format) || format < 1) throw new OnnxModelError(`${where} has an unknown ${METADATA_KEYS.format} "${formatText}"`);
  if (format > ONNX_FORMAT_VERSION)
    throw new OnnxModelError(`${where} was exported by a newer RNN Lab (format ${format}; this one reads ${ONNX_FORMAT_VERSION}): update RNN Lab`);
  let spec: ModelSpec;
  let vocab: Vocabulary;
  try {
    spec = validateModelSpec(JSON.parse(metadata.get(METADATA_KEYS.spec)!) as ModelSpec);
    vocab = Vocabulary.fromJSON(JSON.parse(metadata.get(METADATA_KEYS.vocab)!));
  } catch (err) {
    throw new OnnxModelError(`${where} has damaged RNN Lab metadata (${(err as Error).message})`);
  }
  if (spec.vocabSize !== vocab.size)
    throw new OnnxModelError(`${where} has damaged RNN Lab metadata (the spec says ${spec.vocabSize} tokens, the vocabulary has ${vocab.size})`);
  const step = Number(metadata.get(METADATA_KEYS.step));
  const run = metadata.get(METADATA_KEYS.run);
  const precision = metadata.get(METADATA_KEYS.precision) ?? 'float32';
  if (!(MODEL_PRECISIONS as readonly string[]).includes(precision))
    throw new OnnxModelError(`${where} has an unknown ${METADATA_KEYS.precision} "${precision}"`);
  const task = taskMetadata(metadata, spec, where);
  return {
    format,
    spec,
    vocab,
    ...(Number.isInteger(step) ? { step } : {}),
    ...(run ? { run } : {}),
    precision: precision as ModelPrecision,
    ...(task ? { task } : {}),
  };
}

/** A tagger's or classifier's `rnnlab.task`, checked against its spec. */
function taskMetadata(metadata: Map<string, string>, spec: ModelSpec, where: string): OnnxTaskMetadata | undefined {
  if (taskOf(spec) === 'lm') return undefined;
  const damaged = (why: string) => new OnnxModelError(`${where} has damaged RNN Lab metadata (${why})`);
  let task: Partial<OnnxTaskMetadata>;
  try {
    requireClasses(spec);
    task = JSON.parse(metadata.get(METADATA_KEYS.task) ?? 'null') as Partial<OnnxTaskMetadata>;
  } catch (err) {
    throw damaged((err as Error).message);
  }
  if (!task || !Array.isArray(task.labels) || !task.labels.every((l) => typeof l === 'string')) throw damaged(`${METADATA_KEYS.task} lacks its labels`);
  if (task.labels.length !== spec.classes) throw damaged(`the spec says ${spec.classes} classes, ${METADATA_KEYS.task} names ${task.labels.length}`);
  if (!(Number.isInteger(task.window) && task.window! > 0)) throw damaged(`${METADATA_KEYS.task} lacks its window`);
  return { labels: task.labels, window: task.window! };
}

/** Refuses a tagger or classifier where a language model is needed (generation, scoring, activations). */
export function requireLanguageModel(info: { spec: ModelSpec }, file: string, purpose: string): void {
  const task = taskOf(info.spec);
  if (task !== 'lm')
    throw new OnnxModelError(`${file} is a ${task === 'tag' ? 'tagger' : 'classifier'}, not a language model: it cannot ${purpose} (use rnn-lab predict)`);
}

/** Reads a file and returns its RNN Lab metadata (e.g. to check a file the user picked). */
export function readRnnLabModelFile(file: string): RnnLabModelInfo {
  return readRnnLabModelInfo(readModelBytes(file), file);
}

/** The bytes of a model file, with a clear error when it is missing or unreadable. */
export function readModelBytes(file: string): Buffer {
  try {
    return readRegularFile(file);
  } catch (err) {
    const code = (err as FileReadError).code;
    if (code === 'ENOENT') throw new OnnxModelError(`model file not found: ${file}`);
    if (code === 'EISDIR') throw new OnnxModelError(`${file} is a folder, not a model file`);
    if (code === 'ESPECIAL') throw new OnnxModelError(`${(err as Error).message}: give an .onnx model file`);
    throw new OnnxModelError(`cannot read ${file}${code ? ` (${code})` : ''}`);
  }
}
