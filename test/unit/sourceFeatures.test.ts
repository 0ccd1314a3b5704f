/**
 * Per-character source features (src/core/features): tree-sitter for the
 * languages it has a grammar for, the fallback lexer for the rest, all per
 * code point. Expectations are hand-written against the fixtures in
 * test/fixtures/features/.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CodePointOffsets,
  LANGUAGES,
  TokenKind,
  TAB_SIZE,
  computeSourceFeatures,
  disposeFeatureParsers,
  featureVector,
  languageEntry,
  tokenKindVector,
  type SourceFeatures,
} from '../../src/core/features';
import { grammarLanguage, parserFor } from '../../src/core/features/grammars';

const ROOT = path.join(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'features');

after(() => disposeFeatureParsers());

/** The code-point position of the `nth` occurrence of `needle` in `text`, plus `within` code points. */
function at(text: string, needle: string, within = 0, nth = 0): number {
  let index = -1;
  for (let k = 0; k <= nth; k++) {
    index = text.indexOf(needle, index + 1);
    assert.notEqual(index, -1, `${JSON.stringify(needle)} #${nth} not in the text`);
  }
  return [...text.slice(0, index)].length + within;
}

async function fixture(name: string): Promise<{ text: string; f: SourceFeatures }> {
  const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
  return { text, f: await computeSourceFeatures(text, name) };
}

// --- every language: a string holding a bracket, a comment holding a quote ------------

const LANGUAGE_FIXTURES = [
  { file: 'sample.ts', grammar: 'typescript', stringWithBracket: '"a(x"', commentQuote: '"this"' },
  { file: 'sample.js', grammar: 'javascript', stringWithBracket: "'b[y'", commentQuote: '"quoted"' },
  { file: 'sample.py', grammar: 'python', stringWithBracket: '"a(x"', commentQuote: '"comment"' },
  { file: 'sample.cpp', grammar: 'cpp', stringWithBracket: '"a{x"', commentQuote: '"quote"' },
  { file: 'sample.go', grammar: 'go', stringWithBracket: '"a(x"', commentQuote: '"comment"' },
  { file: 'sample.rs', grammar: 'rust', stringWithBracket: '"a[x"', commentQuote: '"comment"' },
  { file: 'sample.java', grammar: 'java', stringWithBracket: '"a(x"', commentQuote: '"comment"' },
  { file: 'sample.cs', grammar: 'c-sharp', stringWithBracket: '"a(x"', commentQuote: '"comment"' },
] as const;

for (const { file, grammar, stringWithBracket, commentQuote } of LANGUAGE_FIXTURES) {
  test(`${file}: a bracket inside a string is in the string and leaves the depth alone; a quote in a comment starts no string`, async () => {
    const { text, f } = await fixture(file);
    assert.equal(f.parser, grammar);
    assert.equal(f.length, [...text].length);

    const open = at(text, stringWithBracket);
    const close = open + stringWithBracket.length - 1;
    for (let p = open; p <= close; p++) {
      assert.equal(f.inString[p], 1, `${file}: position ${p} is inside ${stringWithBracket}`);
      assert.equal(f.tokenKind[p], TokenKind.string);
      assert.equal(f.inComment[p], 0);
      assert.equal(f.depth[p], f.depth[open], `${file}: the bracket in ${stringWithBracket} changes no depth`);
    }
    assert.equal(f.inString[close + 1], 0, 'the string ends at its closing quote');
    assert.equal(f.depth[close + 1], f.depth[open - 1], 'after the string the depth is what it was before');

    const quote = at(text, commentQuote);
    assert.equal(f.inComment[quote], 1);
    assert.equal(f.inString[quote], 0, "a '\"' in a comment is not a string start");
    assert.equal(f.tokenKind[quote], TokenKind.comment);
    // The comment ends with its line: the next line's first character is code again.
    const nextLine = at(text, '\n', 1, text.slice(0, text.indexOf(commentQuote)).split('\n').length - 1);
    assert.equal(f.inComment[nextLine], 0);
    assert.equal(f.inString[nextLine], 0);
  });
}

