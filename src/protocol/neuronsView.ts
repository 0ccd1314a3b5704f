/**
 * Messages between the extension host and the Neurons view (a webview panel).
 * The view only renders what the host sends: the feature ranking, the
 * selection match, one neuron's character trace. It tells the host which
 * neuron the user chose and which span to reveal in the editor. Offsets are
 * UTF-16 code units of the document, as editors count them.
 */
import { NEURON_KINDS, type NeuronId } from './activations';
import { arrayOf, isRecord, num, oneOf, optional, shape, str, type Check } from './guards';
import { MAX_TOP_NEURONS, MAX_TRACE_CHARACTERS, type GateSaturationResult, type RankedFeature, type SelectedNeuronResult } from './neurons';

export type { GateSaturationResult, RankedFeature, RankedNeuron, SelectedNeuronResult } from './neurons';

/** What a result was computed on, for the view's headings. Workspace text: the view renders it as text. */
export interface NeuronsSubject {
  /** The document's name ("greeter.ts"). */
  document: string;
  /** "1×LSTM-64 · 20261126-063724-lstm-1x64". */
  model: string;
  /** Code points analysed, and in the whole document. */
  characters: number;
  totalCharacters: number;
}

export interface NeuronsRanking {
  subject: NeuronsSubject;
  /** The grammar that gave the features, or 'fallback'. */
  parser: string;
  features: RankedFeature[];
  gates: GateSaturationResult[];
}

/** A span of the document, with where it is for people. */
export interface NeuronsSpan {
  start: number;
  end: number;
  /** 0-based, as the editor API counts (the view shows them 1-based). */
  line: number;
  character: number;
  /** The span's text, on one line and shortened. */
  preview: string;
}

export interface NeuronsMatch extends NeuronsSpan {
  score: number;
  firing: number;
}

export interface NeuronsSelection {
  subject: NeuronsSubject;
  selected: NeuronsSpan;
  neurons: SelectedNeuronResult[];
  matches: NeuronsMatch[];
}

export interface NeuronsTrace {
  neuron: NeuronId & { label: string };
  /** The traced text (a window of the document). */
  text: string;
  /** Document offset of the text's first character. */
  offset: number;
  /** The value at every code point of `text`. */
  values: number[];
  /** The value shown neutral, and the distance from it shown at full colour. */
  centre: number;
  half: number;
  /** Code points traced, and in the whole document. */
  characters: number;
  totalCharacters: number;
  /** Spans to outline (the selection and its matches), as UTF-16 offsets in `text`. */
  highlights: { start: number; end: number; kind: 'selection' | 'match' }[];
}

export type NeuronsStatus = { kind: 'idle' } | { kind: 'busy'; message: string } | { kind: 'error'; message: string };

export type HostToNeurons =
  /** Replaces the ranking section (null clears it). */
  | { type: 'ranking'; ranking: NeuronsRanking | null }
  /** Replaces the selection-match section. */
  | { type: 'selection'; selection: NeuronsSelection | null }
  /** Replaces the coloured text. */
  | { type: 'trace'; trace: NeuronsTrace | null }
  /** Work in progress, a failure, or neither. */
  | { type: 'status'; status: NeuronsStatus };

export type NeuronsToHost =
  /** The page has loaded (or reloaded) and wants the current content. */
  | { type: 'ready' }
  /** The user chose a neuron: colour the text by it (and switch the editor overlay to it). */
  | ({ type: 'chooseNeuron' } & NeuronId)
  /** The user clicked a span: reveal and select it in the editor. */
  | { type: 'revealSpan'; start: number; end: number };

/** Kept with setState (survives hiding and reload): the sections shown and the chosen neuron. The trace is asked for again. */
export interface NeuronsWebviewState {
  ranking?: NeuronsRanking;
  selection?: NeuronsSelection;
  chosen?: NeuronId;
}

const MAX_TRACE_TEXT = 2 * MAX_TRACE_CHARACTERS;
const natural: Check = (v, p) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : `${p} must be a whole number ≥ 0`);
const shortText =
  (max: number): Check =>
  (v, p) =>
    typeof v === 'string' && v.length <= max ? undefined : `${p} must be a string of at most ${max} characters`;
const sign: Check = (v, p) => (v === 1 || v === -1 ? undefined : `${p} must be 1 or −1`);
const neuronFields = { layer: natural, kind: oneOf(...NEURON_KINDS), unit: natural, direction: optional(oneOf('backward')) };
const nullable =
  (check: Check): Check =>
  (v, p) =>
    v === null ? undefined : check(v, p);

