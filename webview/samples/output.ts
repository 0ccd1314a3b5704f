/**
 * The generated text: one block per continuation, each with its seed and its
 * own Insert, Open and Copy. Model output (trained on workspace files) and the
 * prime go in as text nodes only, never as markup. Streamed pieces are
 * collected and written once per frame: measuring a long <pre> after every
 * piece (to follow its end) would lay it out thousands of times a second.
 */
import { element, iconButton } from './layout';

/** What a continuation's buttons ask for. */
export type OutputAction = 'insert' | 'open' | 'copy';

/** One continuation: its header (seed, actions) and its text after the prime. */
class SampleBlock {
  readonly root: HTMLElement;
  readonly label: HTMLElement;
  readonly buttons: Record<OutputAction, HTMLElementTagNameMap['vscode-button']>;
  private readonly box: HTMLElement;
  private readonly primeNode: HTMLElement;
  private readonly textNode: HTMLElement;
  generated = '';
  pending: string[] = [];

  constructor(container: HTMLElement, onAction: (action: OutputAction) => void) {
    this.root = container.appendChild(element('section', 'sample'));
    // Output actions sit in the header as icons: three labelled buttons would wrap in a side bar.
    const header = this.root.appendChild(element('div', 'sample-header'));
    this.label = header.appendChild(element('span', 'sample-label'));
    const actions = header.appendChild(element('div', 'output-actions'));
    this.buttons = {
      insert: actions.appendChild(iconButton('Insert at Cursor', 'insert', 'insert')),
      open: actions.appendChild(iconButton('Open in Editor', 'open', 'new-file')),
      copy: actions.appendChild(iconButton('Copy', 'copy', 'copy')),
    };
    for (const action of ['insert', 'open', 'copy'] as const) this.buttons[action].addEventListener('click', () => onAction(action));
    this.box = this.root.appendChild(element('pre', 'code-block output empty'));
    this.box.tabIndex = 0;
    this.primeNode = this.box.appendChild(element('span', 'output-prime'));
    // The prime is what the model was given, not what it wrote: shown apart.
    this.primeNode.title = 'Prime text';
    this.textNode = this.box.appendChild(element('span', 'output-text'));
  }

  show(prime: string, text: string, label: string): void {
    this.pending = [];
    this.label.textContent = label;
    this.box.setAttribute('aria-label', `Generated text, ${label}`);
    this.primeNode.textContent = prime;
    this.textNode.replaceChildren(withVisibleWhitespace(text));
    this.generated = text;
    this.updateEmpty();
  }

  append(text: string): void {
    this.generated += text;
    this.pending.push(text);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    // Follow the end only when the reader is already there: scrolling up to read stays put.
    const atEnd = this.box.scrollTop + this.box.clientHeight >= this.box.scrollHeight - 4;
    this.textNode.appendChild(withVisibleWhitespace(this.pending.join('')));
    this.pending = [];
    if (atEnd) this.box.scrollTop = this.box.scrollHeight;
    this.updateEmpty();
  }

  /** The prime and what the model wrote, as shown. */
  get fullText(): string {
    return (this.primeNode.textContent ?? '') + this.generated;
  }

  private updateEmpty(): void {
    this.box.classList.toggle('empty', this.fullText.length === 0);
  }
}

/**
 * The text with its spaces, tabs and line ends marked faintly (CSS draws the
 * marks: `.ws-*` in samples.css; single spaces between words stay plain), so
 * a sample that is mostly whitespace does
 * not look empty. The characters themselves stay in the text: selecting and
 * copying it gives exactly what the model wrote.
 */
export function withVisibleWhitespace(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const parts = text.split(/( +|\t+|\n)/).filter((part) => part !== '');
  parts.forEach((part, i) => {
    // As the editor's "boundary" whitespace: a single space between words is left plain.
    const wordSpace = part === ' ' && i > 0 && i < parts.length - 1 && parts[i - 1] !== '\n' && parts[i + 1] !== '\n';
    const kind = wordSpace ? undefined : part[0] === ' ' ? 'ws-space' : part[0] === '\t' ? 'ws-tab' : part === '\n' ? 'ws-newline' : undefined;
    if (kind === undefined) {
      fragment.appendChild(document.createTextNode(part));
      return;
    }
    const span = fragment.appendChild(element('span', kind));
    span.textContent = part;
  });
  return fragment;
}

export class SampleOutputs {
  private blocks: SampleBlock[] = [];
  private frame: number | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly statusLine: HTMLElement,
    private readonly onAction: (action: OutputAction, index: number) => void,
  ) {
    this.show('', [''], 1);
  }

  /** Shows continuations of `prime` (a new generation starts with empty texts), labelled with their seeds. */
  show(prime: string, texts: readonly string[], firstSeed: number): void {
    this.dropPending();
    const count = Math.max(1, texts.length);
    while (this.blocks.length > count) this.blocks.pop()!.root.remove();
    while (this.blocks.length < count) {
      const index = this.blocks.length;
      this.blocks.push(new SampleBlock(this.container, (action) => this.onAction(action, index)));
    }
    this.blocks.forEach((b, i) => b.show(prime, texts[i] ?? '', count > 1 ? `#${i + 1} · seed ${firstSeed + i}` : `Seed ${firstSeed}`));
    this.container.classList.toggle('several', count > 1);
  }

  /** Adds each continuation's new text (`texts[i]` for continuation i). */
  append(texts: readonly string[]): void {
    texts.forEach((t, i) => t && this.blocks[i]?.append(t));
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  /** Writes what is waiting now (at the end of a generation, so the page is complete when it says so). */
  flush(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    for (const b of this.blocks) b.flush();
  }

  get count(): number {
    return this.blocks.length;
  }

  /** What continuation `i` wrote. */
  textOf(i: number): string {
    return this.blocks[i]?.generated ?? '';
  }

  /** The prime and what continuation `i` wrote, as shown. */
  fullTextOf(i: number): string {
    return this.blocks[i]?.fullText ?? '';
  }

  /** Enables each continuation's buttons by what it has: Insert needs generated text, Open and Copy any text. */
  updateButtons(): void {
    for (const b of this.blocks) {
      b.buttons.insert.disabled = b.generated.length === 0;
      b.buttons.open.disabled = b.fullText.length === 0;
      b.buttons.copy.disabled = b.fullText.length === 0;
    }
  }

  setStatus(text: string, error = false): void {
    this.statusLine.textContent = text;
    this.statusLine.classList.toggle('error', error);
  }

  private dropPending(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    for (const b of this.blocks) b.pending = [];
  }
}
