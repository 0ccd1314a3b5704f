/**
 * The generated text. Model output (trained on workspace files) and the prime
 * go in as text nodes only, never as markup. Streamed pieces are collected and
 * written to one text node once per frame: measuring a long <pre> after every
 * piece (to follow its end) would lay it out thousands of times a second.
 */
export class SampleOutput {
  private readonly primeNode: HTMLElement;
  private readonly textNode: Text;
  private generated = '';
  private pending: string[] = [];
  private frame: number | undefined;

  constructor(
    private readonly box: HTMLElement,
    private readonly statusLine: HTMLElement,
  ) {
    this.primeNode = box.appendChild(document.createElement('span'));
    this.primeNode.className = 'output-prime';
    // The prime is what the model was given, not what it wrote: shown apart.
    this.primeNode.title = 'Prime text';
    this.textNode = box.appendChild(document.createTextNode(''));
  }

  /** Shows `text` continuing `prime` (a new generation starts with no text). */
  show(prime: string, text: string): void {
    this.dropPending();
    this.primeNode.textContent = prime;
    this.textNode.data = text;
    this.generated = text;
    this.updateEmpty();
  }

  append(text: string): void {
    this.generated += text;
    this.pending.push(text);
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  /** Writes what is waiting now (at the end of a generation, so the page is complete when it says so). */
  flush(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    if (this.pending.length === 0) return;
    // Follow the end only when the reader is already there: scrolling up to read stays put.
    const atEnd = this.box.scrollTop + this.box.clientHeight >= this.box.scrollHeight - 4;
    this.textNode.appendData(this.pending.join(''));
    this.pending = [];
    if (atEnd) this.box.scrollTop = this.box.scrollHeight;
    this.updateEmpty();
  }

  /** What the model wrote. */
  get text(): string {
    return this.generated;
  }

  /** The prime and what the model wrote, as shown. */
  get fullText(): string {
    return (this.primeNode.textContent ?? '') + this.generated;
  }

  setStatus(text: string, error = false): void {
    this.statusLine.textContent = text;
    this.statusLine.classList.toggle('error', error);
  }

  private dropPending(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    this.pending = [];
  }

  private updateEmpty(): void {
    this.box.classList.toggle('empty', this.fullText.length === 0);
  }
}
