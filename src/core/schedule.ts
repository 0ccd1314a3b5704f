/** Step decay: lr · decay^⌊step / every⌋ (step counts from 0 before the first update). */
export function learningRateAt(step: number, base: number, decay: number, every: number): number {
  return base * Math.pow(decay, Math.floor(step / every));
}
