/**
 * Messages between the extension host and the Samples view (a WebviewView in
 * the RNN Lab container). The view renders and collects settings; generation
 * runs in the engine process and streams back through the host.
 */
import { MAX_GENERATE_LENGTH } from './limits';
import { arrayOf, bool, int, isRecord, num, oneOf, optional, shape, str, type Check } from './guards';

export { MAX_GENERATE_LENGTH };

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
}

/** What the view starts with, and what `RNN Lab: Generate Sample…` uses when not told otherwise. */
export const DEFAULT_GENERATION: Omit<GenerationSettings, 'modelId' | 'prime'> = { length: 500, temperature: 0.8, topK: 0, seed: 1 };

export type HostToSamples =
  | { type: 'models'; models: SampleModelChoice[]; selected?: string }
  /** Text for the prime box (the editor selection when the view opens or on request). */
  | { type: 'prime'; text: string }
  /**
   * A generation began (from the view or from the command). Carries its settings so the view shows what
   * produced the text, and is sent again with the text so far when the view reloads while it runs.
   */
  | { type: 'started'; requestId: string; settings: GenerationSettings }
  | { type: 'text'; requestId: string; text: string }
  | { type: 'done'; requestId: string; tokens: number; charsPerSec: number; stopped: boolean }
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
  /** The generated text shown (without the prime). */
  text: string;
  /** The prime the shown text continues (the prime box may have been edited since). */
  shownPrime?: string;
  /** The line under the text: tokens and speed, or the last error. */
  status?: { text: string; error: boolean };
  /** The generation the shown text came from: when the host shows it again after a reload, the controls keep their edits. */
  requestId?: string;
}

const MAX_TEXT = 10_000_000;
const text: Check = (v, p) => (typeof v === 'string' && v.length <= MAX_TEXT ? undefined : `${p} must be a string of at most ${MAX_TEXT} characters`);

const settingsFields = { modelId: str, prime: text, length: int, temperature: num, topK: int, seed: int };

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
  text: shape({ type: str, requestId: str, text }),
  done: shape({ type: str, requestId: str, tokens: int, charsPerSec: num, stopped: bool }),
  error: shape({ type: str, message: str }),
};

/** Validates a message from the host in the view (a restored old view may meet a newer host). */
export function parseHostToSamplesMessage(value: unknown): HostToSamples | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(hostChecks))(value.type, 'type')) return undefined;
  return hostChecks[value.type as HostToSamples['type']](value, 'message') ? undefined : (value as HostToSamples);
}

/** Validates restored view state field by field: a bad field is dropped, the rest kept. */
export function parseSamplesState(value: unknown): SamplesWebviewState {
  const state: SamplesWebviewState = { settings: {}, text: '' };
  if (!isRecord(value)) return state;
  if (isRecord(value.settings)) {
    for (const [key, check] of Object.entries(settingsFields)) {
      const v = value.settings[key];
      if (v !== undefined && !check(v, key)) (state.settings as Record<string, unknown>)[key] = v;
    }
  }
  if (!text(value.text, 'text')) state.text = value.text as string;
  if (!text(value.shownPrime, 'shownPrime')) state.shownPrime = value.shownPrime as string;
  if (!shape({ text: str, error: bool })(value.status, 'status')) state.status = value.status as SamplesWebviewState['status'];
  if (!str(value.requestId, 'requestId')) state.requestId = value.requestId as string;
  return state;
}
