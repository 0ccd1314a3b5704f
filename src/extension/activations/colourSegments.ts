import { colourBucket, valueScale, type ValueScale } from '../../core/neurons/valueScale';
import type { ActivationRangeResult, NeuronKind } from '../../protocol/activations';
import { BUCKET_COUNT, STEPS, bucketIndex } from './palette';
import type { LineSegment, TextSnapshot } from './textSnapshot';

export interface ColouredSegments {
  /** Per bucket (index 0 the lowest, STEPS the neutral one, left empty), the segments to colour. */
  buckets: LineSegment[][];
  /** Segments of tokens the vocabulary lacks. */
  unknown: LineSegment[];
  tokens: number;
  unknownTokens: number;
  scale: ValueScale;
}

/**
 * Turns the engine's per-token values into per-bucket line segments for the
 * fixed decoration types: neighbouring tokens of one bucket on one line make
 * one segment, the neutral bucket and line breaks are left out. Values are
 * placed on the kind's scale (core/neurons/valueScale: h in [−1, 1], gates
 * around ½, c by the 98th percentile of |value| in these ranges).
 */
export function colourSegments(snapshot: TextSnapshot, ranges: readonly ActivationRangeResult[], kind: NeuronKind): ColouredSegments {
  const all: number[] = [];
  for (const r of ranges) for (const v of r.values) all.push(v);
  const scale = valueScale(kind, all);
  const buckets: LineSegment[][] = Array.from({ length: BUCKET_COUNT }, () => []);
  const unknown: LineSegment[] = [];
  let tokens = 0;
  let unknownTokens = 0;
  for (const r of ranges) {
    for (let t = 0; t < r.values.length; t++) {
      tokens++;
      const start = r.spans[2 * t];
      const end = r.spans[2 * t + 1];
      const segments = snapshot.lineSegments(start, end);
      if (r.unknown[t]) {
        unknownTokens++;
        appendAll(unknown, segments);
      }
      const b = bucketIndex(colourBucket(r.values[t], scale, STEPS));
      if (b !== STEPS) appendAll(buckets[b], segments);
    }
  }
  return { buckets, unknown, tokens, unknownTokens, scale };
}

/** Appends segments, extending the last one when a segment continues it on the same line. */
function appendAll(list: LineSegment[], segments: readonly LineSegment[]): void {
  for (const s of segments) {
    const last = list[list.length - 1];
    if (last && last.line === s.line && last.end === s.start) last.end = s.end;
    else list.push({ ...s });
  }
}
