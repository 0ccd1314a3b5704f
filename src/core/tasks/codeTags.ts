import { computeSourceFeatures, TOKEN_KIND_NAMES } from '../features';

/**
 * The syntactic class of every character of source code: part-of-speech
 * tagging for code, labelled by the parser RNN Lab already runs (tree-sitter,
 * or the fallback lexer), so no one labels anything. A string's quotes are
 * `string` and a comment's markers are `comment`; code interpolated into a
 * string (`${…}`) has its own classes.
 */
export const CODE_TAGS = ['keyword', 'identifier', 'string', 'comment', 'number', 'punctuation', 'whitespace', 'other'] as const;
export type CodeTag = (typeof CODE_TAGS)[number];

/** One tag per code point of `text`, in the language of `language` (an id, an extension or a file name). */
export async function tagSourceCode(text: string, language: string): Promise<CodeTag[]> {
  const features = await computeSourceFeatures(text, language);
  const tags = new Array<CodeTag>(features.length);
  for (let i = 0; i < features.length; i++) {
    if (features.inComment[i]) tags[i] = 'comment';
    else if (features.inString[i]) tags[i] = 'string';
    else tags[i] = TOKEN_KIND_NAMES[features.tokenKind[i]];
  }
  return tags;
}
