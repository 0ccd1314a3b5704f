/**
 * A resumed run must read the text it started with: otherwise it silently
 * trains on other data (characters its vocabulary lacks become <unk>) and no
 * longer continues the run it claims to. run.json records a fingerprint of the
 * encoded corpus; resuming compares it (runs made before it: the counts).
 */
import { createHash } from 'crypto';
import type { CorpusSummary } from '../../core/runFormat';
import { summarizeCorpus, type CorpusFilters, type PreparedData } from './trainingSetup';

/** What run.json records of the corpus, with the fingerprint of the token ids it encodes to. */
export function corpusSummary(inputs: string[], filters: CorpusFilters, data: PreparedData): CorpusSummary {
  const hash = createHash('sha256');
  for (const ids of [data.train, data.validation]) {
    hash.update(String(ids.length));
    hash.update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
  }
  return { ...summarizeCorpus(inputs, filters, data), fingerprint: hash.digest('hex').slice(0, 32) };
}

/** How the corpus read now differs from the recorded one, in words; undefined when it is the same. */
export function describeCorpusChange(recorded: CorpusSummary, now: CorpusSummary, data: PreparedData): string | undefined {
  const same = recorded.fingerprint
    ? recorded.fingerprint === now.fingerprint
    : recorded.documents === now.documents &&
      recorded.trainTokens === now.trainTokens &&
      recorded.validationTokens === now.validationTokens &&
      recorded.characters === now.characters;
  if (same) return undefined;
  const counts = (c: CorpusSummary) => `${c.documents} files, ${c.trainTokens.toLocaleString('en-US')} training tokens`;
  let unknown = 0;
  for (const id of data.train) if (id === data.vocab.unk) unknown++;
  const lacking = unknown > 0 ? `; ${unknown.toLocaleString('en-US')} of its characters are not in the run's vocabulary` : '';
  return `then ${counts(recorded)}, now ${counts(now)}${lacking}`;
}
