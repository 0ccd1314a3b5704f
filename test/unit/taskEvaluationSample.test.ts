import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spreadEvenly } from '../../src/core/tasks/taskBatching';
import { DEFAULT_TRAINING } from '../../src/core/spec';
import { MAX_TASK_EVAL_WINDOWS, prepareTaskData } from '../../src/engine/tasks/taskPreparation';

test('spreadEvenly keeps everything that fits, and otherwise picks evenly spaced items (hand-computed)', () => {
  assert.deepEqual(spreadEvenly([1, 2, 3], 3), [1, 2, 3]);
  assert.deepEqual(spreadEvenly([1, 2, 3], 5), [1, 2, 3]);
  // 10 items, 4 picks: positions ⌊(i + ½)·10/4⌋ = 1, 3, 6, 8.
  assert.deepEqual(spreadEvenly([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4), [1, 3, 6, 8]);
  // Runs of items keep their share within one: 6 a's, 3 b's, 3 c's → 2, 1, 1 of 4.
  const picked = spreadEvenly([...'aaaaaabbbccc'], 4);
  assert.deepEqual(picked, ['a', 'a', 'b', 'c']);
});

/** A folder per class, `files` one-line files in each, under a fresh temporary folder. */
function classFolders(classes: Record<string, number>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-evalsample-'));
  for (const [label, files] of Object.entries(classes)) {
    fs.mkdirSync(path.join(root, label));
    for (let i = 0; i < files; i++) fs.writeFileSync(path.join(root, label, `${i}.txt`), `${label} example number ${i}\n`);
  }
  return root;
}

test('a classifier whose held-out set outgrows the evaluation cap is evaluated on every class in its share, and run.json says so', async () => {
  // Batch 1: the cap is MAX_TASK_EVAL_WINDOWS examples. Half held out: 300 + 150 + 150 held-out files.
  const root = classFolders({ alpha: 600, beta: 300, gamma: 300 });
  try {
    const training = { ...DEFAULT_TRAINING, batchSize: 1, seqLength: 16, validationFraction: 0.5 };
    const prepared = await prepareTaskData([root], 'classify', training, {});
    const held = prepared.summary.validationExamples;
    assert.ok(held > MAX_TASK_EVAL_WINDOWS, `held out ${held}`);
    assert.equal(prepared.validation.length, MAX_TASK_EVAL_WINDOWS);
    assert.equal(prepared.summary.evaluatedExamples, MAX_TASK_EVAL_WINDOWS);
    // Before: the first 200 held-out examples in file order, all of one class.
    const labels = prepared.summary.labels;
    const counts = new Map<string, number>();
    for (const w of prepared.validation) {
      const label = labels[w.targets[0]];
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    for (const label of labels) {
      const share = prepared.summary.validationCounts[label] / held;
      const got = (counts.get(label) ?? 0) / MAX_TASK_EVAL_WINDOWS;
      assert.ok(Math.abs(got - share) <= 0.01, `${label}: ${got} of the evaluation against ${share} of the held-out set`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a held-out set within the cap is evaluated whole, with nothing recorded about a sample', async () => {
  const root = classFolders({ alpha: 20, beta: 20 });
  try {
    const training = { ...DEFAULT_TRAINING, batchSize: 4, seqLength: 16, validationFraction: 0.5 };
    const prepared = await prepareTaskData([root], 'classify', training, {});
    const examples = prepared.validation.reduce((n, w) => n + w.batch, 0);
    assert.equal(examples, prepared.summary.validationExamples);
    assert.equal(prepared.summary.evaluatedExamples, undefined);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a tagger whose held-out text outgrows the evaluation cap is evaluated on windows from every held-out file, and run.json says how many tokens', async () => {
  // Files named a-* are one comment, b-* one string: the held-out text is all of the a files first.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-evalsample-tag-'));
  for (let i = 0; i < 24; i++) {
    fs.writeFileSync(path.join(root, `a-${String(i).padStart(2, '0')}.ts`), `// ${'a comment that goes on '.repeat(12)}\n`);
    fs.writeFileSync(path.join(root, `b-${String(i).padStart(2, '0')}.ts`), `const s = '${'a string that goes on '.repeat(13)}';\n`);
  }
  try {
    const training = { ...DEFAULT_TRAINING, batchSize: 1, seqLength: 16, validationFraction: 0.5 };
    const prepared = await prepareTaskData([root], 'tag', training, {});
    const { labels, validationCounts, evaluatedTokens } = prepared.summary;
    const heldTokens = Object.values(validationCounts).reduce((a, b) => a + b, 0);
    assert.equal(prepared.validation.length, MAX_TASK_EVAL_WINDOWS);
    assert.equal(evaluatedTokens, MAX_TASK_EVAL_WINDOWS * 16);
    assert.ok(heldTokens > 2 * evaluatedTokens, `held out ${heldTokens} characters`);
    assert.deepEqual(
      prepared.validation.map((w) => w.index),
      prepared.validation.map((_, i) => i),
    );
    // Before: the first 200 windows, nearly all inside the a files' comments.
    const seen = new Map<string, number>();
    for (const w of prepared.validation) for (const tag of w.targets) seen.set(labels[tag], (seen.get(labels[tag]) ?? 0) + 1);
    for (const kind of ['comment', 'string']) {
      const share = validationCounts[kind] / heldTokens;
      const got = (seen.get(kind) ?? 0) / evaluatedTokens;
      assert.ok(Math.abs(got - share) <= 0.05, `${kind}: ${got.toFixed(3)} of the evaluated characters against ${share.toFixed(3)} held out`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
