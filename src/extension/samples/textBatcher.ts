/**
 * Collects streamed text of several continuations and hands it on in
 * batches. A fast model emits thousands of characters a second; one webview
 * message per character floods the workbench (it kept the dashboard from
 * loading once), so text goes out at most once per interval, as one array
 * (index i: continuation i), and whatever is left when the stream ends goes
 * out with `flush`.
 */
export class TextBatcher {
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (texts: string[]) => void,
    private readonly intervalMs = 50,
  ) {}

  /** Adds each continuation's new text (`texts[i]` for continuation i). */
  push(texts: readonly string[]): void {
    if (!texts.some((t) => t.length > 0)) return;
    while (this.pending.length < texts.length) this.pending.push('');
    for (let i = 0; i < texts.length; i++) this.pending[i] += texts[i];
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Sends what is waiting now (nothing when nothing is). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const texts = this.pending;
    this.pending = [];
    this.send(texts);
  }

  /** Drops what is waiting without sending it. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
