/**
 * Runs `fire` once `delayMs` after the last `schedule()`, but never later than
 * `maxWaitMs` after the first one of a burst: typing or scrolling without a
 * pause still updates a few times a second.
 */
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private burstStart: number | undefined;

  constructor(
    private readonly fire: () => void,
    private readonly delayMs: number,
    private readonly maxWaitMs: number = Infinity,
    private readonly now: () => number = Date.now,
  ) {}

  get pending(): boolean {
    return this.timer !== undefined;
  }

  schedule(): void {
    const now = this.now();
    this.burstStart ??= now;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.burstStart + this.maxWaitMs - now));
    this.timer = setTimeout(() => this.run(), wait);
  }

  /** Fires now if something is scheduled. */
  flush(): void {
    if (this.timer) this.run();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.burstStart = undefined;
  }

  private run(): void {
    this.dispose();
    this.fire();
  }
}
