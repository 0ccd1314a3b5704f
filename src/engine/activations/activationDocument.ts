import { outputSize } from '../../core/spec';
import type { OnnxState } from '../inference/onnxLanguageModel';
import { ActivationModel, type ActivationKind, type ActivationModelOptions, type LayerActivations } from './activationModel';
import { TokenizedText, firstChangedToken } from './tokenizedText';

export interface ActivationDocumentOptions {
  /** Tokens per onnxruntime call; the state at each chunk boundary is kept (default 256). */
  chunkTokens?: number;
  /**
   * Compute the cell state and gates (LSTM c, i, f, o; GRU z, r) from the
   * start (default true). When false, they are computed from the first request
   * that asks for them: the hidden state alone costs about 40% less.
   */
  internals?: boolean;
  /** Next-token predictions kept per token (default 10). */
  topK?: number;
  /** Computed chunks kept in memory, least recently used dropped first (default 64 MiB). Boundary states are always kept. */
  cacheBytes?: number;
}

/** Activations of the tokens covering a range of the text. Arrays are per token, in text order. */
export interface ActivationRange {
  /** The document version these values belong to (see ActivationDocument.version). */
  version: number;
  /** Index of the first token. */
  firstToken: number;
  count: number;
  ids: Int32Array;
  /** Code-point span [start, end) of each token in the text. */
  starts: Int32Array;
  ends: Int32Array;
  /** The same spans in UTF-16 code units (editor offsets). */
  utf16Starts: Int32Array;
  utf16Ends: Int32Array;
  /** 1 where the token is outside the vocabulary (fed to the model as <unk>). */
  unknown: Uint8Array;
  /** Per layer, each kind [count, directions·hidden] row-major (forward half first): the state after reading each token. */
  layers: LayerActivations[];
  /** 2 for a bidirectional model (each row holds the forward, then the backward direction's units), else 1. */
  directions: 1 | 2;
}

export interface TokenPrediction {
  id: number;
  text: string;
  probability: number;
}

/**
 * What a language model reads out at a token: its next-token predictions; a
 * tagger's: the token's class probabilities; a classifier's: the class of the
 * window the token is in (what Classify says of that window), the same for
 * every token of it.
 */
export type Readout = 'next' | 'tag' | 'class';

/**
 * What the model says at a token. A language model: p(next token | text up to
 * and including it); a tagger or classifier: its classes (see Readout), with
 * `text` the class's label and no `actual`.
 */
export interface NextTokenPredictions {
  /** The token read last; −1 before the text (the model has read only its starting newline). */
  token: number;
  /** Its code-point span ([0, 0) before the text). */
  start: number;
  end: number;
  /** Most likely next tokens, most likely first. */
  top: TokenPrediction[];
  /** The token that actually follows in the text, with the probability the model gave it; absent at the end of the text. */
  actual?: TokenPrediction;
}

export interface DocumentUpdate {
  /** Code point where the new text first differs from the old (the old length when only appended). */
  firstChangedPosition: number;
  /** First token whose value or position changed; equal to tokenCount when nothing did. */
  firstChangedToken: number;
  /** Chunks whose boundary state is still valid: computation resumes at chunk keptStates − 1. */
  keptStates: number;
}

export interface ActivationDocumentStats {
  /** Tokens run through the model since the document was made (the starting newline not counted). */
  computedTokens: number;
  /** onnxruntime calls. */
  runs: number;
}

/** The text changed while a request was being computed: ask again for the new text. */
export class DocumentChangedError extends Error {
  constructor() {
    super('the text changed while its activations were being computed');
  }
}

interface ChunkData {
  layers: LayerActivations[];
  /** [length, topK] ids and probabilities, most likely first. */
  topIds: Int32Array;
  topProbs: Float32Array;
  /** Probability of the following token for every step but the last, whose follower may be edited without touching this chunk. */
  nextProbs: Float32Array;
  /** Logits after the chunk's last token, for that token's actual next. */
  lastLogits: Float32Array;
  /** Predictions kept per token: min(topK, vocabulary or classes). */
  width: number;
  bytes: number;
}

