/**
 * Collects streamed text and hands it on in batches. A fast model emits
 * thousands of characters a second; one webview message per character floods
 * the workbench (it kept the dashboard from loading once), so text goes out at
 * most once per interval, and whatever is left when the stream ends goes out
 * with `flush`.
 */
export class TextBatcher {
  private chunks: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (text: string) => void,
    private readonly intervalMs = 50,
  ) {}

  push(text: string): void {
    if (text.length === 0) return;
    this.chunks.push(text);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Sends what is waiting now (nothing when nothing is). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.send(text);
  }

  /** Drops what is waiting without sending it. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chunks = [];
  }
}
