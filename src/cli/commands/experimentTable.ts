import type { ExperimentSummary, MemberSummary } from '../../core/experiments/experimentSummary';

const fixed = (v: number | null, digits = 3) => (v === null ? '–' : v.toFixed(digits));
const sci = (v: number | null) => (v === null ? '–' : v.toExponential(2));
const normText = (v: number | null) => (v === null ? '–' : v >= 1000 ? v.toExponential(2) : v.toFixed(3));

function status(m: MemberSummary): string {
  return m.stoppedNonFinite ? `non-finite @${m.nonFiniteStep}` : m.status;
}

/** The experiment's members as a plain-text table (per layer rows for the vanishing ratios). */
export function formatSummaryTable(summary: ExperimentSummary): string {
  const rows: string[][] =
    summary.kind === 'clipping'
      ? [
          ['member', 'status', 'steps', 'val bits/char', 'max ‖g‖', 'max clipped ‖g‖'],
          ...summary.runs.map((m) => [
            m.label,
            status(m),
            String(m.steps),
            fixed(m.finalValBitsPerChar),
            normText(m.maxGradNorm),
            normText(m.maxClippedGradNorm),
          ]),
        ]
      : [
          ['member', 'layer', 'status', 'steps', 'parameters', 'val bits/char', 'k=10', 'k=50', 'k=T−1'],
          ...summary.runs.flatMap((m) => {
            const layers = Object.entries(m.gradFlow);
            const common = [m.label, status(m), String(m.steps), m.parameters === null ? '–' : String(m.parameters), fixed(m.finalValBitsPerChar)];
            if (layers.length === 0) return [[common[0], '–', ...common.slice(1), '–', '–', '–']];
            return layers.map(([layer, r]) => [common[0], layer, ...common.slice(1), sci(r.k10), sci(r.k50), sci(r.kLast)]);
          }),
        ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '─'.repeat(w)).join('  '));
  const title = `${summary.kind} experiment ${summary.status}: ${summary.dir}`;
  return [title, '', ...lines].join('\n');
}
