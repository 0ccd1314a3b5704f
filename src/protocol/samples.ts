/**
 * Messages between the extension host and the Samples view (a WebviewView in
 * the RNN Lab container). The view renders and collects settings; generation
 * runs in the engine process and streams back through the host.
 */
import { MODEL_PRECISIONS, type ModelPrecision } from '../core/precision';
import { MAX_GENERATE_COUNT, MAX_GENERATE_LENGTH } from './limits';
import { arrayOf, bool, int, isRecord, num, oneOf, optional, shape, str, type Check } from './guards';
import { DEFAULT_SAMPLE_TEMPERATURE } from '../core/presets';

export { MAX_GENERATE_COUNT, MAX_GENERATE_LENGTH };
export type { ModelPrecision };

/** A model the user can generate from. */
export interface SampleModelChoice {
  /** Opaque to the webview: a run folder or an .onnx path, chosen by the host. */
  id: string;
  label: string;
  detail: string;
}

export interface GenerationSettings {
  modelId: string;
  prime: string;
  length: number;
  temperature: number;
  topK: number;
  seed: number;
  /** Continuations generated together (1 to MAX_GENERATE_COUNT); continuation i draws with seed + i. */
  count: number;
  /** `int8`: the model quantized in memory (faster, slightly less accurate); `float32`: as exported. */
  precision: ModelPrecision;
}

/** What the view starts with, and what `RNN Lab: Generate Sample…` uses when not told otherwise. */
export const DEFAULT_GENERATION: Omit<GenerationSettings, 'modelId' | 'prime'> = {
  length: 500,
  temperature: DEFAULT_SAMPLE_TEMPERATURE,
  topK: 0,
  seed: 1,
  count: 1,
  precision: 'float32',
};

export type HostToSamples =
  | { type: 'models'; models: SampleModelChoice[]; selected?: string }
  /** Text for the prime box (the editor selection when the view opens or on request). */
  | { type: 'prime'; text: string }
  /**
   * A generation began (from the view or from the command). Carries its settings so the view shows what
   * produced the text, and is sent again with the text so far when the view reloads while it runs.
   */
  | { type: 'started'; requestId: string; settings: GenerationSettings }
  /** New text of each continuation (index i: continuation i; empty when it has none this time). */
  | { type: 'text'; requestId: string; texts: string[] }
  /** `tokens` per continuation; `charsPerSec` over all of them; `precision` what the model ran at. */
  | { type: 'done'; requestId: string; tokens: number; charsPerSec: number; stopped: boolean; precision: ModelPrecision }
  | { type: 'error'; message: string };

export type SamplesToHost =
  | { type: 'ready' }
  | ({ type: 'generate' } & GenerationSettings)
  | { type: 'stop' }
  | { type: 'insertAtCursor'; text: string }
  | { type: 'openInEditor'; text: string }
  | { type: 'copy'; text: string }
  /** Asks the host for a file dialog to choose an RNN Lab .onnx file. */
  | { type: 'browseOnnx' }
  /** Asks for the active editor's selection as the prime. */
  | { type: 'primeFromSelection' }
  /** The view got the focus: the host offers the editor selection as the prime if it changed since last offered. */
  | { type: 'viewFocused' };

/** State the view keeps with setState (survives hiding and reload). */
export interface SamplesWebviewState {
  settings: Partial<GenerationSettings>;
  /** The generated text of each continuation shown (without the prime). */
  texts: string[];
  /** The prime the shown text continues (the prime box may have been edited since). */
  shownPrime?: string;
  /** The seed of the first continuation shown (continuation i drew with shownSeed + i). */
  shownSeed?: number;
  /** The line under the text: tokens and speed, or the last error. */
  status?: { text: string; error: boolean };
  /** The generation the shown text came from: when the host shows it again after a reload, the controls keep their edits. */
  requestId?: string;
}

const MAX_TEXT = 10_000_000;
const text: Check = (v, p) => (typeof v === 'string' && v.length <= MAX_TEXT ? undefined : `${p} must be a string of at most ${MAX_TEXT} characters`);

const count: Check = (v, p) =>
  Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_GENERATE_COUNT
    ? undefined
    : `${p} must be a whole number from 1 to ${MAX_GENERATE_COUNT}`;
const texts = arrayOf(text, MAX_GENERATE_COUNT);

const settingsFields = {
  modelId: str,
  prime: text,
  length: int,
  temperature: num,
  topK: int,
  seed: int,
  count,
  precision: oneOf(...MODEL_PRECISIONS),
};

const checks: Record<SamplesToHost['type'], Check> = {
  ready: shape({ type: str }),
  generate: shape({ type: str, ...settingsFields }),
  stop: shape({ type: str }),
  insertAtCursor: shape({ type: str, text }),
  openInEditor: shape({ type: str, text }),
  copy: shape({ type: str, text }),
  browseOnnx: shape({ type: str }),
  primeFromSelection: shape({ type: str }),
  viewFocused: shape({ type: str }),
};

/** Validates a message from the Samples view (untrusted input). */
export function parseSamplesMessage(value: unknown): SamplesToHost | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(checks))(value.type, 'type')) return undefined;
  return checks[value.type as SamplesToHost['type']](value, 'message') ? undefined : (value as SamplesToHost);
}

const hostChecks: Record<HostToSamples['type'], Check> = {
  models: shape({ type: str, models: arrayOf(shape({ id: str, label: str, detail: str }), 10_000), selected: optional(str) }),
  prime: shape({ type: str, text }),
  started: shape({ type: str, requestId: str, settings: shape(settingsFields) }),
  text: shape({ type: str, requestId: str, texts }),
  done: shape({ type: str, requestId: str, tokens: int, charsPerSec: num, stopped: bool, precision: oneOf(...MODEL_PRECISIONS) }),
  error: shape({ type: str, message: str }),
};

/** Validates a message from the host in the view (a restored old view may meet a newer host). */
export function parseHostToSamplesMessage(value: unknown): HostToSamples | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(hostChecks))(value.type, 'type')) return undefined;
  return hostChecks[value.type as HostToSamples['type']](value, 'message') ? undefined : (value as HostToSamples);
}

/** Validates restored view state field by field: a bad field is dropped, the rest kept. */
export function parseSamplesState(value: unknown): SamplesWebviewState {
  const state: SamplesWebviewState = { settings: {}, texts: [] };
  if (!isRecord(value)) return state;
  if (isRecord(value.settings)) {
    for (const [key, check] of Object.entries(settingsFields)) {
      const v = value.settings[key];
      if (v !== undefined && !check(v, key)) (state.settings as Record<string, unknown>)[key] = v;
    }
  }
  if (!texts(value.texts, 'texts')) state.texts = value.texts as string[];
  else if (typeof value.text === 'string' && !text(value.text, 'text')) state.texts = [value.text]; // saved by a view that showed one continuation
  if (!text(value.shownPrime, 'shownPrime')) state.shownPrime = value.shownPrime as string;
  if (!int(value.shownSeed, 'shownSeed')) state.shownSeed = value.shownSeed as number;
  if (!shape({ text: str, error: bool })(value.status, 'status')) state.status = value.status as SamplesWebviewState['status'];
  if (!str(value.requestId, 'requestId')) state.requestId = value.requestId as string;
  return state;
}
