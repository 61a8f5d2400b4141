// Defence in depth for show notes. The backend already sanitizes `showNotesHtml`; we clean
// it once more before `{@html}` so that a backend bug can't put script, inline handlers,
// inline styles (CSP violations) or `javascript:` URLs into the app window.
//
// The markup is tokenized by lib/html.ts (never by the browser's parser) and rebuilt from
// scratch with DOM APIs in an inert document: only allow-listed elements and attributes,
// with checked values, exist in the result.
import { decodeEntities, inertDocument, tokenize, VOID } from './html';

/** Kept, with their allowed attributes. */
const ALLOWED = new Map<string, readonly string[]>([
  ['a', ['href', 'title', 'data-seek']],
  ['img', ['src', 'alt', 'title', 'width', 'height']],
  ['td', ['colspan', 'rowspan']],
  ['th', ['colspan', 'rowspan']],
]);
for (const tag of [
  'p', 'br', 'hr', 'b', 'strong', 'i', 'em', 'u', 's', 'small', 'sub', 'sup', 'mark', 'code', 'pre', 'kbd',
  'blockquote', 'q', 'cite', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'span',
  'div', 'figure', 'figcaption', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'caption',
]) {
  if (!ALLOWED.has(tag)) ALLOWED.set(tag, []);
}

/** Removed together with everything inside them. Any other unknown element is unwrapped. */
const DROPPED = new Set([
  'script', 'style', 'template', 'noscript', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet',
  'svg', 'math', 'form', 'input', 'button', 'textarea', 'select', 'option', 'link', 'meta', 'base',
  'audio', 'video', 'source', 'track', 'canvas', 'portal', 'head', 'title', 'xmp', 'noembed', 'noframes',
]);

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const MAX_DEPTH = 64;

/** An absolute http(s)/mailto URL, or null. */
export function safeExternalUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    const u = new URL(raw.trim());
    return LINK_PROTOCOLS.has(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

function safeImageSrc(raw: string | undefined): string | null {
  if (!raw) return null;
  const v = raw.trim();
  if (/^data:image\/(png|jpe?g|gif|webp|avif);base64,[a-z0-9+/=\s]+$/i.test(v)) return v;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null; // relative URLs mean nothing inside the app
  }
}

/** Seconds from a `data-seek` value, or null if it isn't a sensible time. */
export function seekSeconds(raw: string | null | undefined): number | null {
  if (raw == null || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** A new element with the allowed, checked attributes; null to leave the element out. */
function build(doc: Document, name: string, rawAttrs: { name: string; value: string }[]): Element | null {
  const allowed = ALLOWED.get(name) ?? [];
  const attrs = new Map<string, string>();
  for (const a of rawAttrs) {
    if (allowed.includes(a.name) && !attrs.has(a.name)) attrs.set(a.name, decodeEntities(a.value));
  }
  const el = doc.createElement(name);
  if (name === 'a') {
    const seek = seekSeconds(attrs.get('data-seek'));
    if (seek != null) {
      el.setAttribute('href', '#');
      el.setAttribute('data-seek', String(seek));
    } else {
      const href = safeExternalUrl(attrs.get('href'));
      if (href) {
        el.setAttribute('href', href);
        el.setAttribute('rel', 'noopener noreferrer');
      }
    }
    const title = attrs.get('title');
    if (title) el.setAttribute('title', title);
    return el;
  }
  if (name === 'img') {
    const src = safeImageSrc(attrs.get('src'));
    if (!src) return null;
    el.setAttribute('src', src);
    el.setAttribute('alt', attrs.get('alt') ?? '');
    el.setAttribute('loading', 'lazy');
    el.setAttribute('decoding', 'async');
    el.setAttribute('referrerpolicy', 'no-referrer');
    for (const k of ['title', 'width', 'height']) {
      const v = attrs.get(k);
      if (v && (k === 'title' || /^\d{1,4}$/.test(v))) el.setAttribute(k, v);
    }
    return el;
  }
  for (const k of ['colspan', 'rowspan']) {
    const v = attrs.get(k);
    if (v && /^\d{1,3}$/.test(v)) el.setAttribute(k, v);
  }
  return el;
}

/** Show notes HTML reduced to a safe subset; '' for nothing to show. */
export function sanitizeShowNotes(html: string | null | undefined): string {
  if (!html || !html.trim()) return '';
  const doc = inertDocument();
  const root = doc.createElement('div');
  const stack: Element[] = [root];
  let skipping: { name: string; depth: number } | null = null;

  for (const t of tokenize(html)) {
    if (skipping) {
      if (t.type === 'open' && t.name === skipping.name && !t.selfClosing) skipping.depth++;
      else if (t.type === 'close' && t.name === skipping.name && --skipping.depth === 0) skipping = null;
      continue;
    }
    const top = stack[stack.length - 1];
    if (t.type === 'text') {
      top.append(doc.createTextNode(decodeEntities(t.raw)));
    } else if (t.type === 'open') {
      if (DROPPED.has(t.name)) {
        if (!t.selfClosing && !VOID.has(t.name)) skipping = { name: t.name, depth: 1 };
        continue;
      }
      if (!ALLOWED.has(t.name)) continue; // unknown: unwrapped (its text stays)
      const el = build(doc, t.name, t.attrs);
      if (!el) continue;
      top.append(el);
      if (!VOID.has(t.name) && !t.selfClosing && stack.length < MAX_DEPTH) stack.push(el);
    } else {
      // Close the innermost open element of that name (and anything left open inside it).
      for (let k = stack.length - 1; k > 0; k--) {
        if (stack[k].localName === t.name) {
          stack.length = k;
          break;
        }
      }
    }
  }
  return root.innerHTML.trim();
}
