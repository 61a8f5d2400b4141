/** A snippet from `library_search`: plain text with matches wrapped in \u0002…\u0003. */
export type SnippetPart = { text: string; mark: boolean };

/** Split a snippet into text and marked parts (rendered as text and <mark>: never as HTML). */
export function splitSnippet(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let mark = false;
  let buf = '';
  const flush = () => {
    if (buf) {
      const last = parts.at(-1);
      if (last && last.mark === mark) last.text += buf;
      else parts.push({ text: buf, mark });
    }
    buf = '';
  };
  for (const ch of snippet) {
    if (ch === '\u0002') {
      flush();
      mark = true;
    } else if (ch === '\u0003') {
      flush();
      mark = false;
    } else {
      buf += ch;
    }
  }
  flush();
  return parts;
}
