/**
 * The overlay's diverging palette: 2·STEPS + 1 buckets from blue (lowest)
 * through no colour (neutral) to red (highest), as Karpathy et al. 2015 colour
 * text by a cell's value. Each bucket is one decoration type, made once.
 * Translucent backgrounds keep the syntax colours readable; dark themes get
 * lighter, stronger tints than light ones.
 */
export const STEPS = 5;
export const BUCKET_COUNT = 2 * STEPS + 1;

export interface BucketColours {
  light: string;
  dark: string;
}

const RED = { light: [214, 39, 40], dark: [255, 85, 70] };
const BLUE = { light: [31, 100, 220], dark: [70, 150, 255] };
const MAX_ALPHA = { light: 0.42, dark: 0.55 };

/** Colours of bucket b in −STEPS … STEPS; undefined for the neutral bucket 0 (left undecorated). */
export function bucketColours(b: number): BucketColours | undefined {
  if (b === 0) return undefined;
  const hue = b > 0 ? RED : BLUE;
  const strength = Math.min(STEPS, Math.abs(b)) / STEPS;
  const rgba = (theme: 'light' | 'dark') => `rgba(${hue[theme].join(', ')}, ${(MAX_ALPHA[theme] * strength).toFixed(3)})`;
  return { light: rgba('light'), dark: rgba('dark') };
}

/** Index of bucket b in an array of BUCKET_COUNT (0 is the lowest). */
export function bucketIndex(b: number): number {
  return Math.max(-STEPS, Math.min(STEPS, b)) + STEPS;
}
