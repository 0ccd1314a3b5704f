/**
 * Shapes of the engine requests behind the Neurons view (`rankNeurons`,
 * `matchSelection`, `neuronTrace`; declared in engine.ts). Offsets are UTF-16
 * code units of the text the host sent, as editors count them; "characters"
 * are code points, the model's positions.
 */
import type { NeuronId } from './activations';
import type { ModelSource } from './modelSource';

/** Code points ranked by `rankNeurons`: the first ones of the text (the CLI's default --max-chars too). */
export const MAX_RANK_CHARACTERS = 50_000;
/** Code points coloured by `neuronTrace` and matched by `matchSelection`. */
export const MAX_TRACE_CHARACTERS = 20_000;
/** Most neurons listed per feature. */
export const MAX_TOP_NEURONS = 20;

/** The model a result came from. */
export interface NeuronModelInfo {
  /** The .onnx file. */
  file: string;
  cell: string;
  layers: number;
  /** Units per layer and direction. */
  hidden: number;
  resolution: 'char' | 'token';
  /** 2 for a bidirectional model: its neurons come in two directions (backward ones named "h0←[3]"). */
  directions?: 2;
  /** A tagger's or classifier's ('tag', 'classify'); absent for a language model. */
  task?: 'tag' | 'classify';
}

/** The part of the text a request looked at. */
export interface AnalysedWindow {
  /** UTF-16 offsets [start, end) in the text sent. */
  start: number;
  end: number;
  /** Code points in the window, and in the whole text. */
  characters: number;
  totalCharacters: number;
}

export interface RankNeuronsParams {
  source: ModelSource;
  text: string;
  /** A VS Code language id, an extension or a file name: picks the grammar that gives the features. */
  language: string;
  /** Neurons per feature (default 5, at most MAX_TOP_NEURONS). */
  top?: number;
}

export interface RankedNeuron extends NeuronId {
  /** "h0[12]" (core/neurons/neuronLabel.ts). */
  label: string;
  /** max(AUC, 1 − AUC) for a binary feature, |r| for a scalar one. */
  score: number;
  /** +1 when the neuron is high where the feature holds (or grows), −1 when low. */
  sign: 1 | -1;
  r: number;
  /** Binary features only. */
  auc?: number;
}

export interface RankedFeature {
  /** inString, inComment, token:<kind>, depth, indent, column, lineLength. */
  feature: string;
  kind: 'binary' | 'scalar';
  /** Binary features: characters where it holds. */
  positives?: number;
  top: RankedNeuron[];
  /** Why no neuron is listed ("never true in this text"). */
  note?: string;
}

export type GateName = 'i' | 'f' | 'o' | 'z' | 'r';

/** Karpathy et al. 2015 §4.3: per unit, the fraction of steps a gate is below 0.1 (left) or above 0.9 (right). */
export interface GateSaturationResult {
  layer: number;
  gate: GateName;
  /** Set for the backward direction of a bidirectional layer (each direction has its own gates). */
  direction?: 'backward';
  steps: number;
  units: number;
  left: number[];
  right: number[];
  meanLeft: number;
  meanRight: number;
  /** Units saturated more than half the time. */
  mostlyLeft: number;
  mostlyRight: number;
}

export interface RankNeuronsResult {
  model: NeuronModelInfo;
  /** The first MAX_RANK_CHARACTERS code points of the text. */
  window: AnalysedWindow;
  /** The grammar that gave the features, or 'fallback'. */
  parser: string;
  features: RankedFeature[];
  /** Per layer and gate (LSTM i, f, o; GRU z, r); empty for a vanilla RNN. */
  gates: GateSaturationResult[];
}

export interface MatchSelectionParams {
  source: ModelSource;
  text: string;
  /** UTF-16 offsets [start, end) of the selection. */
  start: number;
  end: number;
}

export interface SelectedNeuronResult extends NeuronId {
  label: string;
  /** Mean value inside and outside the selection. */
  inside: number;
  outside: number;
  /** (inside − outside) / standard deviation: its size ranks the neurons. */
  effect: number;
}

export interface SelectionMatchSpan {
  /** UTF-16 offsets [start, end) in the text sent. */
  start: number;
  end: number;
  /** 1 is a perfect match: every neuron fires over a span as long as the selection. */
  score: number;
  /** Mean fraction of the neurons firing over the span. */
  firing: number;
}

export interface MatchSelectionResult {
  model: NeuronModelInfo;
  /** At most MAX_TRACE_CHARACTERS code points around the selection; the model reads the window as a text of its own. */
  window: AnalysedWindow;
  /** The selection widened to whole tokens (UTF-16, in the text sent). */
  selection: { start: number; end: number };
  neurons: SelectedNeuronResult[];
  /** Other spans where the neurons fire together, best first. */
  matches: SelectionMatchSpan[];
}

export interface NeuronTraceParams extends NeuronId {
  source: ModelSource;
  text: string;
  /** UTF-16 offset where the traced window starts (default 0): pass a matchSelection window's start to colour the same text. */
  start?: number;
}

export interface NeuronTraceResult {
  model: NeuronModelInfo;
  neuron: NeuronId & { label: string };
  /** At most MAX_TRACE_CHARACTERS code points from `start`. */
  window: AnalysedWindow;
  /** The neuron's value at every code point of the window (a token's value at each of its characters). */
  values: number[];
  /** The value shown neutral, and the distance from it shown at full colour (see core/neurons/valueScale). */
  centre: number;
  half: number;
}
