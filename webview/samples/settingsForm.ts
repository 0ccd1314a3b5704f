/**
 * Between the controls and GenerationSettings: fills the controls from saved
 * or received settings, and reads them back, refusing what the engine would
 * refuse anyway (so the user hears about a bad length before anything starts).
 */
import { DEFAULT_GENERATION, MAX_GENERATE_COUNT, MAX_GENERATE_LENGTH, type GenerationSettings } from '../../src/protocol/samples';
import { TEMPERATURE, type SamplesLayout } from './layout';

export function fillForm(ui: SamplesLayout, settings: Partial<GenerationSettings>): void {
  if (settings.prime !== undefined) ui.prime.value = settings.prime;
  ui.temperature.value = String(settings.temperature ?? DEFAULT_GENERATION.temperature);
  ui.length.value = String(settings.length ?? DEFAULT_GENERATION.length);
  ui.topK.value = String(settings.topK ?? DEFAULT_GENERATION.topK);
  ui.seed.value = String(settings.seed ?? DEFAULT_GENERATION.seed);
  ui.count.value = String(settings.count ?? DEFAULT_GENERATION.count);
  ui.int8.checked = (settings.precision ?? DEFAULT_GENERATION.precision) === 'int8';
  showTemperature(ui);
}

export function showTemperature(ui: SamplesLayout): void {
  const t = Number(ui.temperature.value);
  ui.temperatureValue.value = t === 0 ? '0 · greedy' : t.toFixed(2);
}

/** The settings as typed, skipping fields that do not parse (for saving while the user types). */
export function readDraft(ui: SamplesLayout, modelId: string | undefined): Partial<GenerationSettings> {
  const draft: Partial<GenerationSettings> = { prime: ui.prime.value, temperature: Number(ui.temperature.value), precision: precisionOf(ui) };
  if (modelId) draft.modelId = modelId;
  for (const [key, input] of [
    ['length', ui.length],
    ['topK', ui.topK],
    ['seed', ui.seed],
    ['count', ui.count],
  ] as const) {
    const n = Number(input.value);
    if (input.value.trim() !== '' && Number.isSafeInteger(n)) draft[key] = n;
  }
  return draft;
}

/** The settings to generate with, or what is wrong with them in words. */
export function readSettings(ui: SamplesLayout, modelId: string | undefined): GenerationSettings | string {
  if (!modelId) return 'Choose a model first.';
  const whole = (input: HTMLElementTagNameMap['vscode-textfield'], name: string, min: number, max: number): number | string => {
    const n = Number(input.value);
    const ok = input.value.trim() !== '' && Number.isSafeInteger(n) && n >= min && n <= max;
    input.invalid = !ok;
    return ok ? n : `${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`;
  };
  const length = whole(ui.length, 'Length', 1, MAX_GENERATE_LENGTH);
  const topK = whole(ui.topK, 'Top-k', 0, 1_000_000);
  const seed = whole(ui.seed, 'Seed', 0, Number.MAX_SAFE_INTEGER - MAX_GENERATE_COUNT);
  const count = whole(ui.count, 'Count', 1, MAX_GENERATE_COUNT);
  for (const v of [length, topK, seed, count]) if (typeof v === 'string') return v;
  const temperature = Number(ui.temperature.value);
  if (!(temperature >= TEMPERATURE.min && temperature <= TEMPERATURE.max)) return `Temperature must be from ${TEMPERATURE.min} to ${TEMPERATURE.max}.`;
  const numbers = { length: length as number, topK: topK as number, seed: seed as number, count: count as number };
  return { modelId, prime: ui.prime.value, temperature, ...numbers, precision: precisionOf(ui) };
}

function precisionOf(ui: SamplesLayout): GenerationSettings['precision'] {
  return ui.int8.checked ? 'int8' : 'float32';
}
