import { randomUUID } from 'crypto';
import type { EngineEvent, GenerateResult } from '../../protocol/engine';
import type { ModelSource } from '../../protocol/modelSource';
import type { GenerationSettings } from '../../protocol/samples';
import type { EngineClient } from '../engine/engineClient';
import { TextBatcher } from './textBatcher';

/** The part of the engine client a generation needs (a fake in the unit tests). */
export type GenerationEngine = Pick<EngineClient, 'request' | 'onEvent'>;

export type GenerationOutcome = { kind: 'done'; result: GenerateResult } | { kind: 'error'; message: string };

/**
 * One `generate` request to the engine (one or several continuations): its
 * `generated` events, batched, go to `onText`; the text so far of each
 * continuation is kept so a reloaded view can be shown it again. No VS Code
 * API here, so it is tested in plain Node.
 */
export class Generation {
  readonly requestId = randomUUID();
  /** Settles when the engine answers; never rejects (a failure is an outcome). */
  readonly finished: Promise<GenerationOutcome>;
  /** Per continuation, the text received so far. */
  private readonly received: string[];
  private ended: GenerationOutcome | undefined;

  constructor(
    private readonly engine: GenerationEngine,
    /** The model generating (Open in Editor takes its run's language). */
    readonly source: ModelSource,
    readonly settings: GenerationSettings,
    onText: (texts: string[]) => void,
    batchIntervalMs = 50,
  ) {
    this.received = new Array<string>(settings.count).fill('');
    const batcher = new TextBatcher(onText, batchIntervalMs);
    const subscription = engine.onEvent((event: EngineEvent) => {
      if (event.event !== 'generated' || event.requestId !== this.requestId) return;
      event.texts.forEach((t, i) => i < this.received.length && (this.received[i] += t));
      batcher.push(event.texts);
    });
    const { prime, length, temperature, topK, seed, count, precision } = settings;
    const params = { requestId: this.requestId, source, prime, length, temperature, topK, seed, count, precision };
    this.finished = engine.request('generate', params).then(
      (result): GenerationOutcome => ({ kind: 'done', result }),
      (err: unknown): GenerationOutcome => ({ kind: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    void this.finished.then((outcome) => {
      // Events come before the response on the same channel: the last batch is complete here.
      subscription.dispose();
      batcher.flush();
      this.ended = outcome;
    });
  }

  /** Everything each continuation generated so far (the events' text; the engine's answer repeats it). */
  get texts(): string[] {
    return [...this.received];
  }

  get outcome(): GenerationOutcome | undefined {
    return this.ended;
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  /** Asks the engine to stop; the generation then finishes with `stopped: true`. */
  async stop(): Promise<boolean> {
    if (!this.running) return false;
    try {
      const { stopped } = await this.engine.request('stopGeneration', { requestId: this.requestId });
      return stopped;
    } catch {
      return false; // the engine is gone: the generation fails on its own
    }
  }
}
