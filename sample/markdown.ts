/**
 * A small Markdown-to-HTML converter: headings, paragraphs, emphasis, code,
 * links, block quotes and lists. Enough for a README, and short enough to read.
 */

export interface RenderOptions {
  /** Prefix for heading ids, so that two documents on one page do not clash. */
  idPrefix?: string;
  /** Open links in a new tab. */
  externalLinks?: boolean;
}

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'code'; language: string; lines: string[] }
  | { kind: 'quote'; blocks: Block[] }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'rule' };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML: the five characters that could open a tag or end an attribute are escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** "Hello, World!" -> "hello-world". */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-');
}

/** Splits the source into blocks, line by line. */
export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```\s*$/.test(lines[i])) body.push(lines[i++]);
      blocks.push({ kind: 'code', language: fence[1], lines: body });
      i++; // the closing fence
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1].length, text: heading[2] });
      i++;
      continue;
    }
    if (/^(\*\s*){3,}$|^(-\s*){3,}$/.test(line.trim())) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (line.startsWith('>')) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i].startsWith('>')) quoted.push(lines[i++].replace(/^>\s?/, ''));
      blocks.push({ kind: 'quote', blocks: parseBlocks(quoted.join('\n')) });
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+/.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1]);
      const items: string[] = [];
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        items.push(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ''));
        i++;
      }
      blocks.push({ kind: 'list', ordered, items });
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && !/^(#{1,6}\s|```|>)/.test(lines[i])) paragraph.push(lines[i++].trim());
    blocks.push({ kind: 'paragraph', text: paragraph.join(' ') });
  }
  return blocks;
}

/** Emphasis, strong, inline code and links inside one block of text. */
export function renderInline(text: string, options: RenderOptions = {}): string {
  const codeSpans: string[] = [];
  // Code spans first, so that nothing inside them is read as Markdown.
  let html = text.replace(/`([^`]+)`/g, (_, code: string) => {
    codeSpans.push(`<code>${escapeHtml(code)}</code>`);
    return `\u0000${codeSpans.length - 1}\u0000`;
  });
  html = escapeHtml(html);
  html = html.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  html = html.replace(/(^|[^*])\*([^*]+)\*/g, '$1<em>$2</em>');
  html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label: string, href: string) => {
    const safe = /^(https?:|mailto:|#|\/)/.test(href) ? href : '#';
    const target = options.externalLinks && safe.startsWith('http') ? ' target="_blank" rel="noopener"' : '';
    return `<a href="${safe}"${target}>${label}</a>`;
  });
  return html.replace(/\u0000(\d+)\u0000/g, (_, n: string) => codeSpans[Number(n)]);
}

function renderBlock(block: Block, options: RenderOptions): string {
  switch (block.kind) {
    case 'heading': {
      const id = `${options.idPrefix ?? ''}${slug(block.text)}`;
      return `<h${block.level} id="${id}">${renderInline(block.text, options)}</h${block.level}>`;
    }
    case 'paragraph':
      return `<p>${renderInline(block.text, options)}</p>`;
    case 'code': {
      const cls = block.language ? ` class="language-${escapeHtml(block.language)}"` : '';
      return `<pre><code${cls}>${escapeHtml(block.lines.join('\n'))}</code></pre>`;
    }
    case 'quote':
      return `<blockquote>\n${block.blocks.map((b) => renderBlock(b, options)).join('\n')}\n</blockquote>`;
    case 'list': {
      const tag = block.ordered ? 'ol' : 'ul';
      const items = block.items.map((item) => `  <li>${renderInline(item, options)}</li>`).join('\n');
      return `<${tag}>\n${items}\n</${tag}>`;
    }
    case 'rule':
      return '<hr>';
  }
}

/** The whole document as HTML, one block per line. */
export function renderMarkdown(source: string, options: RenderOptions = {}): string {
  return parseBlocks(source)
    .map((block) => renderBlock(block, options))
    .join('\n');
}

/** The headings as a nested table of contents. */
export function tableOfContents(source: string, options: RenderOptions = {}): string {
  const headings = parseBlocks(source).filter((b): b is Extract<Block, { kind: 'heading' }> => b.kind === 'heading');
  if (headings.length === 0) return '';
  const lines: string[] = [];
  for (const h of headings) {
    const indent = '  '.repeat(h.level - 1);
    lines.push(`${indent}- [${h.text}](#${options.idPrefix ?? ''}${slug(h.text)})`);
  }
  return renderMarkdown(lines.join('\n'), options);
}

/** A short text with a little of everything, for trying the converter: renderMarkdown(EXAMPLE). */
export const EXAMPLE = [
  '# Notes on *recurrent* networks',
  '',
  'A recurrent network reads a sequence **one step at a time** and keeps a `state`.',
  '',
  '> The state is a summary of everything read so far.',
  '',
  '1. Read a character.',
  '2. Update the state.',
  '3. Predict the next character.',
  '',
  '```ts',
  'const h = tanh(W * x + U * hPrev + b);',
  '```',
  '',
  'See [the lecture](https://example.org/rnn) for more.',
].join('\n');