const subjectCheck = shape({ document: shortText(1000), model: shortText(1000), characters: natural, totalCharacters: natural });
const rankedNeuronCheck = shape({ ...neuronFields, label: shortText(50), score: num, sign, r: num, auc: optional(num) });
const featureCheck = shape({
  feature: shortText(200),
  kind: oneOf('binary', 'scalar'),
  positives: optional(natural),
  top: arrayOf(rankedNeuronCheck, MAX_TOP_NEURONS),
  note: optional(shortText(500)),
});
const gateCheck = shape({
  layer: natural,
  gate: oneOf('i', 'f', 'o', 'z', 'r'),
  direction: optional(oneOf('backward')),
  steps: natural,
  units: natural,
  left: arrayOf(num, 100_000),
  right: arrayOf(num, 100_000),
  meanLeft: num,
  meanRight: num,
  mostlyLeft: natural,
  mostlyRight: natural,
});
const rankingCheck = shape({ subject: subjectCheck, parser: shortText(100), features: arrayOf(featureCheck, 100), gates: arrayOf(gateCheck, 1000) });
const spanFields = { start: natural, end: natural, line: natural, character: natural, preview: shortText(1000) };
const selectionCheck = shape({
  subject: subjectCheck,
  selected: shape(spanFields),
  neurons: arrayOf(shape({ ...neuronFields, label: shortText(50), inside: num, outside: num, effect: num }), 100),
  matches: arrayOf(shape({ ...spanFields, score: num, firing: num }), 1000),
});
const traceCheck: Check = (v, p) => {
  const problem = shape({
    neuron: shape({ ...neuronFields, label: shortText(50) }),
    text: shortText(MAX_TRACE_TEXT),
    offset: natural,
    values: arrayOf(num, MAX_TRACE_CHARACTERS),
    centre: num,
    half: num,
    characters: natural,
    totalCharacters: natural,
    highlights: arrayOf(shape({ start: natural, end: natural, kind: oneOf('selection', 'match') }), 1001),
  })(v, p);
  if (problem) return problem;
  const trace = v as NeuronsTrace;
  return trace.values.length === [...trace.text].length ? undefined : `${p}.values must hold one value per character of the text`;
};
const statusCheck: Check = (v, p) => {
  if (!isRecord(v)) return `${p} must be an object`;
  return v.kind === 'idle' ? shape({ kind: str })(v, p) : shape({ kind: oneOf('busy', 'error'), message: shortText(10_000) })(v, p);
};

const hostChecks: Record<HostToNeurons['type'], Check> = {
  ranking: shape({ type: str, ranking: nullable(rankingCheck) }),
  selection: shape({ type: str, selection: nullable(selectionCheck) }),
  trace: shape({ type: str, trace: nullable(traceCheck) }),
  status: shape({ type: str, status: statusCheck }),
};

/** Validates a message from the host in the view (a restored old view may meet a newer host). */
export function parseHostToNeuronsMessage(value: unknown): HostToNeurons | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(hostChecks))(value.type, 'type')) return undefined;
  return hostChecks[value.type as HostToNeurons['type']](value, 'message') ? undefined : (value as HostToNeurons);
}

const checks: Record<NeuronsToHost['type'], Check> = {
  ready: shape({ type: str }),
  chooseNeuron: shape({ type: str, ...neuronFields }),
  revealSpan: (v, p) => {
    const problem = shape({ type: str, start: natural, end: natural })(v, p);
    return problem ?? ((v as { start: number; end: number }).end < (v as { start: number }).start ? `${p}.end is before its start` : undefined);
  },
};

/** Validates a message from the view (untrusted input). */
export function parseNeuronsMessage(value: unknown): NeuronsToHost | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(checks))(value.type, 'type')) return undefined;
  return checks[value.type as NeuronsToHost['type']](value, 'message') ? undefined : (value as NeuronsToHost);
}

/** Validates restored view state field by field: a bad field is dropped, the rest kept. */
export function parseNeuronsState(value: unknown): NeuronsWebviewState {
  const state: NeuronsWebviewState = {};
  if (!isRecord(value)) return state;
  if (!rankingCheck(value.ranking, 'ranking')) state.ranking = value.ranking as NeuronsRanking;
  if (!selectionCheck(value.selection, 'selection')) state.selection = value.selection as NeuronsSelection;
  if (!shape(neuronFields)(value.chosen, 'chosen')) state.chosen = value.chosen as NeuronId;
  return state;
}

/** True when both name the same neuron. */
export function sameNeuron(a: NeuronId | undefined, b: NeuronId | undefined): boolean {
  return a !== undefined && b !== undefined && a.layer === b.layer && a.kind === b.kind && a.unit === b.unit;
}
