// Plain text out of feed-supplied strings that may carry markup (descriptions are NOT
// sanitized by the backend). Tags are dropped by our own tokenizer (lib/html.ts) — the
// input never reaches the browser's HTML parser — and the result is rendered as text.
import { decodeEntities, tokenize, VOID } from './html';

/** A paragraph break before and after these. */
const PARAGRAPH = new Set([
  'p', 'div', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'hr', 'pre',
  'section', 'article', 'header', 'footer', 'table', 'dl', 'figure',
]);
/** A line break where these start. */
const LINE = new Set(['br', 'tr', 'dt', 'dd']);
/** Their content is not text a reader should see. */
const SKIP = new Set(['script', 'style', 'template', 'svg', 'math', 'head', 'object', 'select']);

/**
 * Tags stripped, entities decoded, whitespace tidied. With `paragraphs`, line breaks from
 * block elements survive (at most one blank line in a row); otherwise it is one line.
 */
export function plainText(input: string | null | undefined, { paragraphs = false } = {}): string {
  if (!input) return '';
  let text = '';
  if (!input.includes('<')) {
    text = decodeEntities(input);
  } else {
    const parts: string[] = [];
    let skipping: { name: string; depth: number } | null = null;
    for (const t of tokenize(input)) {
      if (skipping) {
        if (t.type === 'open' && t.name === skipping.name && !t.selfClosing) skipping.depth++;
        else if (t.type === 'close' && t.name === skipping.name && --skipping.depth === 0) skipping = null;
        continue;
      }
      // In markup, source line breaks are just spaces; block elements make the breaks.
      if (t.type === 'text') parts.push(decodeEntities(t.raw.replace(/\s+/g, ' ')));
      else if (t.type === 'open' && SKIP.has(t.name) && !t.selfClosing && !VOID.has(t.name)) skipping = { name: t.name, depth: 1 };
      else if (PARAGRAPH.has(t.name)) parts.push('\n\n');
      else if (t.type === 'open' && LINE.has(t.name)) parts.push('\n');
      else if (t.type === 'open' && t.name === 'li') parts.push('\n• ');
    }
    text = parts.join('');
  }
  if (!paragraphs) return text.replace(/\s+/g, ' ').trim();
  return text
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\r?\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
