import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConllU, parseTwoColumn } from '../../src/core/tasks/conll';
import { parseJsonl } from '../../src/core/tasks/jsonl';
import { parseCsv } from '../../src/core/tasks/csv';
import { readLabelledFolders } from '../../src/core/tasks/labelledFolders';
import { languageOfFile, languageSnippets } from '../../src/core/tasks/languageSnippets';
import { tagSourceCode } from '../../src/core/tasks/codeTags';
import { classCounts, describeCounts, imbalanceWarning } from '../../src/core/tasks/classBalance';
import { TaskDataError, formatOfFile } from '../../src/core/tasks/taskData';
import { splitGroups, splitGroupsByLabel } from '../../src/core/groupSplit';
import { tempDir } from './support/tempDir';

/** The error's place and expectation, as a user reads it. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TaskDataError, String(err));
    return err.message;
  }
  throw new Error('no error');
}

const CONLLU = [
  '# sent_id = 1',
  '# text = The cats sleep.',
  '1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_',
  '2\tcats\tcat\tNOUN\tNNS\t_\t3\tnsubj\t_\t_',
  '3\tsleep\tsleep\tVERB\tVBP\t_\t0\troot\t_\tSpaceAfter=No',
  '4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_',
  '',
  '1-2\tdel\t_\t_\t_\t_\t_\t_\t_\t_',
  '1\tde\tde\tADP\t_\t_\t3\tcase\t_\t_',
  '2\tel\tel\tDET\t_\t_\t3\tdet\t_\t_',
  '2.1\tfoo\tfoo\tX\t_\t_\t_\t_\t_\t_',
  '3\tmar\tmar\tNOUN\t_\t_\t0\troot\t_\t_',
  '',
].join('\n');

test('CoNLL-U: FORM and UPOS per word; comments, multi-word ranges and empty nodes skipped; a sentence per blank-line block', () => {
  const sentences = parseConllU(CONLLU, 'ud.conllu');
  assert.deepEqual(
    sentences.map((s) => [s.tokens, s.tags]),
    [
      [
        ['The', 'cats', 'sleep', '.'],
        ['DET', 'NOUN', 'VERB', 'PUNCT'],
      ],
      [
        ['de', 'el', 'mar'],
        ['ADP', 'DET', 'NOUN'],
      ],
    ],
  );
  assert.deepEqual(
    sentences.map((s) => [s.source, s.group]),
    [
      ['ud.conllu:3', 'ud.conllu'],
      ['ud.conllu:8', 'ud.conllu'],
    ],
  );
});

test('CoNLL-U: malformed lines say file, line, column and what was expected', () => {
  assert.equal(
    failure(() => parseConllU('1\tThe\tthe\tDET\n', 'a.conllu')),
    'a.conllu:1:1: 10 TAB-separated columns (CoNLL-U), found 4',
  );
  assert.equal(
    failure(() => parseConllU('# c\n1\tThe\tthe\t_\tDT\t_\t2\tdet\t_\t_\n', 'a.conllu')),
    'a.conllu:2:11: a part-of-speech tag in the UPOS column, found none',
  );
  assert.match(
    failure(() => parseConllU('x\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n', 'a.conllu')),
    /^a\.conllu:1:1: a word index .* found "x"$/,
  );
});

test('two-column CoNLL: token<TAB>tag per line, sentences between blank lines; malformed lines are placed', () => {
  const sentences = parseTwoColumn('EU\tB-ORG\nrejects\tO\n\n\nPeter\tB-PER\r\n', 'ner.conll');
  assert.deepEqual(
    sentences.map((s) => [s.tokens, s.tags, s.source]),
    [
      [['EU', 'rejects'], ['B-ORG', 'O'], 'ner.conll:1'],
      [['Peter'], ['B-PER'], 'ner.conll:5'],
    ],
  );
  assert.equal(
    failure(() => parseTwoColumn('EU\tB-ORG\nrejects O\n', 'ner.conll')),
    'ner.conll:2:1: token<TAB>tag, found 1 column',
  );
  assert.equal(
    failure(() => parseTwoColumn('EU\tB\tx\n', 'ner.conll')),
    'ner.conll:1:1: token<TAB>tag, found 3 columns',
  );
  assert.equal(
    failure(() => parseTwoColumn('EU\t \n', 'ner.conll')),
    'ner.conll:1:4: a tag after the TAB',
  );
});

test('JSONL: text and label per line (numbers as text); bad lines are placed', () => {
  const examples = parseJsonl('{"text": "great", "label": "pos"}\n\n{"text": "meh", "label": 0}\n', 'r.jsonl');
  assert.deepEqual(
    examples.map((e) => [e.text, e.label, e.source]),
    [
      ['great', 'pos', 'r.jsonl:1'],
      ['meh', '0', 'r.jsonl:3'],
    ],
  );
  assert.match(
    failure(() => parseJsonl('{"text": "a", "label": "b"}\n{"text": "a" "label": "b"}\n', 'r.jsonl')),
    /^r\.jsonl:2:14: a JSON object such as/,
  );
  assert.equal(
    failure(() => parseJsonl('{"label": "b"}', 'r.jsonl')),
    'r.jsonl:1:1: "text" as a string',
  );
  assert.equal(
    failure(() => parseJsonl('{"text": "a", "label": " "}', 'r.jsonl')),
    'r.jsonl:1:1: "label" as a non-empty string (or number)',
  );
  assert.equal(
    failure(() => parseJsonl('["a", "b"]', 'r.jsonl')),
    'r.jsonl:1:1: a JSON object with "text" and "label"',
  );
});

test('CSV: header row, quoted fields with commas, doubled quotes and line breaks, CRLF; the named columns in any order', () => {
  const csv = 'id,Label,Text\r\n1,pos,"good, really"\r\n2,neg,"he said ""no""\nand left"\r\n3,neg,plain\r\n';
  assert.deepEqual(
    parseCsv(csv, 'r.csv').map((e) => [e.text, e.label, e.source]),
    [
      ['good, really', 'pos', 'r.csv:2'],
      ['he said "no"\nand left', 'neg', 'r.csv:3'],
      ['plain', 'neg', 'r.csv:5'],
    ],
  );
  assert.deepEqual(
    parseCsv('review;x,stars\n"ok",5\n', 'r.csv', { text: 'review;x', label: 'stars' }).map((e) => [e.text, e.label]),
    [['ok', '5']],
  );
});

test('CSV: an unclosed quote, a wrong number of fields and a missing column are placed', () => {
  assert.equal(
    failure(() => parseCsv('text,label\n"open,pos\n', 'r.csv')),
    'r.csv:2:1: a closing double quote for the field that starts here',
  );
  assert.equal(
    failure(() => parseCsv('text,label\na,b,c\n', 'r.csv')),
    'r.csv:2:1: 2 fields as in the header, found 3',
  );
  assert.equal(
    failure(() => parseCsv('review,label\na,b\n', 'r.csv')),
    'r.csv:1:1: a column named "text" in the header (found: review, label)',
  );
  assert.equal(
    failure(() => parseCsv('text,label\n"a"x,b\n', 'r.csv')),
    'r.csv:2:4: a comma or the end of the line after a closing quote',
  );
  assert.equal(
    failure(() => parseCsv('text,label\na,\n', 'r.csv')),
    'r.csv:2:1: a label in column "label"',
  );
});

test('a folder per class: each file one example labelled by its folder; binary files skipped and counted; one folder is refused', async () => {
  const root = path.join(tempDir(), 'data');
  for (const [file, text] of [
    ['pos/a.txt', 'lovely'],
    ['pos/deep/b.txt', 'great'],
    ['neg/c.txt', 'awful'],
    ['neg/d.bin', 'x\u0000y'],
  ]) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  const { examples, skipped } = await readLabelledFolders(root);
  assert.deepEqual(
    examples.map((e) => [e.label, e.text, e.group]),
    [
      ['neg', 'awful', path.join('neg', 'c.txt')],
      ['pos', 'lovely', path.join('pos', 'a.txt')],
      ['pos', 'great', path.join('pos', 'deep/b.txt')],
    ],
  );
  assert.deepEqual(
    skipped.map((s) => [s.path, s.reason]),
    [[path.join('neg', 'd.bin'), 'binary']],
  );
  fs.rmSync(path.join(root, 'neg'), { recursive: true });
  await assert.rejects(readLabelledFolders(root), /needs one sub-folder per class \(at least two\), found only "pos"/);
});

test('language snippets: N-line pieces labelled by the file language; blank and short last pieces dropped; a split keeps a file together', () => {
  const ts = Array.from({ length: 45 }, (_, i) => `const x${i} = ${i};`).join('\n');
  const py = ['', '', '', '', 'x = 1', 'y = 2'].join('\n');
  const docs = [
    { path: 'a.ts', text: ts },
    { path: 'b.py', text: py },
    { path: 'Makefile', text: 'all:\n\techo' },
  ];
  const snippets = languageSnippets(docs, 20);
  assert.deepEqual(
    snippets.map((s) => [s.label, s.source, s.group, s.text.split('\n').length]),
    [
      ['typescript', 'a.ts:1', 'a.ts', 20],
      ['typescript', 'a.ts:21', 'a.ts', 20],
      ['python', 'b.py:1', 'b.py', 6],
    ],
  );
  assert.deepEqual([languageOfFile('x.mts'), languageOfFile('README.md'), languageOfFile('Makefile')], ['typescript', 'md', undefined]);
});

test('splitGroups: whole groups on one side, both sides non-empty, the same for the same seed', () => {
  const groups = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.ts`, size: 10 + i }));
  const a = splitGroups(groups, 0.2, 7);
  assert.ok(a.train.length > 0 && a.validation.length > 0);
  assert.equal(a.train.length + a.validation.length, 20);
  const share = a.validation.reduce((n, g) => n + g.size, 0) / groups.reduce((n, g) => n + g.size, 0);
  assert.ok(Math.abs(share - 0.2) < 0.05, String(share));
  assert.deepEqual(splitGroups(groups, 0.2, 7), a);
});

test('splitGroupsByLabel: about the fraction of every class held out, a rare class too; a class with one group trains', () => {
  // 30 files of a common class, 5 of a rare one (sized by examples), 1 of a singleton class.
  const groups = [
    ...Array.from({ length: 30 }, (_, i) => ({ name: `js/f${i}.js`, size: 8, label: 'js' })),
    ...Array.from({ length: 5 }, (_, i) => ({ name: `css/f${i}.css`, size: 10, label: 'css' })),
    { name: 'only.md', size: 4, label: 'md' },
  ];
  for (const seed of [1, 2, 3, 4, 5]) {
    const split = splitGroupsByLabel(groups, 0.2, seed);
    assert.equal(split.train.length + split.validation.length, groups.length);
    const held = (label: string) => split.validation.filter((g) => g.label === label).length;
    assert.equal(held('js'), 6, `seed ${seed}`);
    assert.equal(held('css'), 1, `seed ${seed}`);
    assert.equal(held('md'), 0, `seed ${seed}`);
    assert.deepEqual(splitGroupsByLabel(groups, 0.2, seed), split);
  }
  // One file per class: split as splitGroups does, so validation is not empty.
  const two = [
    { name: 'a.py', size: 3, label: 'python' },
    { name: 'b.ts', size: 3, label: 'typescript' },
  ];
  assert.deepEqual(splitGroupsByLabel(two, 0.2, 1), splitGroups(two, 0.2, 1));
  assert.equal(splitGroupsByLabel(two, 0.2, 1).validation.length, 1);
});

test('code tags: every character of TypeScript tagged; quotes are string, comment markers are comment', async () => {
  const text = 'const s = "a b"; // hi\nlet n = 42;';
  const tags = await tagSourceCode(text, 'typescript');
  assert.equal(tags.length, [...text].length);
  const at = (fragment: string, from = 0) => {
    const i = text.indexOf(fragment, from);
    return tags.slice(i, i + fragment.length);
  };
  assert.deepEqual(at('const'), Array(5).fill('keyword'));
  assert.deepEqual(at('s '), ['identifier', 'whitespace']);
  assert.deepEqual(at('='), ['punctuation']);
  assert.deepEqual(at('"a b"'), Array(5).fill('string'));
  assert.deepEqual(at('// hi'), Array(5).fill('comment'));
  assert.deepEqual(at('42'), ['number', 'number']);
});

test('class counts, most frequent first, and a warning for a heavily imbalanced set', () => {
  const counts = classCounts(['b', 'a', 'b', 'c', 'b']);
  assert.deepEqual(
    [...counts],
    [
      ['b', 3],
      ['a', 1],
      ['c', 1],
    ],
  );
  assert.equal(describeCounts(counts), 'b 3 · a 1 · c 1');
  assert.equal(imbalanceWarning(counts), undefined);
  const skewed = classCounts([...Array(18).fill('ok'), 'rare', 'rare']);
  assert.equal(imbalanceWarning(skewed), undefined, '9 to 1 is not yet heavy');
  const heavy = classCounts([...Array(50).fill('ok'), 'rare']);
  assert.match(imbalanceWarning(heavy)!, /heavily imbalanced: "ok" has 50 of 51 examples, "rare" only 1; always answering "ok" would be 98% accurate/);
  assert.deepEqual(['a.jsonl', 'b.CSV', 'c.conllu', 'd.conll', 'e.txt'].map(formatOfFile), ['jsonl', 'csv', 'conllu', 'conll', undefined]);
});
