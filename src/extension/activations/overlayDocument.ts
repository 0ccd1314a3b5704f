import { randomUUID } from 'crypto';
import type { ActivationRangeResult, HoverInfoResult, NeuronId } from '../../protocol/activations';
import type { ModelSource } from '../../protocol/modelSource';
import { MAX_DOCUMENT_LENGTH } from '../../protocol/limits';
import { EngineExitedError, EngineRequestError, type EngineClient } from '../engine/engineClient';
import type { LineWindow } from './lineWindows';
import type { ModelLayout } from './neuronLabels';
import { TextSnapshot } from './textSnapshot';

/** Times a request is asked again after the engine process ended under it. */
const MAX_RETRIES_AFTER_EXIT = 2;

/** The part of the engine client the overlay uses (a fake in unit tests). */
export type OverlayEngine = Pick<EngineClient, 'request'>;

/** The editor's text now, and its version (TextDocument.version). */
export interface HostText {
  text: string;
  version: number;
}

/** The text the engine holds: the host version it came from, and the engine's version of it. */
export interface SyncedText {
  snapshot: TextSnapshot;
  hostVersion: number;
  engineVersion: number;
}

/** 'stale': the engine's text changed under the request (another client); ask again. */
export type Outcome<T> = ({ kind: 'ok' } & T) | { kind: 'problem'; message: string } | { kind: 'stale' };

/**
 * One editor text open in the engine for activations. Everything it asks the
 * engine runs one request after another, each first sending the host's
 * current text when it changed (opening the document the first time), so a
 * range or hover always belongs to a text the engine has: it is never 'stale'
 * unless another client edits the same document. No VS Code API here.
 */
export class OverlayDocument {
  readonly documentId = randomUUID();
  private opened = false;
  private synced: SyncedText | undefined;
  private modelProblem: string | undefined;
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();
  private modelLayout: ModelLayout | undefined;
  /** Engine exits in a row while this document was being asked about: after a few, a crash is a problem, not a retry. */
  private exitsInARow = 0;

  constructor(
    private readonly engine: OverlayEngine,
    readonly source: ModelSource,
    private readonly readText: () => HostText,
  ) {}

  /** The model's layers, once the engine has opened the document. */
  get layout(): ModelLayout | undefined {
    return this.modelLayout;
  }

  /** The text the engine holds now. */
  get current(): SyncedText | undefined {
    return this.synced;
  }

  /** The engine process ended: its documents are gone, so the next request opens this one again. */
  engineLost(): void {
    this.opened = false;
    this.synced = undefined;
  }

  /** Sends the current text when it changed. */
  sync(): Promise<Outcome<SyncedText>> {
    return this.exclusive(() => this.syncNow());
  }

  /** The neuron's values over the windows' lines of the current text. */
  activations(neuron: NeuronId, windows: readonly LineWindow[]): Promise<Outcome<{ synced: SyncedText; ranges: ActivationRangeResult[] }>> {
    return this.exclusive(async () => {
      const synced = await this.syncNow();
      if (synced.kind !== 'ok') return synced;
      const { snapshot, engineVersion } = synced;
      const ranges: ActivationRangeResult[] = [];
      for (const w of windows) {
        const from = snapshot.offsetAt(w.start, 0);
        const to = w.end + 1 < snapshot.lineCount ? snapshot.offsetAt(w.end + 1, 0) : snapshot.text.length;
        const result = await this.ask(() =>
          this.engine.request('activationRange', { documentId: this.documentId, version: engineVersion, from, to, ...neuron }),
        );
        if (result.kind !== 'ok') return result;
        ranges.push(result.value);
      }
      return { kind: 'ok', synced, ranges };
    });
  }

  /** What the hover shows at a line and character of the current text. */
  hover(neuron: NeuronId, line: number, character: number): Promise<Outcome<{ synced: SyncedText; info: HoverInfoResult }>> {
    return this.exclusive(async () => {
      const synced = await this.syncNow();
      if (synced.kind !== 'ok') return synced;
      const offset = synced.snapshot.offsetAt(line, character);
      const result = await this.ask(() => this.engine.request('hoverInfo', { documentId: this.documentId, version: synced.engineVersion, offset, ...neuron }));
      return result.kind === 'ok' ? { kind: 'ok', synced, info: result.value } : result;
    });
  }

  /** Closes the engine's document (after whatever is under way). */
  close(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      this.closed = true;
      if (!this.opened) return;
      this.opened = false;
      await this.engine.request('closeDocument', { documentId: this.documentId }).catch(() => undefined);
    });
  }

  private async syncNow(): Promise<Outcome<SyncedText>> {
    if (this.closed) return { kind: 'problem', message: 'the overlay was closed' };
    if (this.modelProblem) return { kind: 'problem', message: this.modelProblem };
    const { text, version } = this.readText();
    if (this.opened && this.synced?.hostVersion === version) return { kind: 'ok', ...this.synced };
    const problem = textProblem(text);
    if (problem) return { kind: 'problem', message: problem };
    const snapshot = TextSnapshot.of(text);
    let engineVersion: number;
    if (!this.opened) {
      try {
        const opened = await this.engine.request('openDocument', { documentId: this.documentId, source: this.source, text: snapshot.text });
        this.opened = true;
        this.exitsInARow = 0;
        this.modelLayout = opened.layers;
        engineVersion = opened.version;
      } catch (err) {
        if (err instanceof EngineExitedError) return this.exited(err);
        // The model cannot be opened (deleted, corrupted, not RNN Lab's): say so until another model is chosen.
        if (err instanceof EngineRequestError) this.modelProblem = err.message;
        return { kind: 'problem', message: problemOf(err) };
      }
    } else {
      const updated = await this.ask(() => this.engine.request('updateDocument', { documentId: this.documentId, text: snapshot.text }));
      if (updated.kind !== 'ok') return updated;
      engineVersion = updated.value.version;
    }
    this.synced = { snapshot, hostVersion: version, engineVersion };
    return { kind: 'ok', ...this.synced };
  }

  /** An engine request whose failure is an outcome; the engine going away means "open again next time". */
  private async ask<T>(request: () => Promise<T>): Promise<Outcome<{ value: T }>> {
    try {
      const value = await request();
      this.exitsInARow = 0;
      return { kind: 'ok', value };
    } catch (err) {
      if (err instanceof EngineRequestError && err.code === 'stale') return { kind: 'stale' };
      if (err instanceof EngineExitedError) return this.exited(err);
      return { kind: 'problem', message: problemOf(err) };
    }
  }

  /** The engine went away mid-request: ask again (a new engine starts), unless it keeps dying. */
  private exited(err: EngineExitedError): Outcome<never> {
    this.engineLost();
    return ++this.exitsInARow <= MAX_RETRIES_AFTER_EXIT ? { kind: 'stale' } : { kind: 'problem', message: problemOf(err) };
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function problemOf(err: unknown): string {
  if (err instanceof EngineExitedError) return `the engine keeps stopping (${err.message}); edit or scroll to try again`;
  return err instanceof Error ? err.message : String(err);
}

/** Why a text is not shown with activations, or undefined when it can be. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'this file looks binary (it contains NUL characters): activations are shown for text only';
  if (text.length > MAX_DOCUMENT_LENGTH)
    return `this text is too long for the overlay (${text.length.toLocaleString('en')} characters; at most ${MAX_DOCUMENT_LENGTH.toLocaleString('en')})`;
  return undefined;
}
