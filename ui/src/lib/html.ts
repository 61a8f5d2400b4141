// A small HTML tokenizer for feed-supplied markup. We never hand untrusted markup to the
// browser's HTML parser: even an inert DOMParser document makes Chromium evaluate inline
// `on*` handlers and `style` attributes against the CSP (they are blocked, but reported).
// Instead we tokenize here and rebuild only what an allow-list permits, with DOM APIs.
//
// The tokenizer is forgiving, not a full HTML5 parser: it only has to be safe (callers emit
// nothing it doesn't understand), and faithful enough for show notes and descriptions.

export type Attr = { name: string; value: string };
export type Token =
  | { type: 'text'; raw: string }
  | { type: 'open'; name: string; attrs: Attr[]; selfClosing: boolean }
  | { type: 'close'; name: string };

/** Elements whose content is raw text up to their end tag: skipped entirely. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'plaintext']);

export const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

const TAG_NAME = /[a-zA-Z][^\s/>]*/y;
const ATTR_NAME = /[^\s"'>/=]+/y;
const UNQUOTED = /[^\s>]*/y;
const SPACE = /[\s/]*/y;

function match(re: RegExp, s: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(s);
  return m ? m[0] : null;
}

export function tokenize(html: string): Token[] {
  const out: Token[] = [];
  const n = html.length;
  let i = 0;
  const text = (raw: string) => {
    if (raw) out.push({ type: 'text', raw });
  };
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      text(html.slice(i));
      break;
    }
    text(html.slice(i, lt));
    i = lt;
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (html.startsWith('<![CDATA[', i)) {
      const end = html.indexOf(']]>', i + 9);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const next = html[i + 1];
    if (next === '!' || next === '?') {
      // doctype, CDATA, processing instruction: dropped
      const end = html.indexOf('>', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    const closing = next === '/';
    const name = match(TAG_NAME, html, i + (closing ? 2 : 1));
    if (!name) {
      text('<'); // a lone "<" is text
      i++;
      continue;
    }
    let j = i + (closing ? 2 : 1) + name.length;
    const attrs: Attr[] = [];
    let selfClosing = false;
    let ended = false;
    while (j < n) {
      const ws = match(SPACE, html, j) ?? '';
      selfClosing = ws.endsWith('/');
      j += ws.length;
      if (j >= n) break;
      if (html[j] === '>') {
        ended = true;
        j++;
        break;
      }
      const an = match(ATTR_NAME, html, j);
      if (!an) {
        j++; // a stray quote or "=": skip it
        continue;
      }
      j += an.length;
      let value = '';
      const afterName = match(/\s*/y, html, j) ?? '';
      if (html[j + afterName.length] === '=') {
        j += afterName.length + 1;
        j += (match(/\s*/y, html, j) ?? '').length;
        const q = html[j];
        if (q === '"' || q === "'") {
          const end = html.indexOf(q, j + 1);
          value = html.slice(j + 1, end < 0 ? n : end);
          j = end < 0 ? n : end + 1;
        } else {
          value = match(UNQUOTED, html, j) ?? '';
          j += value.length;
        }
      }
      selfClosing = false;
      if (!closing) attrs.push({ name: an.toLowerCase(), value });
    }
    if (!ended) break; // an unterminated tag at the end swallows the rest, as in HTML
    i = j;
    const lower = name.toLowerCase();
    if (closing) {
      out.push({ type: 'close', name: lower });
      continue;
    }
    out.push({ type: 'open', name: lower, attrs, selfClosing });
    if (RAW_TEXT.has(lower)) {
      // Skip the raw content and its end tag; the consumer sees an empty element.
      const re = new RegExp(`</${lower}[\\s/>]`, 'ig');
      re.lastIndex = i;
      const m = re.exec(html);
      if (!m) break;
      const end = html.indexOf('>', m.index);
      i = end < 0 ? n : end + 1;
      out.push({ type: 'close', name: lower });
    }
  }
  return out;
}

let inert: Document | null = null;
/** A document with no browsing context: nothing created in it loads or runs. */
export function inertDocument(): Document {
  inert ??= document.implementation.createHTMLDocument('');
  return inert;
}

let decoder: HTMLTextAreaElement | null = null;
/** Character references decoded ("&amp;" → "&", "&#8217;" → "’"). Input must be tag-free. */
export function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  // A textarea's content is RCDATA: the fragment parser makes no elements from it.
  decoder ??= inertDocument().createElement('textarea');
  decoder.innerHTML = raw.replace(/</g, '&lt;');
  return decoder.value;
}
