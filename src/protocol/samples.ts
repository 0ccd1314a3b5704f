/**
 * Messages between the extension host and the Samples view (a WebviewView in
 * the RNN Lab container). The view renders and collects settings; generation
 * runs in the engine process and streams back through the host.
 */
import { MAX_GENERATE_LENGTH } from './limits';
import { int, isRecord, num, oneOf, shape, str, type Check } from './guards';

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

export type HostToSamples =
  | { type: 'models'; models: SampleModelChoice[]; selected?: string }
  /** Text for the prime box (the editor selection when the view opens or on request). */
  | { type: 'prime'; text: string }
  | { type: 'started'; requestId: string }
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
  | { type: 'primeFromSelection' };

/** State the view keeps with setState (survives hiding and reload). */
export interface SamplesWebviewState {
  settings: Partial<GenerationSettings>;
  text: string;
}

const MAX_TEXT = 10_000_000;
const text: Check = (v, p) => (typeof v === 'string' && v.length <= MAX_TEXT ? undefined : `${p} must be a string of at most ${MAX_TEXT} characters`);

const checks: Record<SamplesToHost['type'], Check> = {
  ready: shape({ type: str }),
  generate: shape({ type: str, modelId: str, prime: text, length: int, temperature: num, topK: int, seed: int }),
  stop: shape({ type: str }),
  insertAtCursor: shape({ type: str, text }),
  openInEditor: shape({ type: str, text }),
  copy: shape({ type: str, text }),
  browseOnnx: shape({ type: str }),
  primeFromSelection: shape({ type: str }),
};

/** Validates a message from the Samples view (untrusted input). */
export function parseSamplesMessage(value: unknown): SamplesToHost | undefined {
  if (!isRecord(value) || oneOf(...Object.keys(checks))(value.type, 'type')) return undefined;
  return checks[value.type as SamplesToHost['type']](value, 'message') ? undefined : (value as SamplesToHost);
}
