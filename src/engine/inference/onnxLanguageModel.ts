import * as ort from 'onnxruntime-node';
import type { ModelPrecision } from '../../core/precision';
import { OnnxModelError } from '../onnx/onnxModelError';
import { LOGITS_OUTPUT, TOKENS_INPUT, c0Name, cNName, h0Name, hNName, hSeqName } from '../onnx/onnxNames';
import { resolveModelFile } from './modelSource';
import { LeasedModel } from './leasedModel';
import { acquireSession, type SessionLease } from './sessionCache';

/** Carried state: per layer [directions, batch, hidden] tensors, as the graph's h0_/hN_ (and c0_/cN_ for LSTM). */
export interface OnnxState {
  h: ort.Tensor[];
  c: ort.Tensor[];
}

export interface OnnxRunOutput {
  /** [batch, time, vocab], row-major. */
  logits: Float32Array;
  /** The state after the last time step, ready to feed the next call. */
  state: OnnxState;
  /** Per layer [batch, time, directions·hidden], when asked for. */
  sequences?: Float32Array[];
}

/**
 * An exported model with its vocabulary and spec, run through a cached
 * onnxruntime session. Close it when done (it holds a lease on the session).
 */
export class OnnxLanguageModel extends LeasedModel {
  private constructor(lease: SessionLease) {
    super(lease);
  }

  /** Opens a run folder's model.onnx or an RNN Lab .onnx file, as stored or (`int8`) quantized. */
  static async open(source: string, precision?: ModelPrecision): Promise<OnnxLanguageModel> {
    return new OnnxLanguageModel(await acquireSession(resolveModelFile(source), { precision }));
  }

  zeroState(batch: number): OnnxState {
    const { layers, hidden, cell, bidirectional } = this.spec;
    const dims = [bidirectional ? 2 : 1, batch, hidden];
    const zeros = () => Array.from({ length: layers }, () => new ort.Tensor('float32', new Float32Array(dims[0] * batch * hidden), dims));
    return { h: zeros(), c: cell === 'lstm' ? zeros() : [] };
  }

  /** Runs `ids` ([batch, time], row-major) from `state` (zeros when absent). */
  async run(ids: ArrayLike<number>, batch: number, time: number, state?: OnnxState, options: { sequences?: boolean } = {}): Promise<OnnxRunOutput> {
    this.throwIfClosed();
    if (!(Number.isInteger(batch) && batch > 0 && Number.isInteger(time) && time > 0) || ids.length !== batch * time) {
      throw new RangeError(`expected ${batch}×${time} token ids; got ${ids.length}`);
    }
    const V = this.spec.vocabSize;
    const tokens = new BigInt64Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      // Checked here: onnxruntime would reject it too, but only after logging to stderr.
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`token id ${id} is outside the vocabulary (0 to ${V - 1})`);
      tokens[i] = BigInt(id);
    }
    const from = state ?? this.zeroState(batch);
    const { layers, cell } = this.spec;
    const feeds: Record<string, ort.Tensor> = { [TOKENS_INPUT]: new ort.Tensor('int64', tokens, [batch, time]) };
    const fetches = [LOGITS_OUTPUT];
    for (let l = 0; l < layers; l++) {
      feeds[h0Name(l)] = from.h[l];
      fetches.push(hNName(l));
      if (cell === 'lstm') {
        feeds[c0Name(l)] = from.c[l];
        fetches.push(cNName(l));
      }
      if (options.sequences) fetches.push(hSeqName(l));
    }
    const out = await this.runSession(feeds, fetches);
    const pick = (name: string) => out[name];
    const logits = pick(LOGITS_OUTPUT).data as Float32Array;
    // Checked at open against the graph too; this is what the graph really computed.
    if (logits.length !== batch * time * V)
      throw new OnnxModelError(`${this.file} computes ${logits.length / (batch * time)} logits per token but its vocabulary has ${V} tokens`);
    return {
      logits,
      state: {
        h: Array.from({ length: layers }, (_, l) => pick(hNName(l))),
        c: cell === 'lstm' ? Array.from({ length: layers }, (_, l) => pick(cNName(l))) : [],
      },
      ...(options.sequences ? { sequences: Array.from({ length: layers }, (_, l) => pick(hSeqName(l)).data as Float32Array) } : {}),
    };
  }
}
