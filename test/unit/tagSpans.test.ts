/** The tagger overlay's spans: runs of one class merged, mismatches with the parser, the uncoloured class. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { classSpans, mismatchSpans } from '../../src/extension/tasks/tagSpans';
import type { TagTextResult } from '../../src/protocol/tagText';

// "if x" with one character tokens; the last token is a two-unit surrogate pair (an emoji).
const result: TagTextResult = {
  version: 1,
  labels: ['keyword', 'identifier', 'whitespace'],
  starts: [0, 1, 2, 3, 4],
  lengths: [1, 1, 1, 1, 2],
  predicted: [0, 0, 2, 1, 1],
  truth: [0, 1, 2, 1, -1],
  percents: [],
  truncated: false,
};

test('adjacent tokens of one class make one span; whitespace is not coloured', () => {
  assert.deepEqual(
    [...classSpans(result)],
    [
      ['keyword', [[0, 2]]],
      ['identifier', [[3, 6]]],
    ],
  );
});

test('mismatches are where the parser names another class; a token it does not label is not one', () => {
  assert.deepEqual(mismatchSpans(result), [[1, 2]]);
  assert.deepEqual(mismatchSpans({ ...result, truth: undefined }), []);
});
