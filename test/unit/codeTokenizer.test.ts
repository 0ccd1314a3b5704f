import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeCode } from '../../src/core/codeTokenizer';

test('identifiers may contain $ and _ and digits after the first character', () => {
  assert.deepEqual(tokenizeCode('let $x_1 = _y$;'), ['let', ' ', '$x_1', ' ', '=', ' ', '_y$', ';']);
  // A digit cannot start an identifier: '2x' is a number then an identifier.
  assert.deepEqual(tokenizeCode('x2 2x'), ['x2', ' ', '2', 'x']);
});

test('numbers take one decimal part; a trailing or second dot is its own token', () => {
  assert.deepEqual(tokenizeCode('3.14 + 10'), ['3.14', ' ', '+', ' ', '10']);
  assert.deepEqual(tokenizeCode('1.2.3'), ['1.2', '.', '3']);
  assert.deepEqual(tokenizeCode('10.'), ['10', '.']);
  assert.deepEqual(tokenizeCode('.5'), ['.', '5']);
});

test('a run of spaces and a run of tabs are each one token, never mixed; newline is its own token', () => {
  assert.deepEqual(tokenizeCode('    if (a)\n\t\treturn'), ['    ', 'if', ' ', '(', 'a', ')', '\n', '\t\t', 'return']);
  assert.deepEqual(tokenizeCode(' \t  \t\t'), [' ', '\t', '  ', '\t\t']);
  assert.deepEqual(tokenizeCode('\n\n'), ['\n', '\n']);
  // CRLF: '\r' is an ordinary single character, '\n' the newline token.
  assert.deepEqual(tokenizeCode('a\r\nb'), ['a', '\r', '\n', 'b']);
});

test('operators are split one code point at a time', () => {
  assert.deepEqual(tokenizeCode('a===b'), ['a', '=', '=', '=', 'b']);
  assert.deepEqual(tokenizeCode('x=>x!=0'), ['x', '=', '>', 'x', '!', '=', '0']);
  assert.deepEqual(tokenizeCode('f(a[i]);'), ['f', '(', 'a', '[', 'i', ']', ')', ';']);
  assert.deepEqual(tokenizeCode('"hi"'), ['"', 'hi', '"']);
});

test('non-Latin identifiers stay whole', () => {
  assert.deepEqual(tokenizeCode('const π = größe + 変数;'), ['const', ' ', 'π', ' ', '=', ' ', 'größe', ' ', '+', ' ', '変数', ';']);
  assert.deepEqual(tokenizeCode('переменная_2'), ['переменная_2']);
  // 𝔘 (U+1D518) is an astral letter: it starts an identifier.
  assert.deepEqual(tokenizeCode('𝔘x = 1'), ['𝔘x', ' ', '=', ' ', '1']);
});

test('an astral emoji is one token, not two UTF-16 halves', () => {
  assert.deepEqual(tokenizeCode('x😀y'), ['x', '😀', 'y']);
  assert.deepEqual(tokenizeCode('😀😀'), ['😀', '😀']);
});

test('the empty string has no tokens', () => {
  assert.deepEqual(tokenizeCode(''), []);
});

test('joining the tokens always gives the input back', () => {
  const samples = [
    '',
    ' ',
    '\t',
    'function add(a, b) {\n  return a + b; // 😀\n}\n',
    'if x:\r\n\tprint("π ≈ 3.14159")\r\n',
    '   \t \t\t  mixed \u00a0 whitespace \u2028 and \f form feed\v',
    '1.2.3..4 .5 6. 𝔘𝔘 $$ __ ½ ١٢٣',
    'lone surrogates \uD800 and \uDC00 survive',
    '変数 = "값"; // комментарий',
    'a'.repeat(1000) + '\n'.repeat(3),
  ];
  for (const s of samples) {
    const tokens = tokenizeCode(s);
    assert.equal(tokens.join(''), s, JSON.stringify(s));
    assert.ok(
      tokens.every((t) => t.length > 0),
      'no empty tokens',
    );
  }
});
