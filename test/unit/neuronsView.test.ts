/**
 * The pure parts of the Neurons view: text windows, the value scale and
 * colour buckets, the trace's cells, the gate scatter table, the host's
 * content builders, and the view protocol's validation both ways.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { countCodePoints, windowAround, windowFrom } from '../../src/core/textWindow';
import { colourBucket, scaled, valueScale } from '../../src/core/neurons/valueScale';
import { featureName } from '../../src/core/neurons/featureNames';
import { LineStarts, preview, selectionContent, traceContent } from '../../src/extension/neurons/neuronsContent';
import { neuronHints } from '../../src/extension/activations/featureChoices';
import { parseNeuronsArgs } from '../../src/extension/neurons/neuronsArgs';
import type { GateSaturationResult, MatchSelectionResult, NeuronTraceResult, RankedFeature } from '../../src/protocol/neurons';
import { parseHostToNeuronsMessage, parseNeuronsMessage, parseNeuronsState, sameNeuron } from '../../src/protocol/neuronsView';
import { bucketClass, traceCells } from '../../webview/neurons/traceCells';
import { gatesByLayer, scatterTable } from '../../webview/neurons/gateScatter';

test('windowFrom takes at most n code points from an offset and never splits a surrogate pair', () => {
  const text = 'ab😀cd😀';
  assert.deepEqual(windowFrom(text, 0, 3), { start: 0, end: 4, characters: 3, totalCharacters: 6 });
  assert.deepEqual(windowFrom(text, 3, 2), { start: 2, end: 5, characters: 2, totalCharacters: 6 }, 'an offset inside the emoji starts at its first half');
  assert.deepEqual(windowFrom(text, 0, 100), { start: 0, end: text.length, characters: 6, totalCharacters: 6 });
  assert.deepEqual(windowFrom(text, 99, 5), { start: text.length, end: text.length, characters: 0, totalCharacters: 6 });
  assert.equal(countCodePoints('😀x\uD800', 0, 4), 3, 'a lone surrogate is one code point');
});

test('windowAround centres on the focus, gives unused room to the other side, and starts at a focus longer than the window', () => {
  const text = '0123456789abcdefghij'; // 20
  assert.deepEqual(windowAround(text, 10, 12, 100), { start: 0, end: 20, characters: 20, totalCharacters: 20 }, 'a short text is whole');
  assert.deepEqual(windowAround(text, 10, 12, 6), { start: 8, end: 14, characters: 6, totalCharacters: 20 });
  assert.deepEqual(windowAround(text, 1, 2, 6), { start: 0, end: 6, characters: 6, totalCharacters: 20 }, 'near the start: the room before goes after');
  assert.deepEqual(windowAround(text, 18, 20, 6), { start: 14, end: 20, characters: 6, totalCharacters: 20 }, 'near the end: the room after goes before');
  assert.deepEqual(windowAround(text, 4, 15, 6), { start: 4, end: 10, characters: 6, totalCharacters: 20 });
  const astral = '😀😀😀😀😀';
  const w = windowAround(astral, 4, 6, 3);
  assert.deepEqual(w, { start: 2, end: 8, characters: 3, totalCharacters: 5 });
});

test('valueScale: h on [−1, 1], c by its largest |value|, gates centred on ½; buckets are clamped and symmetric', () => {
  assert.deepEqual(valueScale('h', [0.2, -3]), { centre: 0, half: 1 });
  assert.deepEqual(valueScale('c', [0.5, -4, 2]), { centre: 0, half: 4 });
  // 100 values of magnitude 1..100 and one outlier of 10,000: the 98th percentile (nearest rank, 99th of 101) is 99, not the outlier.
  const withOutlier = [...Array.from({ length: 100 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)), 10_000];
  assert.deepEqual(valueScale('c', withOutlier), { centre: 0, half: 99 });
  assert.deepEqual(valueScale('f', [0.2]), { centre: 0.5, half: 0.5 });
  assert.ok(valueScale('c', [0, 0]).half > 0, 'never a zero scale');
  const h = valueScale('h', []);
  assert.deepEqual(
    [-2, -1, -0.5, -0.05, 0, 0.09, 0.11, 0.5, 1, 7].map((v) => colourBucket(v, h, 5)),
    [-5, -5, -3, 0, 0, 0, 1, 3, 5, 5],
  );
  assert.equal(colourBucket(0.75, { centre: 0.5, half: 0.5 }, 5), 3);
  assert.equal(scaled(NaN, h), 0);
  assert.deepEqual([-5, -1, 0, 2, 5].map(bucketClass), ['bn5', 'bn1', 'b0', 'bp2', 'bp5']);
});

test('traceCells: one cell per code point with its value and bucket; highlighted spans in UTF-16 offsets', () => {
  const text = 'a😀b\nc';
  const cells = traceCells(text, [1, -1, 0.5, 0, 0.2], { centre: 0, half: 1 }, [
    { start: 1, end: 3, kind: 'selection' },
    { start: 4, end: 6, kind: 'match' },
  ]);
  assert.deepEqual(
    cells.map((c) => [c.text, c.bucket, c.highlight ?? '']),
    [
      ['a', 5, ''],
      ['😀', -5, 'selection'],
      ['b', 3, ''],
      ['\n', 0, 'match'],
      ['c', 1, 'match'],
    ],
  );
});

const gate = (layer: number, g: GateSaturationResult['gate'], left: number[], right: number[]): GateSaturationResult => ({
  layer,
  gate: g,
  steps: 10,
  units: left.length,
  left,
  right,
  meanLeft: 0,
  meanRight: 0,
  mostlyLeft: 0,
  mostlyRight: 0,
});

test('scatterTable sorts every gate’s units by x and gives each gate its own column, null on the others’ rows', () => {
  const table = scatterTable([gate(0, 'i', [0.5, 0.1], [0.2, 0.3]), gate(0, 'f', [0.1, 0], [0.9, 0.8])]);
  assert.deepEqual(table.gates, ['i', 'f']);
  assert.deepEqual(table.x, [0, 0.1, 0.1, 0.5]);
  assert.deepEqual(table.y, [
    [null, 0.3, null, 0.2],
    [0.8, null, 0.9, null],
  ]);
  assert.deepEqual(table.unit, [1, 1, 0, 0]);
  const layers = gatesByLayer([gate(1, 'i', [0], [0]), gate(0, 'o', [0], [0]), gate(0, 'i', [0], [0])]);
  assert.deepEqual(
    layers.map((l) => [l.layer, l.gates.map((g) => g.gate)]),
    [
      [0, ['o', 'i']],
      [1, ['i']],
    ],
  );
  const backward = (g: GateSaturationResult): GateSaturationResult => ({ ...g, direction: 'backward' });
  const bidirectional = gatesByLayer([backward(gate(0, 'f', [0], [0])), gate(0, 'f', [0], [0]), backward(gate(1, 'f', [0], [0])), gate(1, 'f', [0], [0])]);
  assert.deepEqual(
    bidirectional.map((l) => `${l.layer} ${l.direction ?? 'forward'} ${l.gates.length}`),
    ['0 forward 1', '0 backward 1', '1 forward 1', '1 backward 1'],
    "each layer's directions apart, forward first",
  );
});

test('LineStarts and preview: 0-based line and character in UTF-16; previews on one line, shortened with an ellipsis', () => {
  const text = 'ab\ncd😀e\n\nf';
  const lines = new LineStarts(text);
  assert.deepEqual(lines.position(0), { line: 0, character: 0 });
  assert.deepEqual(lines.position(4), { line: 1, character: 1 });
  assert.deepEqual(lines.position(8), { line: 1, character: 5 });
  assert.deepEqual(lines.position(10), { line: 3, character: 0 });
  assert.equal(preview(text, 0, 9), 'ab⏎cd😀e⏎');
  assert.equal(preview('a\tb\r\nc', 0, 6), 'a→b⏎c');
  assert.equal(preview('x'.repeat(100), 10, 100, 8), 'xxxxxxxx…');
  assert.equal(preview('abcdef😀', 0, 8, 7), 'abcdef…', 'no half emoji before the ellipsis');
});

test('selectionContent and traceContent: spans with positions, and highlights in the trace window', () => {
  const text = "x = 'a';\ny = 'b';\n";
  const match: MatchSelectionResult = {
    model: { file: 'm.onnx', cell: 'lstm', layers: 1, hidden: 4, resolution: 'char' },
    window: { start: 0, end: text.length, characters: text.length, totalCharacters: text.length },
    selection: { start: 4, end: 7 },
    neurons: [{ layer: 0, kind: 'c', unit: 1, label: 'c0[1]', inside: 1, outside: 0, effect: 2 }],
    matches: [{ start: 13, end: 16, score: 0.9, firing: 0.9 }],
  };
  const selection = selectionContent(match, text, 'a.ts', '1×LSTM-4 · run');
  assert.deepEqual(selection.selected, { start: 4, end: 7, line: 0, character: 4, preview: "'a'" });
  assert.deepEqual(selection.matches, [{ start: 13, end: 16, line: 1, character: 4, preview: "'b'", score: 0.9, firing: 0.9 }]);
  assert.deepEqual(selection.subject, { document: 'a.ts', model: '1×LSTM-4 · run', characters: text.length, totalCharacters: text.length });

  const trace: NeuronTraceResult = {
    model: match.model,
    neuron: { layer: 0, kind: 'c', unit: 1, label: 'c0[1]' },
    window: { start: 9, end: text.length, characters: 9, totalCharacters: text.length },
    values: Array(9).fill(0.1),
    centre: 0,
    half: 2,
  };
  const content = traceContent(trace, text, match);
  assert.equal(content.text, "y = 'b';\n");
  assert.equal(content.offset, 9);
  assert.deepEqual(content.highlights, [{ start: 4, end: 7, kind: 'match' }], 'the selection lies before the window; the match in window offsets');
  assert.equal(parseHostToNeuronsMessage({ type: 'trace', trace: content }) !== undefined, true, 'the host’s message passes the view’s check');
  assert.deepEqual(traceContent(trace, text).highlights, []);
});

test('neuronHints: each ranked neuron once, with the feature it tracks best, strongest first', () => {
  const n = (unit: number, score: number, extra: object) => ({
    layer: 0,
    kind: 'c' as const,
    unit,
    label: `c0:${unit}`,
    score,
    sign: 1 as const,
    r: 0.1,
    ...extra,
  });
  const features: RankedFeature[] = [
    { feature: 'inString', kind: 'binary', positives: 3, top: [n(1, 0.9, { auc: 0.1 }), n(2, 0.7, { auc: 0.7 })] },
    { feature: 'depth', kind: 'scalar', top: [n(2, 0.8, { r: -0.8 }), n(1, 0.3, { r: 0.3 })] },
  ];
  assert.deepEqual(
    [...neuronHints(features)],
    [
      ['c0[1]', 'in a string · AUC 0.100'],
      ['c0[2]', 'bracket depth · r −0.800'],
    ],
  );
  assert.equal(featureName('token:keyword'), 'token: keyword');
});

test('the view protocol: messages from the view are checked field by field; restored state keeps only what is valid', () => {
  assert.deepEqual(parseNeuronsMessage({ type: 'chooseNeuron', layer: 1, kind: 'c', unit: 3 }), { type: 'chooseNeuron', layer: 1, kind: 'c', unit: 3 });
  for (const bad of [
    { type: 'chooseNeuron', layer: -1, kind: 'c', unit: 3 },
    { type: 'chooseNeuron', layer: 0, kind: 'x', unit: 3 },
    { type: 'chooseNeuron', layer: 0, kind: 'h', unit: 1.5 },
    { type: 'chooseNeuron', layer: 0, kind: 'h', unit: 1, extra: true },
    { type: 'revealSpan', start: 5, end: 2 },
    { type: 'revealSpan', start: '0', end: 2 },
    { type: 'run', command: 'x' },
    'ready',
    null,
  ]) {
    assert.equal(parseNeuronsMessage(bad), undefined, JSON.stringify(bad));
  }
  assert.deepEqual(parseNeuronsMessage({ type: 'revealSpan', start: 2, end: 2 }), { type: 'revealSpan', start: 2, end: 2 });
  assert.equal(parseHostToNeuronsMessage({ type: 'status', status: { kind: 'busy' } }), undefined, 'busy needs a message');
  assert.deepEqual(parseHostToNeuronsMessage({ type: 'status', status: { kind: 'idle' } }), { type: 'status', status: { kind: 'idle' } });
  assert.deepEqual(parseNeuronsState({ chosen: { layer: 0, kind: 'h', unit: 2 }, ranking: { bad: true } }), { chosen: { layer: 0, kind: 'h', unit: 2 } });
  assert.deepEqual(parseNeuronsState('nonsense'), {});
  assert.ok(sameNeuron({ layer: 0, kind: 'h', unit: 1 }, { layer: 0, kind: 'h', unit: 1 }));
  assert.ok(!sameNeuron({ layer: 0, kind: 'h', unit: 1 }, undefined));
});

test('command arguments: an object is checked, anything else means "ask"', () => {
  assert.deepEqual(parseNeuronsArgs(undefined), {});
  assert.deepEqual(parseNeuronsArgs('file:///x'), {});
  assert.deepEqual(parseNeuronsArgs({ modelId: '/runs/a', top: 3 }), { modelId: '/runs/a', top: 3 });
  assert.match(parseNeuronsArgs({ top: 0 }) as string, /top must be a whole number from 1 to 20/);
  assert.match(parseNeuronsArgs({ model: 'x' }) as string, /model is not expected/);
});
