/**
 * Samples taken during training, newest first, each with its run and step.
 * Sample text is model output trained on workspace files: it goes in with
 * textContent only, never as markup.
 */
import type { DashboardRun } from '../../src/protocol/dashboard';
import type { SampleRecord } from '../../src/core/runFormat';
import { runColourVariable } from '../shared/theme';
import { formatNumber } from './chartDefinitions';

/** Older samples drop off the list: they stay in the run's samples.jsonl. */
const MAX_SHOWN = 100;

export class SampleList {
  constructor(private readonly container: HTMLElement) {}

  /** Shows all samples of the runs, newest first. */
  show(runs: readonly DashboardRun[], colourOf: (runId: string) => number): void {
    const all = runs.flatMap((run) => run.samples.map((sample) => ({ run, sample })));
    all.sort((a, b) => b.sample.time - a.sample.time || b.sample.step - a.sample.step);
    this.container.replaceChildren(...all.slice(0, MAX_SHOWN).map(({ run, sample }) => entry(run, sample, colourOf(run.info.id))));
    this.updateEmptyNote();
  }

  /** Puts newly arrived samples at the top. */
  add(run: DashboardRun, samples: readonly SampleRecord[], colourIndex: number): void {
    for (const sample of samples) this.container.prepend(entry(run, sample, colourIndex));
    while (this.container.children.length > MAX_SHOWN) this.container.lastElementChild?.remove();
    this.updateEmptyNote();
  }

  get count(): number {
    return this.container.querySelectorAll('.sample').length;
  }

  private updateEmptyNote(): void {
    this.container.classList.toggle('empty', this.count === 0);
  }
}

function entry(run: DashboardRun, sample: SampleRecord, colourIndex: number): HTMLElement {
  const article = document.createElement('article');
  article.className = 'sample';
  article.dataset.runId = run.info.id;
  article.dataset.step = String(sample.step);

  const header = article.appendChild(document.createElement('header'));
  const swatch = header.appendChild(document.createElement('span'));
  swatch.className = 'run-swatch';
  swatch.style.backgroundColor = runColourVariable(colourIndex);
  const label = header.appendChild(document.createElement('span'));
  label.className = 'sample-run';
  label.textContent = run.info.label;
  const meta = header.appendChild(document.createElement('span'));
  meta.className = 'sample-meta';
  meta.textContent = `step ${sample.step} · temperature ${formatNumber(sample.temperature)}`;

  const text = article.appendChild(document.createElement('pre'));
  text.className = 'code-block sample-text';
  if (sample.prime) {
    // The prime is what the model was given, not what it wrote: shown apart.
    const prime = text.appendChild(document.createElement('span'));
    prime.className = 'sample-prime';
    prime.textContent = sample.prime;
  }
  text.appendChild(document.createTextNode(sample.text));
  return article;
}
