/** Train Model…'s tagger and classifier specs are the ones `rnn-lab train` builds from the same choices. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { newRunRequest, trainCommand } from '../../src/cli/commands/train';
import { parseCommandLine } from '../../src/cli/usage';
import { taskRunSpecs, type TaskChoices } from '../../src/core/tasks/taskRunSpec';
import { describeTaskDefaults } from '../../src/core/tasks/taskDefaults';

/** JSON as run.json stores it: an option the CLI leaves undefined is no field. */
const stored = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

function cli(argv: string[]) {
  const { values, positionals } = parseCommandLine(trainCommand, argv);
  const { model, training } = newRunRequest(values, positionals);
  return stored({ model, training });
}

const cases: { argv: string[]; choices: TaskChoices }[] = [
  { argv: ['src', '--task', 'tag'], choices: { task: 'tag', bidirectional: false, data: {} } },
  { argv: ['src', '--task', 'tag', '--bidirectional'], choices: { task: 'tag', bidirectional: true, data: {} } },
  { argv: ['a.conllu', '--task', 'tag', '--bidirectional'], choices: { task: 'tag', bidirectional: true, data: {} } },
  { argv: ['src', '--task', 'classify', '--labels', 'extension'], choices: { task: 'classify', bidirectional: false, data: { labels: 'extension' } } },
  {
    argv: ['data', '--task', 'classify', '--bidirectional', '--pooling', 'last'],
    choices: { task: 'classify', bidirectional: true, pooling: 'last', data: {} },
  },
  {
    argv: ['reviews.csv', '--task', 'classify', '--cell', 'gru', '--layers', '2', '--hidden', '32', '--steps', '50'],
    choices: { task: 'classify', bidirectional: false, data: {}, model: { cell: 'gru', layers: 2, hidden: 32 }, training: { steps: 50 } },
  },
  {
    argv: ['src', '--task', 'tag', '--cell', 'rnn', '--layers', '1', '--hidden', '8', '--steps', '20', '--bidirectional'],
    choices: { task: 'tag', bidirectional: true, data: {}, model: { cell: 'rnn', layers: 1, hidden: 8 }, training: { steps: 20 } },
  },
];

for (const { argv, choices } of cases) {
  test(`Train Model…'s spec equals rnn-lab train ${argv.join(' ')}`, () => {
    assert.deepEqual(stored(taskRunSpecs(choices)), cli(argv));
  });
}

test('a classifier reads 256 code tokens (rarer than 5 in characters), embedding 32, dropout 0.25, 900 steps halving the rate every 225', () => {
  const { model, training } = taskRunSpecs({ task: 'classify', bidirectional: false, data: { labels: 'extension' } });
  assert.deepEqual(
    [model.layers, model.hidden, model.embedding, model.dropout, training.resolution, training.minTokenCount, training.seqLength, training.steps],
    [1, 64, 32, 0.25, 'token', 5, 256, 900],
  );
  assert.deepEqual([training.learningRate, training.lrDecay, training.lrDecayEvery], [5e-3, 0.5, 225]);
  assert.equal(describeTaskDefaults('classify'), '1×LSTM-64 (embedding 32, code tokens, dropout 0.25) · 900 steps');
  assert.equal(describeTaskDefaults('tag'), '2×LSTM-64 (embedding 16) · 800 steps');
});

test('a classifier pools by the mean unless told; a tagger has no pooling', () => {
  assert.equal(taskRunSpecs({ task: 'classify', bidirectional: false, data: {} }).model.pooling, 'mean');
  assert.equal('pooling' in taskRunSpecs({ task: 'tag', bidirectional: true, data: {} }).model, false);
});
