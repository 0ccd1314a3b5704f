import { resolutionOf } from '../../core/vocabulary';
import type {
  ActivationRangeParams,
  ActivationRangeResult,
  HoverInfoParams,
  HoverInfoResult,
  NeuronKind,
  OpenDocumentParams,
  OpenDocumentResult,
  TokenProbability,
  UpdateDocumentParams,
  UpdateDocumentResult,
} from '../../protocol/activations';
import { OnnxModelError } from '../onnx/onnxModelError';
import { RequestError } from '../requestError';
import { ActivationDocument, DocumentChangedError, type TokenPrediction } from './activationDocument';
import type { ActivationKind } from './activationModel';
import { strongestNeuronsAt } from './neuronAnalysis';
import { modelSourcePath } from '../../protocol/modelSource';

/** Neurons and next-token predictions a hover lists. */
const HOVER_TOP = 5;

/**
 * The engine's open texts for the editor overlay, by the host's document id.
 * Each holds its own model session and cached states (ActivationDocument);
 * requests are checked against the document's model and version here, and
 * their failures become RequestErrors the host can act on ('stale' when the
 * text changed under a request).
 */
export class OpenDocuments {
  private readonly documents = new Map<string, ActivationDocument>();
  /** Opens in progress, so a close or a second open of the same id waits for them. */
  private readonly opening = new Map<string, Promise<unknown>>();

  get size(): number {
    return this.documents.size;
  }

  /** The open document with this id (for other requests about the same text). */
  get(documentId: string): ActivationDocument {
    const doc = this.documents.get(documentId);
    if (!doc) throw new RequestError('invalid', `no open document "${documentId}" (open it with openDocument first)`);
    return doc;
  }

  /** Opens of the same id run one after another; a close waits for the open before it. */
  open({ documentId, source, text }: OpenDocumentParams): Promise<OpenDocumentResult> {
    const before = this.opening.get(documentId) ?? Promise.resolve();
    const opened = before.then(() => this.openNew(documentId, modelSourcePath(source), text));
    const settled = opened.then(
      () => undefined,
      () => undefined,
    );
    this.opening.set(documentId, settled);
    void settled.then(() => this.opening.get(documentId) === settled && this.opening.delete(documentId));
    return opened;
  }

  private async openNew(documentId: string, source: string, text: string): Promise<OpenDocumentResult> {
    await this.closeNow(documentId);
    let doc: ActivationDocument;
    try {
      // The overlay starts on h: the cell state and gates are computed when first asked for.
      doc = await ActivationDocument.open(source, text, { internals: false });
    } catch (err) {
      if (err instanceof OnnxModelError) throw new RequestError('failed', err.message);
      throw err;
    }
    this.documents.set(documentId, doc);
    const { spec, vocab, file } = doc.model;
    const kinds = doc.kinds as NeuronKind[];
    return {
      tokenCount: doc.tokenCount,
      layers: Array.from({ length: spec.layers }, () => ({ hidden: spec.hidden, kinds, ...(spec.bidirectional ? { directions: 2 as const } : {}) })),
      version: doc.version,
      model: file,
      cell: spec.cell,
      resolution: resolutionOf(vocab),
    };
  }

  update({ documentId, text }: UpdateDocumentParams): UpdateDocumentResult {
    const doc = this.get(documentId);
    const before = doc.text;
    doc.update(text);
    return { version: doc.version, firstChangedPosition: commonPrefixUtf16(before, text) };
  }

  async close(documentId: string): Promise<boolean> {
    await this.opening.get(documentId);
    return this.closeNow(documentId);
  }