const DEFAULTS = { chunkTokens: 256, internals: true, topK: 10, cacheBytes: 64 * 1024 * 1024 };

/**
 * A text's activations, computed lazily in chunks of `chunkTokens` tokens.
 * The model state at every chunk boundary is kept, so a range is computed from
 * the nearest boundary before it, and `update` after an edit keeps every
 * boundary before the first changed token: only the chunk holding the edit
 * and the ones after it that are asked for are computed again.
 *
 * Positions are code points of the text (an astral character is one
 * position). The model reads a newline first, as at the start of a training
 * document; the value at a token is the state after reading it. Characters the
 * vocabulary lacks are fed as <unk> and marked `unknown`.
 *
 * Requests run one at a time. A request made before an `update` that has not
 * finished by then rejects with DocumentChangedError.
 */
export class ActivationDocument {
  readonly model: ActivationModel;
  readonly options: Required<ActivationDocumentOptions>;
  readonly stats: ActivationDocumentStats = { computedTokens: 0, runs: 0 };
  private textState: TokenizedText;
  private currentVersion = 0;
  /** states[k]: the state before chunk k's first token (states[0] after the starting newline). */
  private states: OnnxState[] = [];
  private initialLogits: Float32Array | undefined;
  /** Computed chunks in least-recently-used order (Map iteration order). */
  private readonly chunks = new Map<number, ChunkData>();
  private cachedBytes = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly ownsModel: boolean;
  /** Whether chunks are computed with the cell state and gates (it turns on, never off). */
  private computesInternals: boolean;
  /** A tagger or classifier: every chunk is one window of the model's training window, read from zero states. */
  private readonly windowed: boolean;

  constructor(model: ActivationModel, text: string, options: ActivationDocumentOptions = {}, ownsModel = false) {
    this.model = model;
    this.options = { ...DEFAULTS, ...options };
    const { chunkTokens, topK } = this.options;
    if (!(Number.isInteger(chunkTokens) && chunkTokens > 0)) throw new RangeError(`chunkTokens must be a positive whole number; got ${chunkTokens}`);
    if (!(Number.isInteger(topK) && topK > 0)) throw new RangeError(`topK must be a positive whole number; got ${topK}`);
    this.ownsModel = ownsModel;
    this.computesInternals = this.options.internals;
    this.textState = TokenizedText.of(model.vocab, text);
    // A tagger or classifier read windows of `window` tokens from zero states in training and in predict, and a
    // bidirectional model's backward direction depends on the text to the right of each token: a state carried
    // from left to right would be wrong for it. So such a model's chunks are its windows, each computed alone
    // from zero states in both directions (as predict and the tagger overlay read the text); a chunk is still
    // cached, as its values depend only on its own tokens, and an edit recomputes its window and the ones after.
    this.windowed = model.task !== 'lm';
    if (this.windowed && model.info.task) this.options.chunkTokens = model.info.task.window;
  }

  /** What `predictions` gives at a token (see Readout). */
  get readout(): Readout {
    return this.model.task === 'lm' ? 'next' : this.model.task === 'tag' ? 'tag' : 'class';
  }

  /** Opens the model (a run folder or .onnx file) for this one text; `close()` releases it. */
  static async open(source: string, text: string, options: ActivationDocumentOptions & ActivationModelOptions = {}): Promise<ActivationDocument> {
    const model = await ActivationModel.open(source, options);
    return new ActivationDocument(model, text, options, true);
  }

  get text(): string {
    return this.textState.text;
  }

  /** Incremented by every `update` that changes the text. */
  get version(): number {
    return this.currentVersion;
  }

  get tokenCount(): number {
    return this.textState.count;
  }

  /** Length of the text in code points. */
  get length(): number {
    return this.textState.length;
  }

  /** Every kind this document can give (the cell state and gates are computed when first asked for). */
  get kinds(): ActivationKind[] {
    return this.model.kinds;
  }

  /** The kinds computed so far: what a request that names none gets. */
  private get computedKinds(): ActivationKind[] {
    return this.computesInternals ? this.model.kinds : ['h'];
  }

