import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UNK_TEXT, UNK_TOKEN, Vocabulary, VocabularyError } from '../../src/core/vocabulary';

const ids = (a: Int32Array) => Array.from(a);
const jsonRoundTrip = (v: Vocabulary) => Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));

// --- character vocabulary ---------------------------------------------------

test('char vocabulary ids are sorted by code point, after <unk> at 0', () => {
  // 'ba😀a' has the code points b U+62, a U+61, 😀 U+1F600.
  // Distinct, sorted: a (0x61) < b (0x62) < 😀 (0x1F600); <unk> is id 0.
  // So tokens = [<unk>, a, b, 😀] and 'ba😀a' -> [2, 1, 3, 1].
  const v = Vocabulary.buildChar(['ba😀a']);
  assert.deepEqual(v.tokens, [UNK_TOKEN, 'a', 'b', '😀']);
  assert.equal(v.unk, 0);
  assert.equal(v.size, 4);
  assert.equal(v.kind, 'char');
  assert.deepEqual(ids(v.encode('ba😀a')), [2, 1, 3, 1]);
});

test('char vocabulary sorts astral characters after the whole BMP (code-point order, not UTF-16 order)', () => {
  // ｚ is U+FF5A; 😀 is U+1F600 but its first UTF-16 unit is 0xD83D < 0xFF5A.
  // Code-point order puts ｚ first; plain UTF-16 string order would put 😀 first.
  const v = Vocabulary.buildChar(['😀ｚ']);
  assert.deepEqual(v.tokens, [UNK_TOKEN, 'ｚ', '😀']);
});

test('char vocabulary building is deterministic regardless of text order', () => {
  const a = Vocabulary.buildChar(['hello', 'world']);
  const b = Vocabulary.buildChar(['world', 'hello']);
  assert.ok(a.equals(b));
});

test('char vocabulary encodes an astral character as ONE token per code point and round-trips', () => {
  const text = '𝔘😀 x';
  // Code points: 𝔘 U+1D518, 😀 U+1F600, ' ' U+20, x U+78 -> 4 (the string has 6 UTF-16 units).
  // Sorted: ' ' (0x20), x (0x78), 𝔘 (0x1D518), 😀 (0x1F600) -> ids 1, 2, 3, 4.
  assert.equal(text.length, 6);
  const v = Vocabulary.buildChar([text]);
  assert.deepEqual(v.tokens, [UNK_TOKEN, ' ', 'x', '𝔘', '😀']);
  const encoded = v.encode(text);
  assert.equal(encoded.length, 4);
  assert.deepEqual(ids(encoded), [3, 4, 1, 2]);
  assert.equal(v.decode(encoded), text);
});

test("char vocabulary treats '\\r' as an ordinary character: 'a\\r\\nb' round-trips", () => {
  // Code points: \n 0x0A < \r 0x0D < a 0x61 < b 0x62 -> ids 1, 2, 3, 4.
  // 'a\r\nb' -> a, \r, \n, b -> [3, 2, 1, 4].
  const v = Vocabulary.buildChar(['a\r\nb']);
  assert.deepEqual(v.tokens, [UNK_TOKEN, '\n', '\r', 'a', 'b']);
  assert.deepEqual(ids(v.encode('a\r\nb')), [3, 2, 1, 4]);
  assert.equal(v.decode(v.encode('a\r\nb')), 'a\r\nb');
});

test('unknown characters map to unk and decode to U+FFFD (an astral unknown is one unk, not two)', () => {
  // Vocabulary [<unk>, a, b]: 'aXb' -> [1, 0, 2]; '😀' -> [0].
  const v = Vocabulary.buildChar(['ab']);
  assert.deepEqual(ids(v.encode('aXb')), [1, 0, 2]);
  assert.equal(v.decode(v.encode('aXb')), 'a\uFFFDb');
  assert.deepEqual(ids(v.encode('😀')), [0]);
  assert.equal(v.countUnknown('aX😀b'), 2);
  assert.equal(UNK_TEXT, '\uFFFD');
});

test('decoding an id outside the vocabulary gives U+FFFD', () => {
  const v = Vocabulary.buildChar(['ab']); // size 3
  assert.equal(v.decode([1, 3, -1, 2]), 'a\uFFFD\uFFFDb');
});

