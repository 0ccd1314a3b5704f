// Points, polygons and a convex hull, with no dependencies.
// Every function takes plain objects ({ x, y }), so the results print nicely.

'use strict';

const EPSILON = 1e-9;

/** A point, or a vector from the origin. */
function point(x, y) {
  return { x, y };
}

function add(a, b) {
  return point(a.x + b.x, a.y + b.y);
}

function subtract(a, b) {
  return point(a.x - b.x, a.y - b.y);
}

function scale(v, factor) {
  return point(v.x * factor, v.y * factor);
}

function dot(a, b) {
  return a.x * b.x + a.y * b.y;
}

/** The z component of the 3D cross product: > 0 when b turns left of a. */
function cross(a, b) {
  return a.x * b.y - a.y * b.x;
}

function length(v) {
  return Math.hypot(v.x, v.y);
}

function distance(a, b) {
  return length(subtract(a, b));
}

function normalize(v) {
  const n = length(v);
  if (n < EPSILON) throw new Error(`cannot normalize a zero vector (${v.x}, ${v.y})`);
  return scale(v, 1 / n);
}

/** Rotates v by angle radians, counter-clockwise. */
function rotate(v, angle) {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return point(v.x * c - v.y * s, v.x * s + v.y * c);
}

/** Signed area (shoelace formula): positive for counter-clockwise polygons. */
function signedArea(polygon) {
  let sum = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i];
    const b = polygon[(i + 1) % polygon.length];
    sum += cross(a, b);
  }
  return sum / 2;
}

function area(polygon) {
  return Math.abs(signedArea(polygon));
}

function perimeter(polygon) {
  let total = 0;
  for (let i = 0; i < polygon.length; i++) total += distance(polygon[i], polygon[(i + 1) % polygon.length]);
  return total;
}

function centroid(polygon) {
  const a = signedArea(polygon);
  if (Math.abs(a) < EPSILON) throw new Error('a degenerate polygon has no centroid');
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < polygon.length; i++) {
    const p = polygon[i];
    const q = polygon[(i + 1) % polygon.length];
    const f = cross(p, q);
    cx += (p.x + q.x) * f;
    cy += (p.y + q.y) * f;
  }
  return point(cx / (6 * a), cy / (6 * a));
}

/** Whether p lies inside the polygon (ray casting; points on an edge count as inside). */
function contains(polygon, p) {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i];
    const b = polygon[j];
    if (Math.abs(cross(subtract(b, a), subtract(p, a))) < EPSILON && dot(subtract(a, p), subtract(b, p)) <= 0) return true;
    const crosses = a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x;
    if (crosses) inside = !inside;
  }
  return inside;
}

/** The convex hull, counter-clockwise, starting at the leftmost point (Andrew's monotone chain). */
function convexHull(points) {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (sorted.length <= 2) return sorted;
  const half = (list) => {
    const chain = [];
    for (const p of list) {
      while (chain.length >= 2 && cross(subtract(chain[chain.length - 1], chain[chain.length - 2]), subtract(p, chain[chain.length - 2])) <= 0) {
        chain.pop();
      }
      chain.push(p);
    }
    chain.pop(); // the last point starts the other half
    return chain;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

/** The bounding box as { min, max }. */
function bounds(points) {
  if (points.length === 0) throw new Error('no points, no bounds');
  let min = point(Infinity, Infinity);
  let max = point(-Infinity, -Infinity);
  for (const p of points) {
    min = point(Math.min(min.x, p.x), Math.min(min.y, p.y));
    max = point(Math.max(max.x, p.x), Math.max(max.y, p.y));
  }
  return { min, max };
}

/** A regular polygon with n corners on a circle of the given radius. */
function regularPolygon(n, radius = 1, center = point(0, 0)) {
  if (!Number.isInteger(n) || n < 3) throw new Error(`a polygon needs at least 3 corners, got ${n}`);
  return Array.from({ length: n }, (_, k) => add(center, rotate(point(radius, 0), (2 * Math.PI * k) / n)));
}

function format(p, digits = 2) {
  return `(${p.x.toFixed(digits)}, ${p.y.toFixed(digits)})`;
}

module.exports = {
  point,
  add,
  subtract,
  scale,
  dot,
  cross,
  length,
  distance,
  normalize,
  rotate,
  signedArea,
  area,
  perimeter,
  centroid,
  contains,
  convexHull,
  bounds,
  regularPolygon,
  format,
};

if (require.main === module) {
  const square = [point(0, 0), point(2, 0), point(2, 2), point(0, 2)];
  console.log(`square: area ${area(square)}, perimeter ${perimeter(square)}, centroid ${format(centroid(square))}`);
  const hexagon = regularPolygon(6, 3);
  console.log(`hexagon: area ${area(hexagon).toFixed(3)} (exact ${((3 * Math.sqrt(3)) / 2) * 9})`);
  const cloud = [point(1, 1), point(4, 0), point(5, 3), point(2, 5), point(3, 2), point(0, 3), point(2, 2)];
  console.log(`hull of ${cloud.length} points: ${convexHull(cloud).map((p) => format(p, 0)).join(' ')}`);
  console.log(`(3, 2) inside the hull: ${contains(convexHull(cloud), point(3, 2))}`);
}