  /** The token covering a code-point position (clamped to the text); −1 for an empty text. */
  tokenAt(position: number): number {
    return this.textState.tokenAt(position);
  }

  /** The token covering a UTF-16 offset, as editors count (clamped); −1 for an empty text. */
  tokenAtUtf16(offset: number): number {
    return this.textState.tokenAtUtf16(offset);
  }

  /** Code-point span of a token. */
  spanOf(token: number): [number, number] {
    return [this.textState.starts[token], this.textState.starts[token + 1]];
  }

  /**
   * Replaces the text. Boundary states and chunks before the first changed
   * token are kept; everything from the chunk holding it onwards is dropped.
   */
  update(newText: string): DocumentUpdate {
    const old = this.textState;
    if (newText === old.text) return { firstChangedPosition: old.length, firstChangedToken: old.count, keptStates: this.states.length };
    const next = TokenizedText.of(this.model.vocab, newText);
    const { position, token } = firstChangedToken(old, next);
    this.textState = next;
    this.currentVersion++;
    const N = this.options.chunkTokens;
    // A state before chunk k depends on tokens [0, k·N); a chunk's values on tokens up to its end.
    const keepStates = Math.min(this.states.length, Math.floor(token / N) + 1);
    this.states.length = keepStates;
    for (const [k, chunk] of this.chunks) {
      if ((k + 1) * N > token) {
        this.chunks.delete(k);
        this.cachedBytes -= chunk.bytes;
      }
    }
    return { firstChangedPosition: position, firstChangedToken: token, keptStates: keepStates };
  }

  /**
   * Activations of the tokens covering code points [from, to) (clamped to the
   * text), of `kinds` (default: those computed so far).
   */
  range(from: number, to: number, kinds?: ActivationKind[]): Promise<ActivationRange> {
    const version = this.currentVersion;
    return this.exclusive(version, async () => {
      const text = this.textState;
      const lo = Math.max(0, Math.min(from, text.length));
      const hi = Math.max(lo, Math.min(to, text.length));
      const first = hi > lo ? text.tokenAt(lo) : 0;
      const last = hi > lo ? text.tokenAt(hi - 1) : -1;
      return this.tokens(first, last + 1, version, this.prepareKinds(kinds));
    });
  }

  /** Activations of tokens [first, end) by index, of `kinds` (default: those computed so far). */
  tokenRange(first: number, end: number, kinds?: ActivationKind[]): Promise<ActivationRange> {
    const version = this.currentVersion;
    return this.exclusive(version, () => {
      const lo = Math.max(0, Math.min(first, this.tokenCount));
      return this.tokens(lo, Math.max(lo, Math.min(end, this.tokenCount)), version, this.prepareKinds(kinds));
    });
  }

  /**
   * The kinds a request gets. Asking for the cell state or a gate the first
   * time turns internals on: cached chunks (hidden state only) are dropped,
   * boundary states are kept, so only the chunks asked for are computed again.
   */
  private prepareKinds(kinds: ActivationKind[] | undefined): ActivationKind[] {
    if (!kinds) return this.computedKinds;
    for (const kind of kinds) if (!this.model.kinds.includes(kind)) throw new RangeError(`kind ${kind}: the model has ${this.model.kinds.join(', ')}`);
    if (!this.computesInternals && kinds.some((kind) => kind !== 'h')) {
      this.computesInternals = true;
      this.chunks.clear();
      this.cachedBytes = 0;
    }
    return kinds;
  }