// --- JSON ---------------------------------------------------------------------

test('JSON save/load gives an equal vocabulary that assigns the same ids', () => {
  const text = 'def f(x):\n    return x + 1  # 😀 𝔘\n';
  for (const v of [Vocabulary.buildChar([text]), Vocabulary.buildToken([text, text])]) {
    const loaded = jsonRoundTrip(v);
    assert.ok(loaded.equals(v), `${v.kind} vocabulary survives JSON`);
    assert.equal(loaded.kind, v.kind);
    assert.equal(loaded.unk, v.unk);
    assert.deepEqual(loaded.tokens, v.tokens);
    assert.deepEqual(ids(loaded.encode(text)), ids(v.encode(text)));
    assert.equal(loaded.decode(loaded.encode(text)), text);
  }
});

test('fromJSON accepts an astral character as one code point in a char vocabulary', () => {
  // '😀'.length is 2 (UTF-16) but it is one code point.
  const v = Vocabulary.fromJSON({ kind: 'char', tokens: [UNK_TOKEN, 'a', '😀'], unk: 0 });
  assert.deepEqual(ids(v.encode('😀a')), [2, 1]);
});

test('fromJSON rejects malformed vocabularies with VocabularyError', () => {
  const ok = { kind: 'char', tokens: [UNK_TOKEN, 'a', 'b'], unk: 0 };
  const bad: [string, unknown][] = [
    ['null', null],
    ['a string', 'char'],
    ['a number', 42],
    ['wrong kind', { ...ok, kind: 'bytes' }],
    ['missing kind', { tokens: ok.tokens, unk: 0 }],
    ['tokens not a list', { ...ok, tokens: 'ab' }],
    ['fewer than 2 tokens', { ...ok, tokens: [UNK_TOKEN] }],
    ['an empty token', { ...ok, tokens: [UNK_TOKEN, 'a', ''] }],
    ['a non-string token', { ...ok, tokens: [UNK_TOKEN, 'a', 7] }],
    ['duplicate tokens', { ...ok, tokens: [UNK_TOKEN, 'a', 'a'] }],
    ['unk past the end', { ...ok, unk: 3 }],
    ['negative unk', { ...ok, unk: -1 }],
    ['fractional unk', { ...ok, unk: 0.5 }],
    ['missing unk', { kind: 'char', tokens: ok.tokens }],
    ['multi-code-point token in a char vocabulary', { ...ok, tokens: [UNK_TOKEN, 'a', 'ab'] }],
  ];
  for (const [what, value] of bad) {
    assert.throws(() => Vocabulary.fromJSON(value), VocabularyError, `rejects ${what}`);
  }
  // The same multi-code-point token is fine in a token vocabulary.
  assert.doesNotThrow(() => Vocabulary.fromJSON({ ...ok, kind: 'token', tokens: [UNK_TOKEN, 'a', 'ab'] }));
});

// --- token vocabulary -----------------------------------------------------------

test('token vocabulary keeps a token seen twice whole and spells a token seen once with characters', () => {
  // 'alpha beta alpha' -> alpha ×2, ' ' ×2, beta ×1. Default minCount 2; single code points
  // are never "whole" tokens. Characters: ' ' a b e h l p t (code-point order).
  // tokens = [<unk>, ' ', a, b, e, h, l, p, t, alpha]  (ids 0..9)
  // 'alpha beta alpha' -> alpha, ' ', b, e, t, a, ' ', alpha -> [9, 1, 3, 4, 8, 2, 1, 9]
  const text = 'alpha beta alpha';
  const v = Vocabulary.buildToken([text]);
  assert.equal(v.kind, 'token');
  assert.deepEqual(v.tokens, [UNK_TOKEN, ' ', 'a', 'b', 'e', 'h', 'l', 'p', 't', 'alpha']);
  assert.deepEqual(v.split(text), ['alpha', ' ', 'b', 'e', 't', 'a', ' ', 'alpha']);
  assert.deepEqual(ids(v.encode(text)), [9, 1, 3, 4, 8, 2, 1, 9]);
  assert.equal(v.decode(v.encode(text)), text);
});