test('TypeScript: template substitutions are code inside a string, with their own depth; astral characters are one position', async () => {
  const { text, f } = await fixture('sample.ts');
  // 	return `${n}[` + 'é😀(';
  const backtick = at(text, '`');
  const n = at(text, '${n}', 2);
  assert.equal(f.inString[backtick], 1);
  assert.equal(f.inString[n], 0, '${n} is code');
  assert.equal(f.tokenKind[n], TokenKind.identifier);
  assert.equal(f.depth[n], f.depth[backtick] + 1, '${ opens a level');
  assert.equal(f.inString[at(text, '}[`', 1)], 1, "the '[' after the substitution is string again");
  assert.equal(f.depth[at(text, '}[`', 2)], f.depth[backtick], 'and the depth is back');

  // 'é😀(' : é and 😀 are one position each, so '(' is 3 code points after the quote (4 UTF-16 units).
  const quote = at(text, "'é");
  assert.equal(f.inString[quote + 3], 1);
  assert.equal(text.codePointAt(text.indexOf("'é") + 4), '('.codePointAt(0));
  assert.equal([...text][quote + 3], '(');
  assert.equal(f.inString[quote + 4], 1, 'closing quote');
  assert.equal(f.inString[quote + 5], 0, "';' after the string");
  assert.equal(f.tokenKind[quote + 5], TokenKind.punctuation);

  // Keywords, identifiers, punctuation, whitespace; the type `string` is a keyword, not a string.
  assert.equal(f.tokenKind[at(text, 'function')], TokenKind.keyword);
  assert.equal(f.tokenKind[at(text, 'open')], TokenKind.identifier);
  assert.equal(f.tokenKind[at(text, 'string {')], TokenKind.keyword);
  assert.equal(f.inString[at(text, 'string {')], 0);
  assert.equal(f.tokenKind[at(text, ' = "a(x')], TokenKind.whitespace);
  assert.equal(f.tokenKind[at(text, '= "a(x')], TokenKind.punctuation);

  // Brackets: the function body is one deeper than the function; ( and { sit at the outer depth.
  assert.equal(f.depth[at(text, 'function')], 0);
  assert.equal(f.depth[at(text, '(n:')], 0);
  assert.equal(f.depth[at(text, '(n:', 1)], 1);
  assert.equal(f.depth[at(text, 'return')], 1);
  assert.equal(f.depth[at(text, '}\n')], 0, 'the closing brace of the body');
});

test('line features: column and line length in code points, indentation in columns with tabs to the next multiple of 4', async () => {
  const ts = await fixture('sample.ts');
  // "\treturn `${n}[` + 'é😀(';" is 24 code points (25 UTF-16 units); its tab indents to column 4.
  const ret = at(ts.text, 'return');
  assert.equal(TAB_SIZE, 4);
  assert.equal(ts.f.column[ret], 1);
  assert.equal(ts.f.indent[ret], 4);
  assert.equal(ts.f.lineLength[ret], 24);
  const endOfLine = at(ts.text, "';\n", 2);
  assert.equal(ts.f.column[endOfLine], 24, 'the newline sits at the column after the last character');
  assert.equal(ts.f.lineLength[endOfLine], 24, 'and belongs to the line it ends');
  assert.equal(ts.f.indent[endOfLine], 4);
  assert.equal(ts.f.indent[endOfLine + 1], 0, 'next line');
  assert.equal(ts.f.column[endOfLine + 1], 0);

  const py = await fixture('sample.py');
  // '    s = "a(x"' : four spaces, 13 code points.
  const s = at(py.text, 's = ');
  assert.deepEqual([py.f.column[s], py.f.indent[s], py.f.lineLength[s]], [4, 4, 13]);
  const def = at(py.text, 'def');
  assert.deepEqual([py.f.column[def], py.f.indent[def], py.f.lineLength[def]], [0, 0, 9]);
  assert.equal(py.f.depth[at(py.text, 'x):')], 1);
});

