import { type SeededRandom } from '../core/random';

/**
 * Weight initialisers computed in plain JavaScript from a seeded generator, so
 * a seed gives the same model on every backend. (tfjs's own orthogonal
 * initialiser takes minutes on the cpu backend for a 256×1024 matrix.)
 */

/** Glorot/Xavier uniform: U(−a, a), a = √(6 / (fanIn + fanOut)). */
export function glorotUniform(rows: number, cols: number, rng: SeededRandom): Float32Array {
  const limit = Math.sqrt(6 / (rows + cols));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

export function uniform(count: number, limit: number, rng: SeededRandom): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/** Above this size an orthogonal block costs too much to compute in JS; a scaled Gaussian stands in. */
const MAX_ORTHOGONAL = 512;

/**
 * A recurrent kernel [n, blocks·n] made of `blocks` orthogonal n×n blocks (one
 * per gate), by modified Gram–Schmidt on Gaussian columns.
 */
export function blockOrthogonal(n: number, blocks: number, rng: SeededRandom): Float32Array {
  const out = new Float32Array(n * n * blocks);
  for (let blk = 0; blk < blocks; blk++) {
    const q = n <= MAX_ORTHOGONAL ? orthogonalColumns(n, rng) : gaussianColumns(n, rng);
    for (let col = 0; col < n; col++) {
      const column = q[col];
      for (let row = 0; row < n; row++) out[row * n * blocks + blk * n + col] = column[row];
    }
  }
  return out;
}

function orthogonalColumns(n: number, rng: SeededRandom): Float64Array[] {
  const cols: Float64Array[] = [];
  while (cols.length < n) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.nextGaussian();
    for (const q of cols) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= dot * q[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm < 1e-6) continue; // a (vanishingly unlikely) dependent draw: draw again
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  return cols;
}

function gaussianColumns(n: number, rng: SeededRandom): Float64Array[] {
  const scale = 1 / Math.sqrt(n);
  return Array.from({ length: n }, () => Float64Array.from({ length: n }, () => rng.nextGaussian() * scale));
}
