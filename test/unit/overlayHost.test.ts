/**
 * The editor overlay's host logic that needs no VS Code: colour buckets and
 * segments, line snapshots of CRLF text, visible-range merging, debouncing,
 * neuron labels and picker rows, command arguments, hover Markdown, and the
 * per-document conversation with the engine (with a fake engine).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ActivationRangeResult, HoverInfoResult } from '../../src/protocol/activations';
import type { EngineMethod, EngineMethods } from '../../src/protocol/engine';
import { EngineExitedError, EngineRequestError } from '../../src/extension/engine/engineClient';
import { colourSegments } from '../../src/extension/activations/colourSegments';
import { Debouncer } from '../../src/extension/activations/debouncer';
import { escapeMarkdown, formatProbability, hoverMarkdown, visibleText } from '../../src/extension/activations/hoverMarkdown';
import { covers, linesToRender } from '../../src/extension/activations/lineWindows';
import { defaultNeuron, hasNeuron, neuronLabel, neuronPickEntries, parseNeuronLabel, type ModelLayout } from '../../src/extension/activations/neuronLabels';
import { OverlayDocument, textProblem, type HostText } from '../../src/extension/activations/overlayDocument';
import { BUCKET_COUNT, STEPS, bucketColours, bucketIndex } from '../../src/extension/activations/palette';
import { neuronFromArgs, parseFeatureArg, parseNeuronArg, parseShowActivationsArgs } from '../../src/extension/activations/showArgs';
import { bestNeuronFor, featureChoices, neuronHints } from '../../src/extension/activations/featureChoices';
import { TextSnapshot } from '../../src/extension/activations/textSnapshot';

const LSTM_2x4: ModelLayout = [
  { hidden: 4, kinds: ['h', 'c', 'i', 'f', 'o'] },
  { hidden: 4, kinds: ['h', 'c', 'i', 'f', 'o'] },
];

test('palette: 11 buckets, blue below, none in the middle, red above, stronger further out, light and dark variants', () => {
  assert.equal(BUCKET_COUNT, 11);
  assert.equal(bucketColours(0), undefined, 'neutral is left undecorated');
  const alpha = (c: string) => Number(/([\d.]+)\)$/.exec(c)![1]);
  for (let b = 1; b <= STEPS; b++) {
    const red = bucketColours(b)!;
    const blue = bucketColours(-b)!;
    assert.match(red.dark, /^rgba\(255, 85, 70, /);
    assert.match(blue.light, /^rgba\(31, 100, 220, /);
    if (b > 1) assert.ok(alpha(red.dark) > alpha(bucketColours(b - 1)!.dark));
    assert.ok(alpha(red.dark) >= alpha(red.light), 'dark themes get the stronger tint');
  }
  assert.equal(bucketIndex(-STEPS), 0);
  assert.equal(bucketIndex(0), STEPS);
  assert.equal(bucketIndex(99), BUCKET_COUNT - 1, 'clamped');
});

test('TextSnapshot: CRLF and lone CR read as "\\n", offsets and positions agree with the editor\'s lines and characters', () => {
  const s = TextSnapshot.of('ab\r\ncd\re\n');
  assert.equal(s.text, 'ab\ncd\ne\n');
  assert.deepEqual(s.lineStarts, [0, 3, 6, 8]);
  assert.equal(s.lineCount, 4);
  assert.deepEqual(s.positionAt(4), { line: 1, character: 1 });
  assert.deepEqual(s.positionAt(100), { line: 3, character: 0 });
  assert.equal(s.offsetAt(1, 1), 4);
  assert.equal(s.offsetAt(1, 99), 5, 'clamped to the line');
  assert.equal(s.offsetAt(9, 0), 8);
  assert.equal(s.lineLength(0), 2);
  // A span across a line break becomes one piece per line, the break left out.
  assert.deepEqual(s.lineSegments(1, 5), [
    { line: 0, start: 1, end: 2 },
    { line: 1, start: 0, end: 2 },
  ]);
  assert.deepEqual(s.lineSegments(2, 3), [], 'a newline token alone draws nothing');
  assert.equal(TextSnapshot.of('').lineCount, 1);
});

test('linesToRender widens visible ranges by a margin, clamps to the text and merges what overlaps or touches', () => {
  assert.deepEqual(linesToRender([{ start: 10, end: 20 }], 5, 100), [{ start: 5, end: 25 }]);
  assert.deepEqual(linesToRender([{ start: 0, end: 3 }], 5, 6), [{ start: 0, end: 5 }]);
  assert.deepEqual(
    linesToRender(
      [
        { start: 50, end: 60 },
        { start: 10, end: 20 },
        { start: 26, end: 30 },
      ],
      5,
      1000,
    ),
    [
      { start: 5, end: 35 },
      { start: 45, end: 65 },
    ],
    'sorted; 5–25 and 21–35 merge, 45–65 stays apart',
  );
  assert.deepEqual(linesToRender([{ start: 0, end: 0 }], 20, 1), [{ start: 0, end: 0 }], 'an empty file is one line');
  assert.ok(covers([{ start: 5, end: 35 }], [{ start: 10, end: 20 }]));
  assert.ok(!covers([{ start: 5, end: 35 }], [{ start: 30, end: 40 }]));
});

test('Debouncer fires once after a quiet spell, and at the latest maxWait after the first call of a burst', async () => {
  let fired = 0;
  const d = new Debouncer(() => fired++, 40, 120);
  for (let i = 0; i < 3; i++) {
    d.schedule();
    await sleep(10);
  }
  assert.equal(fired, 0);
  await sleep(60);
  assert.equal(fired, 1, 'once, after the burst');
  // A burst longer than maxWait still fires during it.
  const t0 = Date.now();
  let firstAt = 0;
  const e = new Debouncer(() => (firstAt ||= Date.now() - t0), 40, 120);
  while (Date.now() - t0 < 250) {
    e.schedule();
    await sleep(10);
  }
  assert.ok(firstAt > 0 && firstAt < 200, `first fire after ${firstAt} ms of continuous calls`);
  e.dispose();
  // flush fires at once; dispose cancels.
  d.schedule();
  d.flush();
  assert.equal(fired, 2);
  d.schedule();
  d.dispose();
  await sleep(60);
  assert.equal(fired, 2);
});

test('neuron labels: "c1[37]" both ways, older forms still read, the model has it or not', () => {
  assert.equal(neuronLabel({ layer: 1, kind: 'c', unit: 37 }), 'c1[37]');
  for (const text of ['c1[37]', ' c1 [ 37 ] ', 'c1:37', 'c1 37', '1:c:37', ' 1 : c : 37 '])
    assert.deepEqual(parseNeuronLabel(text), { layer: 1, kind: 'c', unit: 37 }, text);
  for (const bad of ['x1[3]', '1:x:3', 'c1', 'c[1]', 'a:c:1', 'c1[-1]', '', 'c1[2][3]', '1:c:2:3', 'c1:2:3'])
    assert.equal(parseNeuronLabel(bad), undefined, bad);
  assert.ok(hasNeuron(LSTM_2x4, { layer: 1, kind: 'f', unit: 3 }));
  assert.ok(!hasNeuron(LSTM_2x4, { layer: 2, kind: 'h', unit: 0 }));
  assert.ok(!hasNeuron(LSTM_2x4, { layer: 0, kind: 'z', unit: 0 }));
  assert.ok(!hasNeuron(LSTM_2x4, { layer: 0, kind: 'h', unit: 4 }));
  const hints = new Map([
    ['c1[2]', 'in string · AUC 0.97'],
    ['h0[1]', 'indentation · r 0.85'],
  ]);
  assert.deepEqual(defaultNeuron(LSTM_2x4, hints), { layer: 1, kind: 'c', unit: 2 }, 'the first hint the model has');
  assert.deepEqual(defaultNeuron(LSTM_2x4, new Map([['h7[0]', 'x']])), { layer: 1, kind: 'h', unit: 0 }, 'else the last layer');
});

test('neuron labels of a bidirectional layer: the backward direction is "h1←[37]", typed as "h1<[37]" too; forward keeps the plain form', () => {
  assert.equal(neuronLabel({ layer: 1, kind: 'h', unit: 37, direction: 'backward' }), 'h1←[37]');
  assert.equal(neuronLabel({ layer: 0, kind: 'c', unit: 2 }), 'c0[2]');
  for (const text of ['h1←[37]', ' h1 ← [ 37 ] ', 'h1<[37]', 'h1←:37', 'h1← 37'])
    assert.deepEqual(parseNeuronLabel(text), { layer: 1, kind: 'h', unit: 37, direction: 'backward' }, text);
  for (const bad of ['h←1[3]', '←h1[3]', 'h1[3]←', 'h1→[3]', 'h1←←[3]', '1:h←:3']) assert.equal(parseNeuronLabel(bad), undefined, bad);
  const bi: ModelLayout = [
    { hidden: 3, kinds: ['h', 'c', 'i', 'f', 'o'], directions: 2 },
    { hidden: 3, kinds: ['h', 'c', 'i', 'f', 'o'], directions: 2 },
  ];
  assert.ok(hasNeuron(bi, { layer: 1, kind: 'c', unit: 2, direction: 'backward' }));
  assert.ok(!hasNeuron(bi, { layer: 1, kind: 'c', unit: 3, direction: 'backward' }));
  assert.ok(!hasNeuron(LSTM_2x4, { layer: 1, kind: 'c', unit: 0, direction: 'backward' }), 'a unidirectional model has no backward neurons');
  const rows = neuronPickEntries(bi, new Map([['c1←[2]', 'in string · AUC 0.91']]), { layer: 0, kind: 'h', unit: 1, direction: 'backward' });
  assert.deepEqual(rows[1], { neuron: { layer: 1, kind: 'c', unit: 2, direction: 'backward' }, label: 'c1←[2]', description: 'in string · AUC 0.91' });
  const separators = rows.filter((r) => r.separator).map((r) => r.separator);
  assert.deepEqual(separators.slice(1, 3), ['Layer 0 forward · h (hidden state)', 'Layer 0 forward · c (cell state)']);
  assert.ok(separators.includes('Layer 1 backward · o (output gate)'));
  assert.equal(rows.filter((r) => r.neuron).length, 1 + 2 * 2 * 5 * 3);
  assert.deepEqual(
    rows.filter((r) => r.current).map((r) => r.label),
    ['h0←[1]'],
    'the forward h0[1] is not the current one',
  );
});

test('picker rows: ranked neurons first with their feature, then every neuron by layer and kind, the current one marked', () => {
  const hints = new Map([
    ['c1[2]', 'in string · AUC 0.97'],
    ['h9[0]', 'not in this model'],
  ]);
  const rows = neuronPickEntries(LSTM_2x4, hints, { layer: 0, kind: 'i', unit: 3 });
  const separators = rows.filter((r) => r.separator).map((r) => r.separator);
  assert.equal(separators[0], 'Tracking a feature of the code');
  assert.equal(separators.length, 1 + 2 * 5);
  assert.equal(separators[1], 'Layer 0 · h (hidden state)');
  assert.deepEqual(rows[1], { neuron: { layer: 1, kind: 'c', unit: 2 }, label: 'c1[2]', description: 'in string · AUC 0.97' });
  assert.equal(rows.filter((r) => r.neuron).length, 1 + 2 * 5 * 4);
  assert.deepEqual(
    rows.filter((r) => r.current).map((r) => r.label),
    ['i0[3]'],
  );
  assert.equal(rows.filter((r) => r.label === 'c1[2]').length, 2, 'also in its own layer, with the same description');
});

test('feature rows of the picker: every ranked feature by name, with its best neuron once a ranking is known', () => {
  const unranked = featureChoices(undefined);
  assert.deepEqual(
    unranked.map((c) => c.name),
    [
      'in a string',
      'in a comment',
      'token: identifier',
      'token: keyword',
      'token: number',
      'token: punctuation',
      'token: whitespace',
      'bracket depth',
      'indentation',
      'column',
      'line length',
    ],
  );
  assert.ok(unranked.every((c) => c.best === undefined));
  const top = (layer: number, kind: 'h' | 'c', unit: number, score: number, r: number, auc?: number) =>
    ({ layer, kind, unit, label: neuronLabel({ layer, kind, unit }), score, sign: r < 0 ? -1 : 1, r, ...(auc === undefined ? {} : { auc }) }) as const;
  const ranking = {
    modelId: '/runs/a',
    documentName: 'greeter.ts',
    features: [
      { feature: 'inString', kind: 'binary' as const, positives: 40, top: [top(0, 'c', 16, 0.9, -0.47, 0.1), top(0, 'h', 3, 0.8, 0.2, 0.8)] },
      { feature: 'inComment', kind: 'binary' as const, positives: 0, top: [], note: 'never true in this text' },
      { feature: 'depth', kind: 'scalar' as const, top: [top(1, 'c', 2, 0.4, -0.4)] },
    ],
  };
  const ranked = featureChoices(ranking);
  assert.deepEqual(ranked[0], { feature: 'inString', name: 'in a string', best: { layer: 0, kind: 'c', unit: 16 }, measure: 'AUC 0.100' });
  assert.deepEqual(ranked[1], { feature: 'inComment', name: 'in a comment', note: 'never true in this text' });
  assert.deepEqual(
    ranked.find((c) => c.feature === 'depth'),
    { feature: 'depth', name: 'bracket depth', best: { layer: 1, kind: 'c', unit: 2 }, measure: 'r −0.400' },
  );
  assert.deepEqual(bestNeuronFor(ranking, 'inString'), { layer: 0, kind: 'c', unit: 16 });
  assert.equal(bestNeuronFor(ranking, 'inComment'), undefined);
  assert.deepEqual([...neuronHints(ranking.features).keys()], ['c0[16]', 'h0[3]', 'c1[2]'], 'strongest first');
});

test('command arguments: a model and a neuron, partial neurons filled in, bad ones said', () => {
  assert.deepEqual(parseShowActivationsArgs(undefined), {});
  assert.deepEqual(parseShowActivationsArgs({ modelId: '/r', layer: 1, kind: 'c', unit: 3 }), { modelId: '/r', layer: 1, kind: 'c', unit: 3 });
  assert.match(parseShowActivationsArgs({ kind: 'q' }) as string, /kind must be one of/);
  assert.match(parseShowActivationsArgs({ modelId: 3 }) as string, /modelId must be a string/);
  const fallback = { layer: 1, kind: 'h' as const, unit: 0 };
  assert.equal(neuronFromArgs({ modelId: '/r' }, fallback), undefined);
  assert.deepEqual(neuronFromArgs({ unit: 5 }, fallback), { layer: 1, kind: 'h', unit: 5 });
  assert.deepEqual(parseNeuronArg('f0[2]'), { layer: 0, kind: 'f', unit: 2 });
  assert.equal(parseFeatureArg({ feature: 'inString' }), 'inString');
  assert.equal(parseFeatureArg({ feature: 'toString' }), undefined, 'only ranked features');
  assert.equal(parseFeatureArg({ feature: 'inString', x: 1 }), undefined);
  assert.deepEqual(parseNeuronArg({ layer: 0, kind: 'f', unit: 2 }), { layer: 0, kind: 'f', unit: 2 });
  assert.equal(parseNeuronArg({ layer: 0, kind: 'f' }), undefined);
  assert.equal(parseNeuronArg(42), undefined);
});

function rangeOf(spans: number[], values: number[], unknown?: number[]): ActivationRangeResult {
  return { version: 0, spans, values, unknown: unknown ?? values.map(() => 0) };
}

test("colourSegments: values into buckets on the kind's scale; neighbours of one bucket on one line merge; neutral and line breaks undecorated", () => {
  const snapshot = TextSnapshot.of('abcd\nef');
  // Tokens a b c d \n e f; h values on [−1, 1].
  const range = rangeOf([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7], [1, 0.95, 0.02, -1, 0.9, 0.8, -0.25], [0, 0, 0, 0, 0, 1, 0]);
  const c = colourSegments(snapshot, [range], 'h');
  assert.equal(c.tokens, 7);
  assert.equal(c.unknownTokens, 1);
  assert.deepEqual(c.buckets[bucketIndex(5)], [{ line: 0, start: 0, end: 2 }], '"ab" (1, 0.95 → +5) is one segment; the newline (0.9) draws nothing');
  assert.deepEqual(c.buckets[bucketIndex(0)], [], 'neutral "c" is not decorated');
  assert.deepEqual(c.buckets[bucketIndex(-5)], [{ line: 0, start: 3, end: 4 }]);
  assert.deepEqual(c.buckets[bucketIndex(4)], [{ line: 1, start: 0, end: 1 }], '"e" at 0.8 on the next line');
  assert.deepEqual(c.buckets[bucketIndex(-1)], [{ line: 1, start: 1, end: 2 }], '−0.25 → −1');
  assert.deepEqual(c.unknown, [{ line: 1, start: 0, end: 1 }]);
  // Gates are centred on ½; the cell state is scaled by its largest |value|.
  const gate = colourSegments(snapshot, [rangeOf([0, 1, 1, 2], [0.5, 1])], 'f');
  assert.deepEqual(gate.buckets[bucketIndex(0)], []);
  assert.deepEqual(gate.buckets[bucketIndex(5)], [{ line: 0, start: 1, end: 2 }]);
  const cell = colourSegments(snapshot, [rangeOf([0, 1, 1, 2], [-4, 2])], 'c');
  assert.deepEqual(cell.buckets[bucketIndex(-5)], [{ line: 0, start: 0, end: 1 }]);
  assert.deepEqual(cell.buckets[bucketIndex(3)], [{ line: 0, start: 1, end: 2 }], '2 of 4 → +2.5 → 3');
  assert.equal(colourSegments(snapshot, [], 'h').tokens, 0);
});

test('escapeMarkdown and visibleText keep model and file text as text: no HTML, no links, whitespace shown', () => {
  assert.equal(escapeMarkdown('<img src=x onerror=alert(1)>'), '\\<img src\\=x onerror\\=alert\\(1\\)\\>');
  assert.equal(escapeMarkdown('[a](command:x) `b` *c* | d'), '\\[a\\]\\(command\\:x\\) \\`b\\` \\*c\\* \\| d');
  assert.equal(visibleText(' \n\t\r'), '␣↵⇥␍');
  assert.equal(visibleText('\u0000é😀'), 'U+0000é😀');
  assert.equal(formatProbability(0.4213), '42%');
  assert.equal(formatProbability(0.0321), '3.2%');
  assert.equal(formatProbability(0.0001), '<0.1%');
});

test('hoverMarkdown: the value at the token, the strongest neurons as links, the predictions with probabilities, escaped', () => {
  const info: HoverInfoResult = {
    version: 3,
    token: { span: [4, 5], text: '<', unknown: false, value: -0.51234 },
    topNeurons: [
      { layer: 1, kind: 'h', unit: 7, value: 0.99 },
      { layer: 0, kind: 'h', unit: 2, value: -0.8 },
    ],
    predictions: [
      { text: '/', probability: 0.5, unknown: false },
      { text: '\n', probability: 0.25, unknown: false },
      { text: '\uFFFD', probability: 0.01, unknown: true },
    ],
    actual: { text: 'b', probability: 0.02, unknown: false },
  };
  const md = hoverMarkdown({ layer: 1, kind: 'c', unit: 3 }, info, 'run_1');
  assert.match(md, /c1\\\[3\\\] \(layer 1, cell state, unit 3\) = \*\*−0\.512\*\* at “\\<”/);
  assert.match(md, /\| strongest neurons here \| value \| &emsp;&emsp; \| next after “\\<” \| probability \|/);
  assert.match(md, /\| \[h1\\\[7\\\]\]\(command:rnnLab\.pickNeuron\?%5B%22h1%5B7%5D%22%5D "Show h1\[7\]"\) \| 0\.990 \| \| “\\\/” \| 50% \|/);
  assert.match(md, /\| \[h0\\\[2\\\]\]\([^)]*\) \| −0\.800 \| \| “↵” \| 25% \|/);
  assert.match(md, /\| {2}\| {2}\| \| \*unknown character\* \| 1\.0% \|/, 'a third prediction beside no neuron');
  assert.match(md, /goes on with “b”: 2\.0%/);
  assert.match(md, /\*run\\_1\*/);
  assert.doesNotMatch(md, /(^|[^\\])</, 'no unescaped angle bracket from the text');
  assert.doesNotMatch(md.replace(/&emsp;/g, ''), /(^|[^\\])&/, 'no entity but the spacer');
  const empty = hoverMarkdown(
    { layer: 0, kind: 'h', unit: 0 },
    { version: 0, token: null, topNeurons: [], predictions: [{ text: 'a', probability: 1, unknown: false }] },
    'm',
  );
  assert.match(empty, /the text is empty/);
  assert.match(empty, /next at the start/);
});

