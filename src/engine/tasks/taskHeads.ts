import { taskOf, type ModelSpec } from '../../core/spec';

/**
 * The fused kernels compute a language model's loss (a softmax over the vocabulary after each
 * token); a tagger's or classifier's head is left to tfjs ops until they implement it.
 */
export function taskHeadUnsupportedReason(spec: ModelSpec): string | undefined {
  const task = taskOf(spec);
  return task === 'lm' ? undefined : `they do not implement the ${task === 'tag' ? 'tagging' : 'classification'} head`;
}