  private async closeNow(documentId: string): Promise<boolean> {
    const doc = this.documents.get(documentId);
    if (!doc) return false;
    this.documents.delete(documentId);
    await doc.close();
    return true;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.opening.values()]);
    await Promise.allSettled([...this.documents.keys()].map((id) => this.closeNow(id)));
  }

  async range(params: ActivationRangeParams): Promise<ActivationRangeResult> {
    const doc = this.get(params.documentId);
    const column = neuronColumn(doc, params);
    requireVersion(doc, params.version);
    const length = doc.text.length;
    const from = Math.min(params.from, length);
    const to = Math.min(params.to, length);
    const kinds = [column.kind];
    const range = await current(to > from ? doc.tokenRange(doc.tokenAtUtf16(from), doc.tokenAtUtf16(to - 1) + 1, kinds) : doc.tokenRange(0, 0, kinds));
    const values = range.layers[params.layer][column.kind]!;
    const W = column.width;
    const spans = new Array<number>(range.count * 2);
    for (let t = 0; t < range.count; t++) {
      spans[2 * t] = range.utf16Starts[t];
      spans[2 * t + 1] = range.utf16Ends[t];
    }
    return {
      version: range.version,
      spans,
      values: Array.from({ length: range.count }, (_, t) => values[t * W + column.column]),
      unknown: Array.from(range.unknown),
    };
  }

  async hover(params: HoverInfoParams): Promise<HoverInfoResult> {
    const doc = this.get(params.documentId);
    const column = neuronColumn(doc, params);
    if (params.version !== undefined) requireVersion(doc, params.version);
    const version = doc.version;
    const token = doc.tokenAtUtf16(params.offset);
    const unk = doc.model.vocab.unk;
    const probability = (p: TokenPrediction): TokenProbability => ({ text: p.text, probability: p.probability, unknown: p.id === unk });
    if (token < 0) {
      const predictions = await current(doc.predictions(0, HOVER_TOP));
      return { version, token: null, topNeurons: [], predictions: predictions.top.map(probability), ...readoutOf(doc) };
    }
    const [position] = doc.spanOf(token);
    // h and c are compared by size; gates live in [0, 1], where "strongest" says little: their hover lists h.
    const listed: ActivationKind = params.kind === 'c' ? 'c' : 'h';
    const [range, top, predictions] = await current(
      Promise.all([
        doc.range(position, position + 1, [column.kind]),
        strongestNeuronsAt(doc, position, HOVER_TOP, listed),
        doc.predictions(position, HOVER_TOP),
      ]),
    );
    const start = range.utf16Starts[0];
    const end = range.utf16Ends[0];
    return {
      version,
      token: {
        span: [start, end],
        text: doc.text.slice(start, end),
        unknown: range.unknown[0] === 1,
        value: range.layers[params.layer][column.kind]![column.column],
      },
      topNeurons: top.map((n) => ({ layer: n.layer, kind: n.kind, unit: n.unit, ...(n.direction ? { direction: n.direction } : {}), value: n.value })),
      predictions: predictions.top.map(probability),
      ...readoutOf(doc),
      ...(predictions.actual ? { actual: probability(predictions.actual) } : {}),
    };
  }
}

/** Where a neuron's values are in its layer's rows, or an 'invalid' error naming what the model has. */
function neuronColumn(
  doc: ActivationDocument,
  { layer, kind, unit, direction }: { layer: number; kind: NeuronKind; unit: number; direction?: string },
): { kind: ActivationKind; width: number; column: number } {
  const { layers, hidden, cell, bidirectional } = doc.model.spec;
  if (layer >= layers) throw new RequestError('invalid', `layer ${layer}: the model has ${layers} layer${layers === 1 ? '' : 's'} (0 to ${layers - 1})`);
  if (!doc.kinds.includes(kind)) throw new RequestError('invalid', `kind ${kind}: a ${cell.toUpperCase()} has ${doc.kinds.join(', ')}`);
  if (unit >= hidden) throw new RequestError('invalid', `unit ${unit}: layers have ${hidden} units (0 to ${hidden - 1})`);
  const backward = direction === 'backward';
  if (backward && !bidirectional) throw new RequestError('invalid', 'the model is not bidirectional: it has no backward direction');
  return { kind, width: doc.model.width, column: unit + (backward ? hidden : 0) };
}

/** A tagger's or classifier's hover lists classes, not next tokens (see Readout). */
function readoutOf(doc: ActivationDocument): { readout?: 'tag' | 'class' } {
  const readout = doc.readout;
  return readout === 'next' ? {} : { readout };
}

function requireVersion(doc: ActivationDocument, version: number): void {
  if (version !== doc.version) throw new RequestError('stale', `the text is at version ${doc.version}, not ${version}`);
}

/** The result, or 'stale' when the text changed while it was computed. */
async function current<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DocumentChangedError) throw new RequestError('stale', err.message);
    throw err;
  }
}

/** Length of the common prefix of two texts in UTF-16 code units, never splitting a surrogate pair. */
export function commonPrefixUtf16(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i > 0 && i < Math.max(a.length, b.length)) {
    const c = a.charCodeAt(i - 1);
    if (c >= 0xd800 && c <= 0xdbff) i--;
  }
  return i;
}