test('textProblem: NUL characters mean binary; ordinary and empty text are fine', () => {
  assert.match(textProblem('PNG\u0000\u0001')!, /looks binary/);
  assert.equal(textProblem(''), undefined);
  assert.equal(textProblem('ok ☃ 😀'), undefined);
});

/** A fake engine that records requests and answers them from `answer`. */
function fakeEngine(answer: (method: EngineMethod, params: Record<string, unknown>) => unknown) {
  const calls: { method: EngineMethod; params: Record<string, unknown> }[] = [];
  const engine = {
    request<M extends EngineMethod>(method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> {
      calls.push({ method, params: params as unknown as Record<string, unknown> });
      try {
        return Promise.resolve(answer(method, params as unknown as Record<string, unknown>) as EngineMethods[M]['result']);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
  return { engine, calls };
}

const OPENED = { tokenCount: 0, layers: LSTM_2x4, version: 0, model: '/m.onnx', cell: 'lstm', resolution: 'char' as const };

test('OverlayDocument opens once, sends the text again only when the editor version changed, and asks for ranges by line', async () => {
  let engineVersion = 0;
  const { engine, calls } = fakeEngine((method, params) => {
    if (method === 'openDocument') return OPENED;
    if (method === 'updateDocument') return { version: ++engineVersion, firstChangedPosition: 0 };
    if (method === 'activationRange') return { version: params.version, spans: [], values: [], unknown: [] };
    return { closed: true };
  });
  let host: HostText = { text: 'ab\r\ncd\r\nef', version: 1 };
  const doc = new OverlayDocument(engine, { runDir: '/r' }, () => host);
  const neuron = { layer: 1, kind: 'h' as const, unit: 2 };
  const first = await doc.activations(neuron, [{ start: 1, end: 1 }]);
  assert.equal(first.kind, 'ok');
  assert.deepEqual(doc.layout, LSTM_2x4);
  assert.deepEqual(
    calls.map((c) => c.method),
    ['openDocument', 'activationRange'],
  );
  assert.equal(calls[0].params.text, 'ab\ncd\nef', 'the engine reads "\\n" line breaks');
  assert.deepEqual(
    { from: calls[1].params.from, to: calls[1].params.to, version: calls[1].params.version, unit: calls[1].params.unit },
    { from: 3, to: 6, version: 0, unit: 2 },
  );
  await doc.activations(neuron, [{ start: 2, end: 5 }]);
  assert.equal(calls.filter((c) => c.method === 'updateDocument').length, 0, 'same editor version: no update');
  assert.deepEqual({ from: calls[2].params.from, to: calls[2].params.to }, { from: 6, to: 8 }, 'the last line runs to the end of the text');
  host = { text: 'ab\r\ncX\r\nef', version: 2 };
  const after = await doc.activations(neuron, [{ start: 0, end: 0 }]);
  assert.equal(calls[3].method, 'updateDocument');
  assert.equal(after.kind === 'ok' && after.synced.engineVersion, 1);
  assert.equal(calls[4].params.version, 1);
  await doc.close();
  assert.equal(calls[calls.length - 1].method, 'closeDocument');
  assert.equal((await doc.sync()).kind, 'problem', 'a closed document asks nothing more');
});

test('OverlayDocument: a binary text is a problem and nothing is sent; a model that cannot be opened stays a problem; a dead engine is asked again, up to a point', async () => {
  let failOpen: Error | undefined;
  const { engine, calls } = fakeEngine((method) => {
    if (method === 'openDocument') {
      if (failOpen) throw failOpen;
      return OPENED;
    }
    if (method === 'activationRange') return { version: 0, spans: [], values: [], unknown: [] };
    return { version: 0, firstChangedPosition: 0 };
  });
  let host: HostText = { text: 'GIF89a\u0000\u0001', version: 1 };
  const doc = new OverlayDocument(engine, { runDir: '/r' }, () => host);
  const binary = await doc.sync();
  assert.ok(binary.kind === 'problem' && /binary/.test(binary.message));
  assert.equal(calls.length, 0);
  host = { text: 'text now', version: 2 };
  assert.equal((await doc.sync()).kind, 'ok', 'fixing the text fixes the problem');

  doc.engineLost();
  host = { text: 'text now!', version: 3 };
  await doc.sync();
  assert.deepEqual(
    calls.map((c) => c.method),
    ['openDocument', 'openDocument'],
    'opened again in the new engine, not updated',
  );

  failOpen = new EngineRequestError('failed', '/r not found: give an RNN Lab run folder or .onnx file');
  const gone = new OverlayDocument(engine, { runDir: '/r' }, () => host);
  const problem = await gone.sync();
  assert.ok(problem.kind === 'problem' && /not found/.test(problem.message));
  failOpen = undefined;
  assert.equal((await gone.sync()).kind, 'problem', 'sticky: the model stays missing until another is chosen');

  failOpen = new EngineExitedError('the engine process was killed (SIGKILL)');
  const crashed = new OverlayDocument(engine, { runDir: '/r' }, () => host);
  assert.equal((await crashed.sync()).kind, 'stale', 'ask again: the next request starts a new engine');
  failOpen = undefined;
  assert.equal((await crashed.sync()).kind, 'ok');
  // An engine that dies on every request is a problem after a few tries.
  failOpen = new EngineExitedError('the engine process was killed (SIGSEGV)');
  const dying = new OverlayDocument(engine, { runDir: '/r' }, () => host);
  const outcomes = [await dying.sync(), await dying.sync(), await dying.sync()];
  assert.deepEqual(
    outcomes.map((o) => o.kind),
    ['stale', 'stale', 'problem'],
  );
  assert.match((outcomes[2] as { message: string }).message, /keeps stopping \(the engine process was killed \(SIGSEGV\)\)/);
});

test('OverlayDocument: a "stale" answer is an outcome of its own (the overlay asks again), and requests run one at a time', async () => {
  let stale = true;
  let running = 0;
  let overlapped = false;
  const { engine } = fakeEngine((method) => {
    if (method === 'openDocument') return OPENED;
    if (method === 'activationRange') {
      if (stale) {
        stale = false;
        throw new EngineRequestError('stale', 'the text is at version 1, not 0');
      }
      return { version: 0, spans: [], values: [], unknown: [] };
    }
    return {};
  });
  const slow = {
    request: async (method: EngineMethod, params: never) => {
      running++;
      if (running > 1) overlapped = true;
      await sleep(5);
      running--;
      return engine.request(method, params);
    },
  };
  const doc = new OverlayDocument(slow, { runDir: '/r' }, () => ({ text: 'abc', version: 1 }));
  const neuron = { layer: 0, kind: 'h' as const, unit: 0 };
  const [a, b] = await Promise.all([doc.activations(neuron, [{ start: 0, end: 0 }]), doc.activations(neuron, [{ start: 0, end: 0 }])]);
  assert.equal(a.kind, 'stale');
  assert.equal(b.kind, 'ok');
  assert.equal(overlapped, false);
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
