import { TaskDataError, type TagExample } from './taskData';

/**
 * CoNLL-U (Universal Dependencies): one word per line in ten TAB-separated
 * columns, sentences separated by blank lines, `#` comment lines. The FORM
 * (2nd) and UPOS (4th) columns give the token and its tag. Multi-word token
 * ranges (`3-4`) and empty nodes (`5.1`) are skipped: the words they cover
 * have lines of their own.
 */
export function parseConllU(text: string, file: string): TagExample[] {
  return parseSentences(text, file, (fields, line) => {
    if (fields.length !== 10) throw new TaskDataError(file, line, 1, `10 TAB-separated columns (CoNLL-U), found ${fields.length}`);
    const id = fields[0];
    if (/^\d+-\d+$/.test(id) || /^\d+\.\d+$/.test(id)) return undefined;
    if (!/^\d+$/.test(id))
      throw new TaskDataError(file, line, 1, `a word index (1, 2, …), a range (3-4) or an empty node (5.1) in the ID column, found "${id}"`);
    const upos = fields[3];
    if (upos === '' || upos === '_') throw new TaskDataError(file, line, columnOf(fields, 3), 'a part-of-speech tag in the UPOS column, found none');
    if (fields[1] === '') throw new TaskDataError(file, line, columnOf(fields, 1), 'a word in the FORM column');
    return { token: fields[1], tag: upos };
  });
}

/** Two columns, `token<TAB>tag`, one token per line, blank lines between sentences (CoNLL-2000/2003 style, tag last). */
export function parseTwoColumn(text: string, file: string): TagExample[] {
  return parseSentences(text, file, (fields, line) => {
    if (fields.length !== 2) throw new TaskDataError(file, line, 1, `token<TAB>tag, found ${fields.length} column${fields.length === 1 ? '' : 's'}`);
    if (fields[0] === '') throw new TaskDataError(file, line, 1, 'a token before the TAB');
    if (fields[1].trim() === '') throw new TaskDataError(file, line, columnOf(fields, 1), 'a tag after the TAB');
    return { token: fields[0], tag: fields[1].trim() };
  });
}

type ReadLine = (fields: string[], line: number) => { token: string; tag: string } | undefined;

function parseSentences(text: string, file: string, read: ReadLine): TagExample[] {
  const sentences: TagExample[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  let start = 0; // first line of the sentence block being read, 0 between blocks
  const end = () => {
    if (tokens.length) sentences.push({ tokens, tags, source: `${file}:${start}`, group: file });
    tokens = [];
    tags = [];
    start = 0;
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return end();
    if (raw.startsWith('#')) return;
    if (start === 0) start = line;
    const word = read(raw.split('\t'), line);
    if (!word) return;
    tokens.push(word.token);
    tags.push(word.tag);
  });
  end();
  return sentences;
}

/** 1-based column where field `index` starts. */
function columnOf(fields: string[], index: number): number {
  return fields.slice(0, index).reduce((n, f) => n + f.length + 1, 1);
}
