import { natsToBits, formatDuration } from '../core/units';
import { lossUnitInWords } from '../core/runLabels';
import type { Resolution } from '../core/spec';

/**
 * Training progress on stderr: a bar redrawn in place on a terminal, plain
 * lines (every `lineEvery` steps) when stderr is a file or a pipe.
 */
export class ProgressReporter {
  private readonly tty: boolean;
  private lastLineStep = 0;
  private readonly startedAt = Date.now();
  private lastVal: number | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly totalSteps: number,
    private readonly startStep: number,
    private readonly lineEvery: number,
    /** Characters or tokens: what the bits are per. */
    private readonly resolution: Resolution,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  step(step: number, loss: number, charsPerSec: number): void {
    const done = step - this.startStep;
    const eta = done > 0 ? ((Date.now() - this.startedAt) / done) * (this.totalSteps - step) : 0;
    const val = this.lastVal !== undefined ? `  val ${natsToBits(this.lastVal).toFixed(3)}` : '';
    const speed = `${Math.round(charsPerSec).toLocaleString('en-US')} chars/s`;
    const unit = this.resolution === 'char' ? 'bits/char' : 'bits/token';
    const text = `step ${step}/${this.totalSteps}  loss ${natsToBits(loss).toFixed(3)} ${unit}${val}  ${speed}  eta ${formatDuration(eta)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((step / this.totalSteps) * width);
      const columns = this.stream.columns ?? 100;
      this.stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`.slice(0, columns + 5));
    } else if (step - this.lastLineStep >= this.lineEvery || step === this.totalSteps) {
      this.lastLineStep = step;
      this.stream.write(text + '\n');
    }
  }

  evaluation(step: number, valLoss: number): void {
    this.lastVal = valLoss;
    this.line(`validation at step ${step}: ${natsToBits(valLoss).toFixed(3)} ${lossUnitInWords(this.resolution)}`);
  }

  /** A message that must not be overwritten by the bar. */
  line(text: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }

  end(): void {
    if (this.tty) this.stream.write('\n');
  }
}
