/**
 * The Samples view's state, kept by VS Code with setState so it survives the
 * view being hidden (its page is dropped: retainContextWhenHidden is off) and
 * the window reloading.
 */
import { parseSamplesState, type GenerationSettings, type SamplesToHost, type SamplesWebviewState } from '../../src/protocol/samples';
import type { VsCodeApi } from '../shared/vscodeApi';

/** Streamed text is saved at most this often: the whole text is serialised on every save. */
const SAVE_INTERVAL_MS = 250;

export class SamplesState {
  private state: SamplesWebviewState;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: VsCodeApi<SamplesToHost>) {
    // Saved by this or an older version of the view: validated, not trusted.
    this.state = parseSamplesState(api.getState());
  }

  get value(): Readonly<SamplesWebviewState> {
    return this.state;
  }

  updateSettings(change: Partial<GenerationSettings>): void {
    this.state = { ...this.state, settings: { ...this.state.settings, ...change } };
    this.save();
  }

  /** Replaces what is said about the shown output (a new generation, its outcome). */
  updateOutput(change: Partial<Omit<SamplesWebviewState, 'settings'>>): void {
    this.state = { ...this.state, ...change };
    this.save();
  }

  /** Adds each continuation's new text (`texts[i]` for continuation i). */
  appendTexts(texts: readonly string[]): void {
    const shown = [...this.state.texts];
    texts.forEach((t, i) => (shown[i] = (shown[i] ?? '') + t));
    this.state = { ...this.state, texts: shown };
    this.saveTimer ??= setTimeout(() => this.save(), SAVE_INTERVAL_MS);
  }

  private save(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.api.setState(this.state);
  }
}