  /** What the model expects after the token at a code-point position (clamped; before the text when it is empty). */
  predictions(position: number, k = 5): Promise<NextTokenPredictions> {
    const version = this.currentVersion;
    return this.exclusive(version, async () => {
      const text = this.textState;
      const vocab = this.model.vocab;
      const token = text.tokenAt(position);
      const take = Math.min(k, this.options.topK);
      const labels = this.model.info.task?.labels;
      const prediction = (id: number, probability: number): TokenPrediction => ({ id, text: labels ? labels[id] : vocab.textOf(id), probability });
      if (token < 0 && this.windowed) return { token: -1, start: 0, end: 0, top: [] };
      if (token < 0) {
        await this.ensureInitialState(version);
        const top = this.initialLogits ? topK(this.initialLogits, 0, this.initialLogits.length, take) : { ids: [], probs: [] };
        return { token: -1, start: 0, end: 0, top: top.ids.map((id, i) => prediction(id, top.probs[i])) };
      }
      const N = this.options.chunkTokens;
      const chunk = await this.chunk(Math.floor(token / N), version);
      const t = token % N;
      const K = this.options.topK;
      const top = Array.from({ length: Math.min(take, chunk.width) }, (_, i) => prediction(chunk.topIds[t * K + i], chunk.topProbs[t * K + i]));
      const result: NextTokenPredictions = { token, start: text.starts[token], end: text.starts[token + 1], top };
      if (!this.windowed && token + 1 < text.count) {
        const next = text.ids[token + 1];
        const p = t < chunk.nextProbs.length ? chunk.nextProbs[t] : softmaxAt(chunk.lastLogits, 0, chunk.lastLogits.length, next);
        result.actual = prediction(next, p);
      }
      return result;
    });
  }

  /** Releases the model if this document opened it. */
  async close(): Promise<void> {
    this.chunks.clear();
    this.cachedBytes = 0;
    if (this.ownsModel) await this.model.close();
  }

