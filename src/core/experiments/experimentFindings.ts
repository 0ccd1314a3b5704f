/**
 * An experiment's result in a few sentences (CLI summary, Runs view tooltip):
 * what happened to each member, in the lecture's terms.
 */
import type { ExperimentSummary, MemberSummary } from './experimentSummary';

const bits = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(3)} bits/char`);
const norm = (v: number | null) => (v === null ? 'n/a' : v >= 1000 || v < 0.01 ? v.toExponential(2) : v.toFixed(3));
const ratio = (v: number | null) => (v === null ? 'n/a' : v.toExponential(2));

export function experimentFindings(summary: ExperimentSummary): string[] {
  return summary.kind === 'clipping' ? clippingFindings(summary.runs) : vanishingFindings(summary.runs);
}

function outcome(m: MemberSummary): string {
  if (m.status === 'pending') return 'not trained yet';
  if (m.status === 'missing') return 'its run folder was deleted';
  if (m.stoppedNonFinite) return `stopped by the guard at step ${m.nonFiniteStep}: the loss or gradient became non-finite (NaN or ∞)`;
  const end = m.status === 'completed' ? `trained ${m.steps} steps` : `${m.status} at step ${m.steps}`;
  return `${end}, final validation ${bits(m.finalValBitsPerChar)}`;
}

function clippingFindings(runs: MemberSummary[]): string[] {
  const tau = runs.find((m) => m.clipMode === 'norm')?.clipValue;
  return runs.map((m) => {
    const parts = [`${m.label}: ${outcome(m)}`];
    if (m.maxGradNorm !== null) {
      const times = tau ? ` = ${(m.maxGradNorm / tau).toFixed(1)}·τ` : '';
      parts.push(`max ‖g‖ before clipping ${norm(m.maxGradNorm)}${times}`);
    }
    if (m.clipMode === 'norm' && m.maxClippedGradNorm !== null) {
      const within = m.maxClippedGradNorm <= m.clipValue * (1 + 1e-6);
      parts.push(`after clipping at most ${norm(m.maxClippedGradNorm)} (${within ? 'never above τ' : 'ABOVE τ'})`);
    } else if (m.clipMode === 'value' && m.maxClippedGradNorm !== null) {
      parts.push(`after clamping at most ${norm(m.maxClippedGradNorm)}`);
    }
    if (m.maxLossBitsPerChar !== null && m.finalLossBitsPerChar !== null) {
      parts.push(`training loss peaked at ${bits(m.maxLossBitsPerChar)}, ended at ${bits(m.finalLossBitsPerChar)}`);
    }
    return parts.join('; ') + '.';
  });
}

function vanishingFindings(runs: MemberSummary[]): string[] {
  const lines = runs.map((m) => {
    const layers = Object.entries(m.gradFlow).map(([layer, r]) => `layer ${layer}: k=10 ${ratio(r.k10)}, k=50 ${ratio(r.k50)}, k=T−1 ${ratio(r.kLast)}`);
    const at = m.gradFlowStep !== null ? ` (profile at step ${m.gradFlowStep}, T = ${m.gradFlowLength})` : '';
    return `${m.label}: ${outcome(m)}; ‖∂L_T/∂h_{T−k}‖ / ‖∂L_T/∂h_T‖${at} ${layers.length ? layers.join('; ') : 'not measured'}.`;
  });
  const rnn = runs.find((m) => m.cell === 'rnn')?.gradFlow ?? {};
  const lstm = runs.find((m) => m.cell === 'lstm')?.gradFlow ?? {};
  const byLayer = Object.keys(rnn).flatMap((layer) => {
    const [r, l] = [rnn[layer]?.k50, lstm[layer]?.k50];
    return r != null && l != null && r > 0 ? [`${(l / r).toExponential(2)}× in layer ${layer}`] : [];
  });
  if (byLayer.length > 0) lines.push(`At k = 50 the LSTM's ratio is the vanilla RNN's times ${byLayer.join(', ')}.`);
  return lines;
}
