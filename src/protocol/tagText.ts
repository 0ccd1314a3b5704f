/**
 * The tagger overlay's request (docs/architecture.md, "Tasks"): a tagger's
 * predicted class at every token of an editor's text, with its class
 * probabilities and, for a tagger of code syntax classes, the parser's truth.
 */
import { int, shape, str, type Check } from './guards';
import { modelSourceCheck, type ModelSource } from './modelSource';

/** Longest text the overlay tags, in UTF-16 code units (every token's probabilities cross the process boundary). */
export const MAX_TAG_TEXT_LENGTH = 100_000;

export interface TagTextParams {
  model: ModelSource;
  /** The file name (its language: the truth's parser; a CoNLL file's format). */
  file: string;
  text: string;
  /** The editor's version, returned as is. */
  version: number;
}

export interface TagTextResult {
  version: number;
  /** Class id i is labels[i]. */
  labels: string[];
  /** Per token: where it starts and how long it is, in UTF-16 code units of the text. */
  starts: number[];
  lengths: number[];
  /** Per token: the predicted class id. */
  predicted: number[];
  /** Per token and class (row-major, tokens × labels): the probability in whole percent. */
  percents: number[];
  /** Per token: the parser's class id (-1 where its class is not a label), for a tagger of code syntax classes. */
  truth?: number[];
  /** True when only the first MAX_TAG_TEXT_LENGTH code units were tagged. */
  truncated: boolean;
}

export const tagTextParamsCheck: Check = shape({ model: modelSourceCheck, file: str, text: str, version: int });