test('Python: f-string interpolations are code; a comment with an apostrophe and quotes stays one comment', async () => {
  const { text, f } = await fixture('sample.py');
  // return f"{x}(" + s
  const fQuote = at(text, 'f"');
  assert.equal(f.inString[fQuote], 1, 'the prefix belongs to the string');
  assert.equal(f.inString[fQuote + 3], 0, '{x} is code');
  assert.equal(f.depth[fQuote + 3], 1);
  assert.equal(f.inString[fQuote + 5], 1, "'(' after the interpolation is string");
  assert.equal(f.depth[fQuote + 5], 0);
  const comment = text.slice(0, text.indexOf('\n'));
  for (let p = 0; p < comment.length; p++) assert.equal(f.inComment[p], 1);
});

test('Rust and C#: a character literal holding a bracket, an interpolated string', async () => {
  const rs = await fixture('sample.rs');
  const paren = at(rs.text, "'('", 1);
  assert.equal(rs.f.inString[paren], 1);
  assert.equal(rs.f.depth[paren], 1, 'inside main, not deeper');

  const cs = await fixture('sample.cs');
  // string t = $"{s}(";
  const dollar = at(cs.text, '$"');
  assert.deepEqual([...cs.f.inString.subarray(dollar, dollar + 7)], [1, 1, 0, 0, 0, 1, 1]);
});

test('C++: #include is a keyword, <vector> a string; char is a keyword', async () => {
  const { text, f } = await fixture('sample.cpp');
  assert.equal(f.tokenKind[0], TokenKind.keyword);
  assert.equal(f.inString[at(text, '<vector>')], 1);
  assert.equal(f.tokenKind[at(text, 'char')], TokenKind.keyword);
  assert.equal(f.tokenKind[at(text, '0;')], TokenKind.number);
});

// --- offsets -------------------------------------------------------------------------

test('tree-sitter here reports UTF-16 code units, not bytes: é is one unit, 😀 two', async () => {
  const parser = await parserFor('typescript');
  const text = 'const é = "😀a"; // ü\nlet x = 1;';
  const tree = parser.parse(text)!;
  try {
    const comment = tree.rootNode.children.find((node) => node?.type === 'comment')!;
    assert.equal(comment.startIndex, text.indexOf('//'), 'UTF-16 index (a byte index would be 21)');
    assert.equal(comment.endIndex, text.indexOf('\n'));
    assert.equal(tree.rootNode.endIndex, text.length);
  } finally {
    tree.delete();
  }
});

test('CodePointOffsets maps UTF-16 indices to code points: BMP non-ASCII is one unit, astral two, a lone surrogate one', () => {
  const text = 'aé😀b\uD800c中𝒳';
  const offsets = new CodePointOffsets(text);
  assert.equal(offsets.length, [...text].length);
  assert.equal(offsets.length, 8);
  // UTF-16:  a0 é1 😀2,3 b4 \uD800 5 c6 中7 𝒳8,9 end10
  const expected = [0, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8];
  assert.deepEqual(
    expected.map((_, i) => offsets.toCodePoint(i)),
    expected,
  );
  const ascii = new CodePointOffsets('abc');
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => ascii.toCodePoint(i)),
    [0, 1, 2, 3],
  );
});

test('features line up with code points when astral characters come before a string and a comment', async () => {
  const text = 'let 𝒳 = "😀(😀"; /* "🎉 */ f(x);\n';
  const f = await computeSourceFeatures(text, 'typescript');
  const chars = [...text];
  assert.equal(f.length, chars.length);
  const open = chars.indexOf('"');
  assert.equal(chars[open + 2], '(');
  assert.deepEqual([...f.inString.subarray(open, open + 5)], [1, 1, 1, 1, 1]);
  assert.equal(f.inString[open + 5], 0);
  const quoteInComment = chars.indexOf('"', open + 5);
  assert.equal(f.inComment[quoteInComment], 1);
  assert.equal(f.inComment[quoteInComment + 1], 1, 'the emoji in the comment');
  const x = chars.lastIndexOf('x');
  assert.equal(f.depth[x], 1);
  assert.equal(f.column[x], x);
  assert.equal(f.lineLength[x], chars.length - 1);
});

