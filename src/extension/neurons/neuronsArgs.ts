import { isRecord, optional, shape, str, type Check } from '../../protocol/guards';
import { MAX_TOP_NEURONS } from '../../protocol/neurons';

/** Arguments of Show Neurons and Find Neurons for Selection that skip their questions (tests, keybindings). */
export interface NeuronsCommandArgs {
  /** A run folder or id, or an .onnx file. */
  modelId?: string;
  /** Neurons per feature (Show Neurons; default 5). */
  top?: number;
}

const argsCheck: Check = shape({
  modelId: optional(str),
  top: optional((v, p) =>
    Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_TOP_NEURONS ? undefined : `${p} must be a whole number from 1 to ${MAX_TOP_NEURONS}`,
  ),
});

/** The arguments, or the problem in words. Anything that is not an object (no argument, a menu's URI) means "ask". */
export function parseNeuronsArgs(value: unknown): NeuronsCommandArgs | string {
  if (!isRecord(value)) return {};
  return argsCheck(value, 'arguments') ?? value;
}
