/**
 * The coloured text of Karpathy et al. 2015 as data: one cell per character
 * with its value and colour bucket, and whether it lies in a highlighted span.
 * Pure (no DOM), so it is unit-tested in Node; trace.ts turns cells into spans.
 */
import { colourBucket, type ValueScale } from '../../src/core/neurons/valueScale';

/** Buckets each side of neutral: 2·5 + 1 colours in the stylesheet (.bn5 … .b0 … .bp5). */
export const BUCKET_STEPS = 5;

export interface TraceCell {
  text: string;
  value: number;
  /** −BUCKET_STEPS … +BUCKET_STEPS. */
  bucket: number;
  highlight?: 'selection' | 'match';
}

export interface Highlight {
  /** UTF-16 offsets in the text. */
  start: number;
  end: number;
  kind: 'selection' | 'match';
}

/** One cell per code point of `text` (values[i] belongs to the i-th code point). */
export function traceCells(text: string, values: readonly number[], scale: ValueScale, highlights: readonly Highlight[] = []): TraceCell[] {
  const sorted = [...highlights].sort((a, b) => a.start - b.start);
  const cells: TraceCell[] = [];
  let h = 0;
  let offset = 0;
  let i = 0;
  for (const ch of text) {
    while (h < sorted.length && sorted[h].end <= offset) h++;
    const value = values[i++] ?? 0;
    const cell: TraceCell = { text: ch, value, bucket: colourBucket(value, scale, BUCKET_STEPS) };
    const span = sorted[h];
    if (span && span.start <= offset && offset < span.end) cell.highlight = span.kind;
    cells.push(cell);
    offset += ch.length;
  }
  return cells;
}

/** The stylesheet class of a bucket: bn5 (lowest) … b0 … bp5 (highest). */
export function bucketClass(bucket: number): string {
  return bucket === 0 ? 'b0' : bucket < 0 ? `bn${-bucket}` : `bp${bucket}`;
}