test('a lone surrogate is one position and breaks nothing', async () => {
  const text = 'x = "\uD800(" // \uDC00\n';
  const f = await computeSourceFeatures(text, 'ts');
  assert.equal(f.parser, 'typescript');
  assert.equal(f.length, [...text].length);
  assert.equal(f.inString[5], 1);
  assert.equal(f.inComment[text.indexOf('\uDC00')], 1);
});

// --- the fallback lexer and edge cases ---------------------------------------------------

test('an unknown extension goes to the fallback lexer: strings with escapes, // # /* */ comments, brackets', async () => {
  const text = 'call("a(\\"x", \'b\') # it\'s "c"\n/* {"d" */ [`e\nf` ] // g\ndon\'t';
  const f = await computeSourceFeatures(text, 'notes.xyz');
  assert.equal(f.parser, 'fallback');
  const str = at(text, '"a(');
  const strEnd = at(text, '",');
  for (let p = str; p <= strEnd; p++) assert.equal(f.inString[p], 1, `position ${p} in "a(\\"x"`);
  assert.equal(f.inString[strEnd + 1], 0);
  assert.equal(f.depth[strEnd + 1], 1, 'the ( in the string opened nothing');
  assert.equal(f.inString[at(text, "'b'", 1)], 1);
  assert.equal(f.depth[at(text, ') #')], 0);
  assert.equal(f.inComment[at(text, 'it\'s "c"', 6)], 1);
  assert.equal(f.inString[at(text, 'it\'s "c"', 6)], 0);
  assert.equal(f.inComment[at(text, '{"d"')], 1);
  assert.equal(f.depth[at(text, '[`', 1)], 1, 'the { in the comment opened nothing');
  assert.equal(f.inString[at(text, 'f`')], 1, 'backtick strings span lines');
  assert.equal(f.inComment[at(text, '// g', 3)], 1);
  assert.equal(f.inString[at(text, "n't", 1)], 0, 'an apostrophe in a word starts no string');
  assert.equal(f.tokenKind[at(text, 'call')], TokenKind.identifier);
  assert.equal(f.tokenKind[at(text, ', ')], TokenKind.punctuation);
});

test('language ids, extensions and file names share one table; anything else falls back without throwing', async () => {
  assert.equal(languageEntry('typescriptreact')?.grammar, 'tsx');
  assert.equal(languageEntry('.tsx')?.grammar, 'tsx');
  assert.equal(languageEntry('src/App.TSX')?.grammar, 'tsx');
  assert.equal(languageEntry('c')?.grammar, 'cpp');
  assert.equal(languageEntry('shellscript')?.grammar, 'bash');
  assert.equal(languageEntry('csharp')?.grammar, 'c-sharp');
  assert.equal(languageEntry('markdown'), undefined);
  for (const language of ['', 'markdown', 'Makefile', '.', 'C:\\x\\y.unknown', '../..']) {
    const f = await computeSourceFeatures('a = "b" // c\n', language);
    assert.equal(f.parser, 'fallback', language);
    assert.equal(f.inString[5], 1);
  }
});

test('every string, hole and comment node type in the table exists in its grammar', async () => {
  for (const entry of LANGUAGES) {
    const language = await grammarLanguage(entry.grammar);
    for (const type of [...entry.strings, ...entry.holes, ...entry.comments]) {
      assert.ok(language.idForNodeType(type, true), `${entry.grammar} has no named node type ${type}`);
    }
  }
});

