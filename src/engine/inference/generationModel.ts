import * as ort from 'onnxruntime-node';
import type { ModelPrecision } from '../../core/precision';
import { packedStateNames } from '../onnx/generationGraph';
import { LOGITS_OUTPUT, PACKED_STATE_INPUT, PACKED_STATE_OUTPUT, TOKENS_INPUT } from '../onnx/onnxNames';
import { resolveModelFile } from './modelSource';
import { LeasedModel } from './leasedModel';
import { acquireSession, type SessionLease } from './sessionCache';

/**
 * An exported model opened for generation: its graph rewritten with the
 * state of every layer packed in one tensor (generationGraph.ts), run through
 * a cached session. Close it when done (it holds a lease on the session).
 */
export class GenerationModel extends LeasedModel {
  private constructor(lease: SessionLease) {
    super(lease);
  }

  /** Opens a run folder's model.onnx or an RNN Lab .onnx file, as stored or (`int8`) quantized. */
  static async open(source: string, precision?: ModelPrecision): Promise<GenerationModel> {
    return new GenerationModel(await acquireSession(resolveModelFile(source), { precision, generation: true }));
  }

  /** [state slices, batch, hidden] zeros: the state before any text. */
  zeroState(batch: number): ort.Tensor {
    const slices = packedStateNames(this.spec, false).length;
    return new ort.Tensor('float32', new Float32Array(slices * batch * this.spec.hidden), [slices, batch, this.spec.hidden]);
  }

  /** Runs `ids` ([batch, time], row-major) from `state`; the logits [batch, time, vocab] and the state after. */
  async run(ids: ArrayLike<number>, batch: number, time: number, state: ort.Tensor): Promise<{ logits: Float32Array; state: ort.Tensor }> {
    const tokens = new BigInt64Array(batch * time);
    writeIds(tokens, ids, this.spec.vocabSize);
    return this.runFeeds({ [TOKENS_INPUT]: new ort.Tensor('int64', tokens, [batch, time]), [PACKED_STATE_INPUT]: state });
  }

  /** A stepper for `batch` streams starting from `state` ([slices, batch, hidden]). */
  stepper(batch: number, state: ort.Tensor): TokenStepper {
    return new TokenStepper(this, batch, state);
  }

  /** @internal Runs the session on prepared feeds (TokenStepper reuses its own). */
  async runFeeds(feeds: Record<string, ort.Tensor>): Promise<{ logits: Float32Array; state: ort.Tensor }> {
    const out = await this.runSession(feeds, FETCHES);
    return { logits: out[LOGITS_OUTPUT].data as Float32Array, state: out[PACKED_STATE_OUTPUT] };
  }
}

const FETCHES = [LOGITS_OUTPUT, PACKED_STATE_OUTPUT];

/**
 * Runs a model one token per stream per call, `batch` streams at once, the
 * state carried from one call to the next: the inner loop of generation. The
 * feeds and the token tensor are made once; each call only writes the ids and
 * swaps in the new state, so nothing is allocated per token (measured no
 * faster than fresh tensors: onnxruntime's per-call cost is in its graph
 * inputs and outputs, see generationGraph.ts).
 */
export class TokenStepper {
  private readonly ids: BigInt64Array;
  private readonly feeds: Record<string, ort.Tensor>;

  constructor(
    private readonly model: GenerationModel,
    readonly batch: number,
    state: ort.Tensor,
  ) {
    this.ids = new BigInt64Array(batch);
    this.feeds = { [TOKENS_INPUT]: new ort.Tensor('int64', this.ids, [batch, 1]), [PACKED_STATE_INPUT]: state };
  }

  /** Feeds one token per stream; returns the next logits, [batch, vocab] row-major. */
  async step(ids: ArrayLike<number>): Promise<Float32Array> {
    writeIds(this.ids, ids, this.model.spec.vocabSize);
    const out = await this.model.runFeeds(this.feeds);
    this.feeds[PACKED_STATE_INPUT] = out.state;
    return out.logits;
  }
}

/** Checked here: onnxruntime would reject an id outside the vocabulary too, but only after logging to stderr. */
function writeIds(to: BigInt64Array, ids: ArrayLike<number>, vocabSize: number): void {
  if (ids.length !== to.length) throw new RangeError(`expected ${to.length} token ids; got ${ids.length}`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) throw new RangeError(`token id ${id} is outside the vocabulary (0 to ${vocabSize - 1})`);
    to[i] = BigInt(id);
  }
}

/** A state of batch 1 ([slices, 1, hidden]) repeated for `batch` streams. */
export function repeatState(state: ort.Tensor, batch: number): ort.Tensor {
  const [slices, one, H] = state.dims;
  if (one !== 1) throw new RangeError(`expected a state of batch 1; got ${one}`);
  const from = state.data as Float32Array;
  const to = new Float32Array(slices * batch * H);
  for (let s = 0; s < slices; s++) for (let b = 0; b < batch; b++) to.set(from.subarray(s * H, (s + 1) * H), (s * batch + b) * H);
  return new ort.Tensor('float32', to, [slices, batch, H]);
}
