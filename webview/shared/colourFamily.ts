/**
 * A run's colour family: every series of one run is a shade of the run's
 * colour (the first the colour itself, the next ones mixed towards the
 * theme's foreground), so runs differ by hue and the series of a run by
 * shade and by dash style. Canvas strokes cannot use CSS `color-mix`, so the
 * mixing is done here on the theme's resolved colours.
 */

type Rgb = [number, number, number];

/** Parses `#rgb`, `#rrggbb` (alpha ignored) and `rgb(…)`/`rgba(…)`; undefined for anything else (named colours). */
export function parseColour(colour: string): Rgb | undefined {
  const text = colour.trim();
  const hex = /^#([0-9a-f]{3,8})$/i.exec(text)?.[1];
  if (hex && (hex.length === 3 || hex.length === 4)) return [0, 1, 2].map((i) => parseInt(hex[i] + hex[i], 16)) as Rgb;
  if (hex && (hex.length === 6 || hex.length === 8)) return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(text);
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : undefined;
}

/** `a` moved the fraction `t` of the way to `b`, as `rgb(…)`; `a` unchanged when either cannot be parsed. */
export function mixColours(a: string, b: string, t: number): string {
  const from = parseColour(a);
  const to = parseColour(b);
  if (!from || !to) return a;
  const [r, g, bl] = from.map((v, i) => Math.round(v + (to[i] - v) * t));
  return `rgb(${r}, ${g}, ${bl})`;
}

/** How far each shade after the first moves towards the foreground: far enough to tell apart, near enough to stay in the family. */
const SHADE_STEP = 0.45;

/** The `shade`-th colour of the family of `runColour` (shade 0 is the run's colour). */
export function familyShade(runColour: string, foreground: string, shade: number): string {
  return shade === 0 ? runColour : mixColours(runColour, foreground, Math.min(0.8, SHADE_STEP * shade));
}
