/** Losses are stored in nats per token; the UI and CLI show bits. */
export function natsToBits(nats: number): number {
  return nats / Math.LN2;
}

/** The loss of a uniform guess over `vocabSize` tokens: where training starts. */
export function uniformLoss(vocabSize: number): number {
  return Math.log(vocabSize);
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
