import { MODEL_PRECISIONS, type ModelPrecision } from '../../core/precision';
import { DEFAULT_GENERATION, type GenerationSettings } from '../../protocol/samples';
import { int, isRecord, num, oneOf, optional, shape, str } from '../../protocol/guards';

/**
 * Arguments of `RNN Lab: Generate Sample…` that skip its questions (for tests
 * and keybindings). Anything left out takes the default; the prime defaults to
 * the editor selection.
 */
export interface GenerateSampleArgs {
  modelId?: string;
  prime?: string;
  length?: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  count?: number;
  precision?: ModelPrecision;
}

const argsCheck = shape({
  modelId: optional(str),
  prime: optional(str),
  length: optional(int),
  temperature: optional(num),
  topK: optional(int),
  seed: optional(int),
  count: optional(int),
  precision: optional(oneOf(...MODEL_PRECISIONS)),
});

/**
 * The command's arguments, or the problem in words. Anything that is not an
 * object (no argument, or a menu's URI) means "ask".
 */
export function parseGenerateSampleArgs(value: unknown): GenerateSampleArgs | string {
  if (!isRecord(value)) return {};
  return argsCheck(value, 'arguments') ?? value;
}

/**
 * The longest prime taken from a selection, in characters. A longer selection
 * keeps its end: what comes right before the continuation matters most, and
 * priming a whole file costs time for little gain.
 */
export const MAX_SELECTION_PRIME = 10_000;

export function primeFromSelection(text: string): string {
  if (text.length <= MAX_SELECTION_PRIME) return text;
  let start = text.length - MAX_SELECTION_PRIME;
  // Never start on the second half of a surrogate pair (an emoji cut in two).
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start++;
  return text.slice(start);
}

export function settingsFromArgs(args: GenerateSampleArgs, modelId: string, selection: string): GenerationSettings {
  return {
    modelId,
    prime: args.prime ?? primeFromSelection(selection),
    length: args.length ?? DEFAULT_GENERATION.length,
    temperature: args.temperature ?? DEFAULT_GENERATION.temperature,
    topK: args.topK ?? DEFAULT_GENERATION.topK,
    seed: args.seed ?? DEFAULT_GENERATION.seed,
    count: args.count ?? DEFAULT_GENERATION.count,
    precision: args.precision ?? DEFAULT_GENERATION.precision,
  };
}
