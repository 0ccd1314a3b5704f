/** Train Model…'s tagger and classifier specs are the ones `rnn-lab train` builds from the same choices. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { newRunRequest, trainCommand } from '../../src/cli/commands/train';
import { parseCommandLine } from '../../src/cli/usage';
import { taskRunSpecs, type TaskChoices } from '../../src/core/tasks/taskRunSpec';

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

test('a classifier pools by the mean unless told; a tagger has no pooling', () => {
  assert.equal(taskRunSpecs({ task: 'classify', bidirectional: false, data: {} }).model.pooling, 'mean');
  assert.equal('pooling' in taskRunSpecs({ task: 'tag', bidirectional: true, data: {} }).model, false);
});
