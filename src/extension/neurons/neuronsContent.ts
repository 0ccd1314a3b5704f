/**
 * The engine's Neurons results turned into what the Neurons view shows:
 * document spans with line, column and a one-line preview, the trace with
 * the spans to outline. Pure (no `vscode`), so the webview tests build their
 * messages with it from recorded results, as the host does.
 */
import type { MatchSelectionResult, NeuronTraceResult, RankNeuronsResult } from '../../protocol/neurons';
import type { NeuronsRanking, NeuronsSelection, NeuronsSpan, NeuronsSubject, NeuronsTrace } from '../../protocol/neuronsView';

/** Longest preview of a span, in UTF-16 code units. */
export const PREVIEW_LENGTH = 60;

/** Where lines start in a text, to turn offsets into line and character (UTF-16, 0-based, as the editor API counts). */
export class LineStarts {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; character: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }
}

/** The span's text on one line (line breaks and tabs as visible marks), shortened to `max` with an ellipsis. */
export function preview(text: string, start: number, end: number, max = PREVIEW_LENGTH): string {
  let s = text
    .slice(start, Math.min(end, start + max + 1))
    .replace(/\r?\n/g, '⏎')
    .replace(/\t/g, '→');
  if (end - start > max || s.length > max) {
    s = s.slice(0, max);
    // Never leave half a surrogate pair before the ellipsis.
    if (/[\uD800-\uDBFF]$/.test(s)) s = s.slice(0, -1);
    s += '…';
  }
  return s;
}

export function spanOf(text: string, lines: LineStarts, start: number, end: number): NeuronsSpan {
  return { start, end, ...lines.position(start), preview: preview(text, start, end) };
}

export function subjectOf(document: string, model: string, window: { characters: number; totalCharacters: number }): NeuronsSubject {
  return { document, model, characters: window.characters, totalCharacters: window.totalCharacters };
}

export function rankingContent(result: RankNeuronsResult, document: string, model: string): NeuronsRanking {
  return { subject: subjectOf(document, model, result.window), parser: result.parser, features: result.features, gates: result.gates };
}

/** `text` is the text the engine was sent (its offsets are in it). */
export function selectionContent(result: MatchSelectionResult, text: string, document: string, model: string): NeuronsSelection {
  const lines = new LineStarts(text);
  return {
    subject: subjectOf(document, model, result.window),
    selected: spanOf(text, lines, result.selection.start, result.selection.end),
    neurons: result.neurons,
    matches: result.matches.map((m) => ({ ...spanOf(text, lines, m.start, m.end), score: m.score, firing: m.firing })),
  };
}

/** The trace of `text` (the text the engine was sent), outlining the selection and its matches when given. */
export function traceContent(result: NeuronTraceResult, text: string, selection?: MatchSelectionResult): NeuronsTrace {
  const { start, end } = result.window;
  const inWindow = (s: { start: number; end: number }) => s.end > start && s.start < end;
  const local = (s: { start: number; end: number }) => ({ start: Math.max(0, s.start - start), end: Math.min(end, s.end) - start });
  const highlights: NeuronsTrace['highlights'] = [];
  if (selection) {
    if (inWindow(selection.selection)) highlights.push({ ...local(selection.selection), kind: 'selection' });
    for (const m of selection.matches) if (inWindow(m)) highlights.push({ ...local(m), kind: 'match' });
  }
  return {
    neuron: result.neuron,
    text: text.slice(start, end),
    offset: start,
    values: result.values,
    centre: result.centre,
    half: result.half,
    characters: result.window.characters,
    totalCharacters: result.window.totalCharacters,
    highlights,
  };
}
