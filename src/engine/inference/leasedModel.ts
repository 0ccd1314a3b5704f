import type * as ort from 'onnxruntime-node';
import type { ModelPrecision } from '../../core/precision';
import type { ModelSpec } from '../../core/spec';
import type { Vocabulary } from '../../core/vocabulary';
import { OnnxModelError } from '../onnx/onnxModelError';
import type { RnnLabModelInfo } from '../onnx/onnxMetadata';
import type { SessionLease } from './sessionCache';

/**
 * A model read from an RNN Lab .onnx file through a lease on a cached session
 * (sessionCache.ts): what the file says about itself, one guarded way to run
 * the session, and `close`, which gives the lease back once.
 */
export abstract class LeasedModel {
  private closed = false;

  protected constructor(private readonly lease: SessionLease) {}

  get file(): string {
    return this.lease.file;
  }

  get info(): RnnLabModelInfo {
    return this.lease.info;
  }

  get spec(): ModelSpec {
    return this.lease.info.spec;
  }

  get vocab(): Vocabulary {
    return this.lease.info.vocab;
  }

  /** What the session runs: the file's weights, or their int8 variant. */
  get precision(): ModelPrecision {
    return this.lease.info.precision;
  }

  /** Runs the session; onnxruntime's failures become an OnnxModelError naming the file. */
  protected async runSession(feeds: Record<string, ort.Tensor>, fetches: readonly string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    if (this.closed) throw new Error('model was closed');
    try {
      return await this.lease.session.run(feeds, fetches as string[]);
    } catch (err) {
      throw new OnnxModelError(`onnxruntime failed on ${this.file}: ${((err as Error)?.message ?? String(err)).split('\n')[0]}`);
    }
  }

  protected throwIfClosed(): void {
    if (this.closed) throw new Error('model was closed');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lease.release();
  }
}
