import { gateCount, outputSize, type ModelSpec } from './spec';

// The parameter count lives beside the spec it reads (spec.ts's parameterCount); this module adds cost and formatting.

/**
 * Floating-point operations of one training step per token: the forward
 * pass's matrix products, three times over (forward, and the two products of
 * the backward pass). One-hot input is a row lookup, so it costs no product.
 */
export function trainingFlopsPerToken(spec: ModelSpec): number {
  const G = gateCount(spec.cell);
  const H = spec.hidden;
  const D = spec.bidirectional ? 2 : 1;
  let forward = 2 * D * H * outputSize(spec);
  for (let l = 0; l < spec.layers; l++) {
    const input = l > 0 ? D * H : spec.embedding;
    forward += 2 * D * (input + H) * G * H;
  }
  return 3 * forward;
}

/** "210k", "1.6M": a parameter count for people. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${Math.round(n / 1000)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
}
