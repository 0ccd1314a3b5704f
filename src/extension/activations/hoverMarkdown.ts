import type { HoverInfoResult, NeuronId, TokenProbability } from '../../protocol/activations';
import { KIND_NAMES, neuronLabel } from './neuronLabels';

/** A wide space (an entity, not HTML). */
const SPACER = '&emsp;&emsp;';

/** The command a hover's neuron links run (with the label as argument). */
export const PICK_NEURON_COMMAND = 'rnnLab.pickNeuron';

/**
 * The hover of the overlay as Markdown: the shown neuron's value at the token,
 * the strongest neurons there (each a link that shows it), and what the model
 * expects next with probabilities (a tagger: its classes at the token; a
 * classifier: the class of the window the token is in — a classifier has no
 * per-token output, and its class for the window it was given is what its
 * neurons there feed). Text from the file and from the model is
 * escaped; no HTML.
 */
export function hoverMarkdown(neuron: NeuronId, info: HoverInfoResult, modelLabel: string): string {
  const lines: string[] = [];
  // Names are ours ("cell state"); labels have brackets ("c1[37]"), escaped like the file's and the model's text.
  const direction = neuron.direction === 'backward' ? ', backward direction' : '';
  const name = `${escapeMarkdown(neuronLabel(neuron))} (layer ${neuron.layer}${direction}, ${KIND_NAMES[neuron.kind]}, unit ${neuron.unit})`;
  if (info.token) {
    lines.push(`**RNN Lab** ${name} = **${formatValue(info.token.value)}** at ${quoted(info.token.text)}`);
    if (info.token.unknown) lines.push('', `${quoted(info.token.text)} is not in the model's vocabulary: it reads it as an unknown character.`);
  } else {
    lines.push(`**RNN Lab** ${name}: the text is empty`);
  }
  // One table, the strongest neurons beside the predictions: a hover is short.
  const rows = Math.max(info.topNeurons.length, info.predictions.length);
  if (rows > 0) {
    // An empty column between the two halves: hover tables have no cell padding.
    lines.push('', `| strongest neurons here | value | ${SPACER} | ${readoutTitle(info)} | probability |`, '|:--|--:|--|:--|--:|');
    for (let i = 0; i < rows; i++) {
      const n = info.topNeurons[i];
      const p = info.predictions[i];
      const label = n ? neuronLabel(n) : '';
      const neuronCells = n ? `[${escapeMarkdown(label)}](${commandLink(label)} "Show ${label}") | ${formatValue(n.value)}` : ' | ';
      const predictionCells = p ? `${info.readout ? escapeMarkdown(p.text) : tokenText(p)} | ${formatProbability(p.probability)}` : ' | ';
      lines.push(`| ${neuronCells} | | ${predictionCells} |`);
    }
  }
  if (info.actual) lines.push('', `The text goes on with ${tokenText(info.actual)}: ${formatProbability(info.actual.probability)}.`);
  lines.push('', `*${escapeMarkdown(modelLabel)}* · [choose another neuron](${commandLink()})`);
  return lines.join('\n');
}

/** The predictions' column: next tokens (a language model), the token's tags (a tagger), its window's class (a classifier). */
function readoutTitle(info: HoverInfoResult): string {
  if (info.readout === 'tag') return 'tag here';
  if (info.readout === 'class') return 'class of this window';
  return `next ${info.token ? `after ${quoted(info.token.text)}` : 'at the start'}`;
}

/** Backslash before every ASCII punctuation character (CommonMark lets any be escaped), so file text stays text. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** Whitespace and control characters made visible: a hover cannot show a bare newline or space. */
export function visibleText(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === ' ') out += '␣';
    else if (ch === '\n') out += '↵';
    else if (ch === '\t') out += '⇥';
    else if (ch === '\r') out += '␍';
    // eslint-disable-next-line no-control-regex -- control characters are what this shows by code point
    else if (/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/.test(ch))
      out += `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

function quoted(text: string): string {
  return `“${escapeMarkdown(visibleText(text))}”`;
}

function tokenText(p: TokenProbability): string {
  return p.unknown ? '*unknown character*' : quoted(p.text);
}

export function formatProbability(p: number): string {
  const percent = p * 100;
  if (percent < 0.1) return '<0.1%';
  return `${percent >= 10 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

function formatValue(v: number): string {
  return (v < 0 ? '−' : '') + Math.abs(v).toFixed(3);
}

function commandLink(label?: string): string {
  return `command:${PICK_NEURON_COMMAND}${label ? `?${encodeURIComponent(JSON.stringify([label]))}` : ''}`;
}
