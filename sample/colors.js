// Colours as { r, g, b } with channels from 0 to 255, and the conversions a chart needs.

'use strict';

function clamp(x, low = 0, high = 255) {
  return Math.min(high, Math.max(low, x));
}

/** '#1e90ff' or '#19f' -> { r: 30, g: 144, b: 255 }. */
function parseHex(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) throw new Error(`not a hex colour: "${hex}"`);
  const digits = m[1].length === 3 ? [...m[1]].map((d) => d + d).join('') : m[1];
  return { r: parseInt(digits.slice(0, 2), 16), g: parseInt(digits.slice(2, 4), 16), b: parseInt(digits.slice(4, 6), 16) };
}

function toHex({ r, g, b }) {
  return '#' + [r, g, b].map((c) => Math.round(clamp(c)).toString(16).padStart(2, '0')).join('');
}

/** Linear interpolation between two colours: t = 0 gives a, t = 1 gives b. */
function mix(a, b, t) {
  return { r: a.r + (b.r - a.r) * t, g: a.g + (b.g - a.g) * t, b: a.b + (b.b - a.b) * t };
}

/** A diverging scale: blue below zero, white at zero, red above, for values in [-1, 1]. */
function diverging(value) {
  const blue = parseHex('#2166ac');
  const white = parseHex('#f7f7f7');
  const red = parseHex('#b2182b');
  const v = clamp(value, -1, 1);
  return toHex(v < 0 ? mix(white, blue, -v) : mix(white, red, v));
}

/** Relative luminance (WCAG), for choosing black or white text on a colour. */
function luminance({ r, g, b }) {
  const channel = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function textColorOn(background) {
  return luminance(parseHex(background)) > 0.179 ? '#000000' : '#ffffff';
}

module.exports = { parseHex, toHex, mix, diverging, luminance, textColorOn };