  /** Runs requests one at a time; a request for an older version rejects. */
  private exclusive<T>(version: number, work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (version !== this.currentVersion) throw new DocumentChangedError();
      return work();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async tokens(first: number, end: number, version: number, kinds: ActivationKind[]): Promise<ActivationRange> {
    const text = this.textState;
    const count = end - first;
    const { layers } = this.model.spec;
    const H = this.model.width;
    const out: ActivationRange = {
      version,
      firstToken: first,
      count,
      ids: text.ids.slice(first, end),
      starts: text.starts.slice(first, end),
      ends: text.starts.slice(first + 1, end + 1),
      utf16Starts: text.utf16.slice(first, end),
      utf16Ends: text.utf16.slice(first + 1, end + 1),
      unknown: Uint8Array.from(text.ids.subarray(first, end), (id) => (id === this.model.vocab.unk ? 1 : 0)),
      layers: Array.from({ length: layers }, () => Object.fromEntries(kinds.map((kind) => [kind, new Float32Array(count * H)])) as LayerActivations),
      directions: this.model.directions,
    };
    const N = this.options.chunkTokens;
    for (let k = Math.floor(first / N); count > 0 && k * N < end; k++) {
      const chunk = await this.chunk(k, version);
      const from = Math.max(first, k * N);
      const to = Math.min(end, (k + 1) * N);
      for (let l = 0; l < layers; l++) {
        for (const kind of kinds) {
          const source = chunk.layers[l][kind]!;
          out.layers[l][kind]!.set(source.subarray((from - k * N) * H, (to - k * N) * H), (from - first) * H);
        }
      }
    }
    return out;
  }

  /** The chunk's data, computed from the nearest boundary state before it when not cached. */
  private async chunk(k: number, version: number): Promise<ChunkData> {
    const cached = this.chunks.get(k);
    if (cached) {
      this.chunks.delete(k); // most recently used goes last
      this.chunks.set(k, cached);
      return cached;
    }
    await this.ensureInitialState(version);
    let j = this.windowed ? k : Math.min(k, this.states.length - 1);
    let data: ChunkData | undefined;
    for (; j <= k; j++) data = await this.compute(j, version);
    return data!;
  }

  private async ensureInitialState(version: number): Promise<void> {
    if (this.states.length > 0 || this.windowed) return;
    const vocab = this.model.vocab;
    const newline = vocab.idOf('\n');
    let state = this.model.zeroState();
    if (newline !== vocab.unk) {
      const run = await this.model.run([newline], state, false);
      this.stats.runs++;
      state = run.state;
      this.initialLogits = run.logits;
    }
    if (version !== this.currentVersion) throw new DocumentChangedError();
    if (this.states.length === 0) this.states.push(state);
  }

  /** Runs chunk k from states[k] (a window from zero states for a tagger or classifier) and records states[k + 1]. */
  private async compute(k: number, version: number): Promise<ChunkData> {
    const N = this.options.chunkTokens;
    const text = this.textState;
    const ids = text.ids.subarray(k * N, Math.min(text.count, (k + 1) * N));
    const run = await this.model.run(ids, this.windowed ? this.model.zeroState() : this.states[k], this.computesInternals);
    if (version !== this.currentVersion) throw new DocumentChangedError();
    this.stats.computedTokens += ids.length;
    this.stats.runs++;
    if (!this.windowed) this.states[k + 1] = run.state;
    const data = this.readouts(run.logits, ids);
    data.layers = run.layers.map(
      (layer) => Object.fromEntries(Object.entries(layer).map(([kind, values]) => [kind, (values as Float32Array).slice()])) as LayerActivations,
    );
    for (const layer of data.layers) for (const values of Object.values(layer)) data.bytes += (values as Float32Array).byteLength;
    const old = this.chunks.get(k);
    if (old) {
      this.chunks.delete(k);
      this.cachedBytes -= old.bytes;
    }
    this.chunks.set(k, data);
    this.cachedBytes += data.bytes;
    for (const [key, chunk] of this.chunks) {
      if (this.cachedBytes <= this.options.cacheBytes || key === k) break;
      this.chunks.delete(key);
      this.cachedBytes -= chunk.bytes;
    }
    return data;
  }

  /**
   * Each token's top predictions from a chunk's logits: a language model's
   * next token (and the probability of the one that follows), a tagger's
   * classes at the token, a classifier's classes of the whole window (its
   * one row, given to every token of it).
   */
  private readouts(logits: Float32Array, ids: Int32Array): ChunkData {
    const V = outputSize(this.model.spec);
    const K = Math.min(this.options.topK, V);
    const length = ids.length;
    const topIds = new Int32Array(length * this.options.topK);
    const topProbs = new Float32Array(length * this.options.topK);
    const nextProbs = new Float32Array(this.windowed ? 0 : length - 1);
    const perSequence = this.model.task === 'classify';
    for (let t = 0; t < length; t++) {
      const top = topK(logits, perSequence ? 0 : t * V, V, K);
      topIds.set(top.ids, t * this.options.topK);
      topProbs.set(top.probs, t * this.options.topK);
      if (!this.windowed && t < length - 1) nextProbs[t] = softmaxAt(logits, t * V, V, ids[t + 1]);
    }
    const lastLogits = this.windowed ? new Float32Array(0) : logits.slice((length - 1) * V, length * V);
    const bytes = topIds.byteLength + topProbs.byteLength + nextProbs.byteLength + lastLogits.byteLength;
    return { layers: [], topIds, topProbs, nextProbs, lastLogits, width: K, bytes };
  }
}

/** The k largest softmax probabilities of logits[offset … offset + size), most likely first. */
export function topK(logits: Float32Array, offset: number, size: number, k: number): { ids: number[]; probs: number[] } {
  let max = -Infinity;
  for (let v = 0; v < size; v++) max = Math.max(max, logits[offset + v]);
  let sum = 0;
  for (let v = 0; v < size; v++) sum += Math.exp(logits[offset + v] - max);
  const ids: number[] = [];
  for (let v = 0; v < size; v++) {
    const x = logits[offset + v];
    if (ids.length === k && x <= logits[offset + ids[k - 1]]) continue;
    let at = ids.length < k ? ids.length : k - 1;
    while (at > 0 && logits[offset + ids[at - 1]] < x) at--;
    ids.splice(at, 0, v);
    if (ids.length > k) ids.pop();
  }
  return { ids, probs: ids.map((v) => Math.exp(logits[offset + v] - max) / sum) };
}

function softmaxAt(logits: Float32Array, offset: number, size: number, id: number): number {
  let max = -Infinity;
  for (let v = 0; v < size; v++) max = Math.max(max, logits[offset + v]);
  let sum = 0;
  for (let v = 0; v < size; v++) sum += Math.exp(logits[offset + v] - max);
  return Math.exp(logits[offset + id] - max) / sum;
}
