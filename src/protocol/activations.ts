/**
 * Shapes of the engine requests behind the editor overlay (`openDocument`,
 * `updateDocument`, `closeDocument`, `activationRange`, `hoverInfo`; declared
 * in engine.ts). Offsets are UTF-16 code units of the text the host sent, as
 * editors count them.
 */
import type { NeuronId, NeuronKind } from '../core/neurons/neuronLabel';
import type { ModelSource } from './modelSource';

/** Neurons are named as in core/neurons/neuronLabel.ts ("c1[37]"). */
export { NEURON_KINDS, type NeuronDirection, type NeuronId, type NeuronKind } from '../core/neurons/neuronLabel';

export interface OpenDocumentParams {
  /** Chosen by the host, unique per open text. */
  documentId: string;
  source: ModelSource;
  text: string;
}

export interface OpenDocumentResult {
  tokenCount: number;
  /** Per layer: its width (per direction), the kinds it can be read at, and 2 `directions` when it is bidirectional. */
  layers: { hidden: number; kinds: NeuronKind[]; directions?: 2 }[];
  /** The document's version; every `updateDocument` that changes the text increments it. */
  version: number;
  /** The model file the engine opened. */
  model: string;
  cell: string;
  resolution: 'char' | 'token';
}

export interface UpdateDocumentParams {
  documentId: string;
  text: string;
}

export interface UpdateDocumentResult {
  version: number;
  /** UTF-16 offset where the new text first differs from the old (the old length when only appended). */
  firstChangedPosition: number;
}

export interface ActivationRangeParams extends NeuronId {
  documentId: string;
  /** The version the host believes current; a request for any other answers 'stale'. */
  version: number;
  /** UTF-16 offsets [from, to), clamped to the text; every token overlapping them is included. */
  from: number;
  to: number;
}

export interface ActivationRangeResult {
  version: number;
  /** Per token, its UTF-16 span: [start0, end0, start1, end1, …]. */
  spans: number[];
  /** Per token, the neuron's value after reading it. */
  values: number[];
  /** Per token, 1 when the vocabulary lacks it (read as <unk>), else 0. */
  unknown: number[];
}

export interface HoverInfoParams extends NeuronId {
  documentId: string;
  /** When given, a text that has changed since answers 'stale'. */
  version?: number;
  /** UTF-16 offset of the hovered character. */
  offset: number;
}

export interface NeuronValue extends NeuronId {
  value: number;
}

export interface TokenProbability {
  text: string;
  probability: number;
  /** The vocabulary's <unk>: "something it has not seen". */
  unknown: boolean;
}

export interface HoverInfoResult {
  version: number;
  /** The token under the offset; null for an empty text. */
  token: { span: [number, number]; text: string; unknown: boolean; value: number } | null;
  /** The strongest neurons there (largest |value|, every layer). */
  topNeurons: NeuronValue[];
  /**
   * A language model: what it expects after the token (after its starting newline for an empty text), most likely
   * first. With `readout`, the model's classes instead, `text` the label: 'tag', the tagger's at this token; 'class',
   * the classifier's for the window of `window` tokens holding it (the same for all of them; none for an empty text).
   */
  predictions: TokenProbability[];
  readout?: 'tag' | 'class';
  /** The token that really follows, with the probability the model gave it; absent at the end of the text. */
  actual?: TokenProbability;
}
