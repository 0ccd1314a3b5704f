/**
 * The text of an editor at one version as the engine reads it: line breaks
 * made "\n" (a CRLF file reads as the model was trained, on "\n"), with the
 * start of every line. A line and character are the same in the editor's text
 * and here; offsets are UTF-16 code units of the text here.
 */
export class TextSnapshot {
  private constructor(
    readonly text: string,
    /** lineStarts[l]: offset of line l's first character. */
    readonly lineStarts: readonly number[],
  ) {}

  static of(text: string): TextSnapshot {
    const normalized = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
    const starts = [0];
    for (let i = normalized.indexOf('\n'); i >= 0; i = normalized.indexOf('\n', i + 1)) starts.push(i + 1);
    return new TextSnapshot(normalized, starts);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Characters of a line, its line break not counted. */
  lineLength(line: number): number {
    const start = this.lineStarts[line];
    const end = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] - 1 : this.text.length;
    return end - start;
  }

  /** The offset of a line and character, both clamped. */
  offsetAt(line: number, character: number): number {
    if (line < 0) return 0;
    if (line >= this.lineStarts.length) return this.text.length;
    return this.lineStarts[line] + Math.max(0, Math.min(character, this.lineLength(line)));
  }

  /** The line and character of an offset (clamped to the text). */
  positionAt(offset: number): { line: number; character: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: at - this.lineStarts[lo] };
  }

  /**
   * The pieces of [start, end) on each line it touches, line breaks left out
   * (an inline decoration over a line break draws nothing useful).
   */
  lineSegments(start: number, end: number): LineSegment[] {
    if (end <= start) return [];
    const a = this.positionAt(start);
    const b = this.positionAt(end);
    const out: LineSegment[] = [];
    for (let line = a.line; line <= b.line; line++) {
      const from = line === a.line ? a.character : 0;
      const to = line === b.line ? b.character : this.lineLength(line);
      if (to > from) out.push({ line, start: from, end: to });
    }
    return out;
  }
}

/** Characters [start, end) of one line. */
export interface LineSegment {
  line: number;
  start: number;
  end: number;
}
