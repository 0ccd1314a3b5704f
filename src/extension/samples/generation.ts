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
 * One `generate` request to the engine: its `generated` events, batched, go to
 * `onText`; the text so far is kept so a reloaded view can be shown it again.
 * No VS Code API here, so it is tested in plain Node.
 */
export class Generation {
  readonly requestId = randomUUID();
  /** Settles when the engine answers; never rejects (a failure is an outcome). */
  readonly finished: Promise<GenerationOutcome>;
  private received: string[] = [];
  private receivedText: string | undefined;
  private ended: GenerationOutcome | undefined;

  constructor(
    private readonly engine: GenerationEngine,
    source: ModelSource,
    readonly settings: GenerationSettings,
    onText: (text: string) => void,
    batchIntervalMs = 50,
  ) {
    const batcher = new TextBatcher(onText, batchIntervalMs);
    const subscription = engine.onEvent((event: EngineEvent) => {
      if (event.event !== 'generated' || event.requestId !== this.requestId) return;
      this.received.push(event.text);
      this.receivedText = undefined;
      batcher.push(event.text);
    });
    const { prime, length, temperature, topK, seed } = settings;
    this.finished = engine.request('generate', { requestId: this.requestId, source, prime, length, temperature, topK, seed }).then(
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

  /** Everything generated so far (the events' text; the engine's answer repeats it). */
  get text(): string {
    this.receivedText ??= this.received.join('');
    return this.receivedText;
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
