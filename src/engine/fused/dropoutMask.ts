/**
 * The fused kernels' dropout mask (assembly/rows.ts, dropoutRows) in
 * TypeScript: which units a training step keeps, from the step's seed alone,
 * so any thread can draw any part of it and a test can hand the same mask
 * to the tfjs path. Row r is the window's time-major row t·batch + b; the
 * stream tells the layers and directions apart.
 */
export function dropoutStream(layer: number, direction: number): number {
  return layer * 2 + direction;
}

/** Whether unit `unit` (< hidden) of row `row` is kept at dropout rate `rate`. */
export function dropoutKeeps(seed: number, stream: number, row: number, unit: number, hidden: number, rate: number): boolean {
  const base = fmix32((seed + Math.imul(stream, 0x9e3779b9)) >>> 0);
  const x = fmix32((Math.imul((row * hidden + unit) >>> 0, 0x9e3779b1) + base) >>> 0);
  return (x >>> 8) / 16777216 >= rate;
}

/** MurmurHash3's finaliser on unsigned 32-bit integers. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
