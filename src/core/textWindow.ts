/**
 * A part of a long text to analyse, measured in code points (the model's
 * positions) and returned as UTF-16 offsets (string indices, editor offsets).
 * A window never splits a surrogate pair.
 */
export interface TextWindow {
  /** UTF-16 offsets [start, end) in the text. */
  start: number;
  end: number;
  /** Code points in the window. */
  characters: number;
  /** Code points in the whole text. */
  totalCharacters: number;
}

/** At most `maxCharacters` code points of `text` from UTF-16 offset `start` (moved off a low surrogate). */
export function windowFrom(text: string, start: number, maxCharacters: number): TextWindow {
  const from = alignStart(text, Math.max(0, Math.min(start, text.length)));
  const end = advance(text, from, maxCharacters);
  return { start: from, end, characters: countCodePoints(text, from, end), totalCharacters: countCodePoints(text, 0, text.length) };
}

/**
 * At most `maxCharacters` code points around the UTF-16 span [focusStart,
 * focusEnd): centred on it when the text is longer, starting at it when the
 * span alone is longer than the window.
 */
export function windowAround(text: string, focusStart: number, focusEnd: number, maxCharacters: number): TextWindow {
  const total = countCodePoints(text, 0, text.length);
  if (total <= maxCharacters) return { start: 0, end: text.length, characters: total, totalCharacters: total };
  const lo = alignStart(text, Math.max(0, Math.min(focusStart, text.length)));
  const hi = Math.max(lo, Math.min(focusEnd, text.length));
  const focus = countCodePoints(text, lo, hi);
  if (focus >= maxCharacters) return { ...windowFrom(text, lo, maxCharacters), totalCharacters: total };
  // Split what is left over evenly before and after the focus, then give either side's unused share to the other.
  const spare = maxCharacters - focus;
  const before = countCodePoints(text, 0, lo);
  const after = total - before - focus;
  let take = Math.min(before, Math.floor(spare / 2));
  take += Math.max(0, spare - take - after);
  take = Math.min(take, before);
  const start = retreat(text, lo, take);
  const end = advance(text, start, maxCharacters);
  return { start, end, characters: countCodePoints(text, start, end), totalCharacters: total };
}

/** Code points in text[from, to). */
export function countCodePoints(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++, n++) if (isHigh(text.charCodeAt(i)) && i + 1 < to && isLow(text.charCodeAt(i + 1))) i++;
  return n;
}

/** The UTF-16 offset `count` code points after `from` (or the end of the text). */
function advance(text: string, from: number, count: number): number {
  let i = from;
  for (let n = 0; n < count && i < text.length; n++) i += isHigh(text.charCodeAt(i)) && i + 1 < text.length && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
  return i;
}

/** The UTF-16 offset `count` code points before `from` (or 0). */
function retreat(text: string, from: number, count: number): number {
  let i = from;
  for (let n = 0; n < count && i > 0; n++) i -= i >= 2 && isLow(text.charCodeAt(i - 1)) && isHigh(text.charCodeAt(i - 2)) ? 2 : 1;
  return i;
}

function alignStart(text: string, at: number): number {
  return at > 0 && at < text.length && isLow(text.charCodeAt(at)) && isHigh(text.charCodeAt(at - 1)) ? at - 1 : at;
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