test('token vocabulary minCount option moves the cutoff', () => {
  // With minCount 1, beta (seen once) is also whole; whole tokens sorted: alpha < beta.
  const v = Vocabulary.buildToken(['alpha beta alpha'], { minCount: 1 });
  assert.deepEqual(v.tokens.slice(-2), ['alpha', 'beta']);
  // With minCount 3 nothing is whole: only <unk> and the 8 characters.
  assert.equal(Vocabulary.buildToken(['alpha beta alpha'], { minCount: 3 }).size, 9);
});

test('token vocabulary round-trips a code snippet with indentation and astral characters', () => {
  const snippet = ['function add(x, y) {', '    const 𝔘 = "😀";', '    return x + y;', '}', '\tif (x) {', '\t\treturn 3.14;', '\t}', ''].join('\n');
  const v = Vocabulary.buildToken([snippet, snippet]);
  // Seen ≥ 2 times across the two copies, so kept whole: the 4-space indent, keywords, 3.14.
  for (const whole of ['    ', 'return', 'function', '3.14', '\t\t']) assert.ok(v.tokens.includes(whole), whole);
  // 😀 is a single code point, so it is one unit (a character), never two halves.
  assert.equal(v.split('😀').length, 1);
  assert.equal(v.decode(v.encode(snippet)), snippet);
  // Text with identifiers the vocabulary never saw whole still round-trips through characters.
  const other = 'function yx(y) {\n  return 𝔘;\n}\n';
  assert.equal(v.countUnknown(other), 0);
  assert.equal(v.decode(v.encode(other)), other);
});

test('token vocabulary maxTokens keeps the most frequent whole tokens, ties in code-point order', () => {
  // 'aa aa aa bb bb cc cc': aa ×3, bb ×2, cc ×2. maxTokens 2 -> aa, then bb beats cc on the tie.
  // tokens = [<unk>, ' ', a, b, c, aa, bb]; 'cc' falls back to c, c.
  const v = Vocabulary.buildToken(['aa aa aa bb bb cc cc'], { maxTokens: 2 });
  assert.deepEqual(v.tokens, [UNK_TOKEN, ' ', 'a', 'b', 'c', 'aa', 'bb']);
  assert.deepEqual(v.split('cc aa'), ['c', 'c', ' ', 'aa']);
  // maxTokens 0: characters only.
  assert.deepEqual(Vocabulary.buildToken(['aa aa aa bb bb cc cc'], { maxTokens: 0 }).tokens, [UNK_TOKEN, ' ', 'a', 'b', 'c']);
});

test('token vocabulary maps an unseen character to unk', () => {
  const v = Vocabulary.buildToken(['ab ab']); // [<unk>, ' ', a, b, ab]
  assert.deepEqual(v.tokens, [UNK_TOKEN, ' ', 'a', 'b', 'ab']);
  // 'ab z' -> ab, ' ', z(unknown) -> [4, 1, 0]
  assert.deepEqual(ids(v.encode('ab z')), [4, 1, 0]);
  assert.equal(v.decode(v.encode('ab z')), 'ab \uFFFD');
});

// --- equals ---------------------------------------------------------------------

test('equals is true only for the same kind, unk and token list', () => {
  const a = Vocabulary.buildChar(['abc']);
  assert.ok(a.equals(Vocabulary.buildChar(['cab'])));
  assert.ok(!a.equals(Vocabulary.buildChar(['abcd'])));
  assert.ok(!a.equals(Vocabulary.buildChar(['abd'])));
  // Same token list [<unk>, a, b, c] but a different kind.
  const t = Vocabulary.buildToken(['abc']);
  assert.deepEqual(t.tokens, a.tokens);
  assert.ok(!a.equals(t));
  // Same kind and tokens, different unk index (a token vocabulary, so '<unk>' may sit at a non-unk index).
  const moved = Vocabulary.fromJSON({ kind: 'token', tokens: [...t.tokens], unk: 1 });
  assert.ok(!t.equals(moved));
  assert.ok(t.equals(Vocabulary.fromJSON({ kind: 'token', tokens: [...t.tokens], unk: 0 })));
});

test('Vocabulary.build dispatches on resolution', () => {
  assert.equal(Vocabulary.build('char', ['ab ab']).kind, 'char');
  const t = Vocabulary.build('token', ['ab ab', 'cd'], { minCount: 1 });
  assert.equal(t.kind, 'token');
  assert.ok(t.tokens.includes('cd'));
});
