import * as ort from 'onnxruntime-node';
import { taskOf } from '../../core/spec';
import { parseConllU, parseTwoColumn } from '../../core/tasks/conll';
import { formatOfFile } from '../../core/tasks/taskData';
import type { ClassifiedFile, PredictResult, TaggedFile } from '../../protocol/tasks';
import { OnnxModelError } from '../onnx/onnxModelError';
import { LOGITS_OUTPUT, TOKENS_INPUT, c0Name, h0Name } from '../onnx/onnxNames';
import type { RnnLabModelInfo } from '../onnx/onnxMetadata';
import { resolveModelFile } from './modelSource';
import { acquireSession, type SessionLease } from './sessionCache';

/** A text to predict for, and the name it is reported under. */
export interface PredictInput {
  file: string;
  text: string;
}

/**
 * A tagger's or classifier's predictions for whole files with onnxruntime
 * (docs/architecture.md, "Tasks"), read as training read its data: a
 * classifier sees a file's first `window` tokens; a tagger reads the file in
 * consecutive windows of `window` tokens from a zero state (the full windows
 * in one batch), a tag per token.
 */
export async function predictFiles(source: string, inputs: PredictInput[]): Promise<PredictResult> {
  const files: (ClassifiedFile | TaggedFile)[] = [];
  let kind: PredictResult['task'] = 'classify';
  await predictEachFile(source, inputs, (task, file) => {
    kind = task;
    files.push(file);
  });
  return { task: kind, files } as PredictResult;
}

/**
 * The same predictions, each handed to `onFile` as soon as it is made, the
 * inputs taken one at a time: a caller that reads its files lazily and writes
 * each result out (rnn-lab predict) holds one file's text and result, however
 * many files it is given.
 */
export async function predictEachFile(
  source: string,
  inputs: Iterable<PredictInput>,
  onFile: (task: PredictResult['task'], file: ClassifiedFile | TaggedFile) => void,
): Promise<void> {
  const lease = await acquireSession(resolveModelFile(source));
  try {
    const { info } = lease;
    const task = taskOf(info.spec);
    if (task === 'lm' || !info.task)
      throw new OnnxModelError(`${lease.file} is a language model: predict needs a tagger or classifier (rnn-lab train --task tag or --task classify)`);
    for (const input of inputs) onFile(task, task === 'classify' ? await classify(lease, input) : await tag(lease, input));
  } finally {
    lease.release();
  }
}

async function classify(lease: SessionLease, input: PredictInput): Promise<ClassifiedFile> {
  const { vocab, task } = lease.info;
  const ids = vocab.encode(input.text).slice(0, task!.window);
  if (ids.length === 0) throw new OnnxModelError(`${input.file} is empty: there is nothing to classify`);
  const logits = await run(lease, [ids], ids.length);
  const probabilities = softmax(logits);
  const best = probabilities.indexOf(Math.max(...probabilities));
  return { file: input.file, label: task!.labels[best], probabilities: Object.fromEntries(task!.labels.map((l, i) => [l, probabilities[i]])) };
}

async function tag(lease: SessionLease, input: PredictInput): Promise<TaggedFile> {
  const { vocab, task } = lease.info;
  const tokens = tokensOf(lease.info, input);
  const ids = Int32Array.from(tokens, (t) => vocab.idOf(t));
  const labels = task!.labels;
  const T = task!.window;
  const tags: string[] = [];
  const full = Math.floor(ids.length / T);
  const pick = (logits: Float32Array, rows: number) => {
    const C = labels.length;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let k = 1; k < C; k++) if (logits[r * C + k] > logits[r * C + best]) best = k;
      tags.push(labels[best]);
    }
  };
  if (full > 0) {
    const rows = Array.from({ length: full }, (_, i) => ids.subarray(i * T, (i + 1) * T));
    pick(await run(lease, rows, T), full * T);
  }
  if (ids.length > full * T) pick(await run(lease, [ids.subarray(full * T)], ids.length - full * T), ids.length - full * T);
  return { file: input.file, tags, tokens };
}

/** The tokens a tagger reads: characters, or words (a CoNLL file's FORM column, else whitespace-separated words). */
export function tokensOf(info: RnnLabModelInfo, input: PredictInput): string[] {
  if (info.vocab.kind !== 'word') return info.vocab.split(input.text);
  const format = formatOfFile(input.file);
  if (format === 'conllu') return parseConllU(input.text, input.file).flatMap((s) => s.tokens);
  if (format === 'conll') return parseTwoColumn(input.text, input.file).flatMap((s) => s.tokens);
  return info.vocab.split(input.text);
}

/** Runs rows of equal length from zero states; the logits as onnxruntime gives them. */
export async function run(lease: SessionLease, rows: Int32Array[], time: number): Promise<Float32Array> {
  const { spec } = lease.info;
  const batch = rows.length;
  const tokens = new BigInt64Array(batch * time);
  rows.forEach((r, b) => r.forEach((id, t) => (tokens[b * time + t] = BigInt(id))));
  const dims = [spec.bidirectional ? 2 : 1, batch, spec.hidden];
  const feeds: Record<string, ort.Tensor> = { [TOKENS_INPUT]: new ort.Tensor('int64', tokens, [batch, time]) };
  for (let l = 0; l < spec.layers; l++) {
    feeds[h0Name(l)] = new ort.Tensor('float32', new Float32Array(dims[0] * batch * spec.hidden), dims);
    if (spec.cell === 'lstm') feeds[c0Name(l)] = new ort.Tensor('float32', new Float32Array(dims[0] * batch * spec.hidden), dims);
  }
  const out = await lease.session.run(feeds, [LOGITS_OUTPUT]);
  const logits = out[LOGITS_OUTPUT].data as Float32Array;
  if (!logits.every(Number.isFinite)) throw new OnnxModelError(`${lease.file} computed non-finite logits: its weights are damaged`);
  return logits;
}

function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const e = Array.from(logits, (x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
