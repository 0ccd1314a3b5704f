import { taskOf } from '../../core/spec';
import { CODE_TAGS, tagSourceCode } from '../../core/tasks/codeTags';
import { MAX_TAG_TEXT_LENGTH, type TagTextParams, type TagTextResult } from '../../protocol/tagText';
import { modelSourcePath } from '../../protocol/modelSource';
import { run, tokensOf } from '../inference/predict';
import { resolveModelFile } from '../inference/modelSource';
import { acquireSession, type SessionLease } from '../inference/sessionCache';
import { OnnxModelError } from '../onnx/onnxModelError';

/**
 * A tagger's classes and probabilities at every token of a text, read as
 * `predict` reads it (consecutive windows from zero states), with where each
 * token lies in the text; for a character tagger whose labels are code syntax
 * classes, the parser's classes too (core/tasks/codeTags.ts), so the editor
 * can mark where the model and the parser disagree.
 */
export async function tagText(params: TagTextParams): Promise<TagTextResult> {
  const lease = await acquireSession(resolveModelFile(modelSourcePath(params.model)));
  try {
    const { info } = lease;
    if (taskOf(info.spec) !== 'tag' || !info.task)
      throw new OnnxModelError(`${lease.file} is not a tagger: the tag overlay needs a model trained with --task tag (Train Model… → Tagger)`);
    const truncated = params.text.length > MAX_TAG_TEXT_LENGTH;
    const text = truncated ? params.text.slice(0, MAX_TAG_TEXT_LENGTH) : params.text;
    const tokens = tokensOf(info, { file: params.file, text });
    const { starts, lengths } = locate(text, tokens, info.vocab.kind === 'word');
    const labels = info.task.labels;
    const { predicted, percents } = await classifyTokens(lease, tokens);
    const isCodeTagger = info.vocab.kind !== 'word' && labels.every((l) => (CODE_TAGS as readonly string[]).includes(l));
    const truth = isCodeTagger ? (await tagSourceCode(text, params.file)).map((t) => labels.indexOf(t)) : undefined;
    return { version: params.version, labels, starts, lengths, predicted, percents, ...(truth ? { truth } : {}), truncated };
  } finally {
    lease.release();
  }
}

/** Each token's offset and length: characters follow one another; words are found in order (a word not found is skipped over). */
function locate(text: string, tokens: string[], words: boolean): { starts: number[]; lengths: number[] } {
  const starts: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const token of tokens) {
    const start = words ? text.indexOf(token, at) : at;
    starts.push(start < 0 ? at : start);
    lengths.push(start < 0 ? 0 : token.length);
    at = start < 0 ? at : start + token.length;
  }
  return { starts, lengths };
}

async function classifyTokens(lease: SessionLease, tokens: string[]): Promise<{ predicted: number[]; percents: number[] }> {
  const { vocab, task } = lease.info;
  const ids = Int32Array.from(tokens, (t) => vocab.idOf(t));
  const C = task!.labels.length;
  const T = task!.window;
  const predicted: number[] = [];
  const percents: number[] = [];
  const take = (logits: Float32Array, rows: number) => {
    for (let r = 0; r < rows; r++) {
      const row = logits.subarray(r * C, (r + 1) * C);
      const max = Math.max(...row);
      const e = Array.from(row, (x) => Math.exp(x - max));
      const sum = e.reduce((a, b) => a + b, 0);
      let best = 0;
      for (let k = 1; k < C; k++) if (row[k] > row[best]) best = k;
      predicted.push(best);
      for (const x of e) percents.push(Math.round((100 * x) / sum));
    }
  };
  const full = Math.floor(ids.length / T);
  if (full > 0)
    take(
      await run(
        lease,
        Array.from({ length: full }, (_, i) => ids.subarray(i * T, (i + 1) * T)),
        T,
      ),
      full * T,
    );
  if (ids.length > full * T) take(await run(lease, [ids.subarray(full * T)], ids.length - full * T), ids.length - full * T);
  return { predicted, percents };
}