test('empty text, newlines only, CRLF and a huge line', async () => {
  for (const language of ['ts', 'py', 'unknown']) {
    const empty = await computeSourceFeatures('', language);
    assert.equal(empty.parser, language === 'unknown' ? 'fallback' : languageEntry(language)!.grammar);
    assert.equal(empty.length, 0);
    assert.equal(empty.depth.length, 0);
    const newlines = await computeSourceFeatures('\n\n\n', language);
    assert.equal(newlines.length, 3);
    assert.deepEqual([...newlines.column, ...newlines.lineLength, ...newlines.depth, ...newlines.indent], new Array(12).fill(0));
    assert.deepEqual([...newlines.tokenKind], [0, 0, 0]);
  }
  const crlf = await computeSourceFeatures('ab\r\n  c\r\n', 'ts');
  assert.deepEqual([...crlf.lineLength], [2, 2, 2, 2, 3, 3, 3, 3, 3]);
  assert.deepEqual([...crlf.column], [0, 1, 2, 3, 0, 1, 2, 3, 4]);
  assert.deepEqual([...crlf.indent], [0, 0, 0, 0, 2, 2, 2, 2, 2]);

  const huge = 'const a = [' + '1, '.repeat(100_000) + '"(" ];';
  for (const language of ['ts', 'unknown']) {
    const f = await computeSourceFeatures(huge, language);
    assert.equal(f.length, huge.length);
    assert.equal(f.column[huge.length - 1], huge.length - 1);
    assert.equal(f.lineLength[0], huge.length);
    assert.equal(f.depth[huge.length - 4], 1, 'the "(" near the end is in the array, not deeper');
    assert.equal(f.inString[huge.length - 4], 1);
    assert.equal(f.depth[huge.length - 1], 0);
  }
});

test('indentation over 32767 columns and deep nesting are clamped, not wrapped', async () => {
  const text = ' '.repeat(40_000) + 'x\n' + '('.repeat(40_000) + 'y';
  for (const language of ['ts', 'unknown']) {
    const f = await computeSourceFeatures(text, language);
    assert.equal(f.indent[40_000], 32767);
    assert.equal(f.depth[f.length - 1], 32767);
  }
});

// --- helpers for the ranking code ----------------------------------------------------------

test('featureVector and tokenKindVector give one float per position', async () => {
  const f = await computeSourceFeatures('f("a")\n', 'js');
  assert.ok(featureVector(f, 'inString') instanceof Float32Array);
  assert.deepEqual([...featureVector(f, 'inString')], [0, 0, 1, 1, 1, 0, 0]);
  assert.deepEqual([...featureVector(f, 'depth')], [0, 0, 1, 1, 1, 0, 0]);
  assert.deepEqual([...featureVector(f, 'column')], [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...tokenKindVector(f, 'identifier')], [1, 0, 0, 0, 0, 0, 0]);
});

test('a grammar loads once and is reused; after disposeFeatureParsers it loads again', async () => {
  const first = parserFor('python');
  assert.equal(parserFor('python'), first);
  await first;
  disposeFeatureParsers();
  const again = await computeSourceFeatures('x = "("\n', 'python');
  assert.equal(again.parser, 'python');
  assert.equal(again.inString[5], 1);
  assert.notEqual(parserFor('python'), first);
});

// --- bundling --------------------------------------------------------------------------------

test('bundled as scripts/build.mjs bundles the engine, the features find the grammars in node_modules', async () => {
  const build = fs.readFileSync(path.join(ROOT, 'scripts', 'build.mjs'), 'utf8');
  assert.match(build, /external:[^\]]*'@vscode\/tree-sitter-wasm'/, 'scripts/build.mjs keeps @vscode/tree-sitter-wasm external');
  // A bundle in a folder of its own inside the project, like dist/, with the same options.
  const { build: esbuild } = await import('esbuild');
  const outfile = path.join(ROOT, 'out', 'bundle-check', 'features.js');
  await esbuild({
    entryPoints: [path.join(ROOT, 'src', 'core', 'features', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    external: ['vscode', '@tensorflow/*', 'onnxruntime-node', '@vscode/tree-sitter-wasm'],
  });
  const script =
    `require(${JSON.stringify(outfile)}).computeSourceFeatures('s = "("', 'py')` +
    '.then((f) => process.stdout.write(JSON.stringify({ parser: f.parser, s: [...f.inString] })))';
  const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  assert.deepEqual(result, { parser: 'python', s: [0, 0, 0, 0, 1, 1, 1] });
});
