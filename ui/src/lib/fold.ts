// Case- and accent-insensitive matching for "find in transcript": text is folded (NFD, marks
// dropped, lower-cased) with a map from every folded position back to the original, so a match
// found in the folded text can be marked in the text as shown.

export type Folded = {
  /** The folded text. */
  text: string;
  /** `map[k]`: index in the original of folded char `k`; `map[text.length]` = original length. */
  map: Uint32Array;
};

const MARKS = /\p{M}/gu;

/** Fold one code point (may give 0, 1 or several chars). */
function foldChar(ch: string): string {
  return ch.normalize('NFD').replace(MARKS, '').toLowerCase().normalize('NFD').replace(MARKS, '');
}

/** Fold a whole string for comparison (no map). */
export function foldText(s: string): string {
  return s.normalize('NFD').replace(MARKS, '').toLowerCase().normalize('NFD').replace(MARKS, '');
}

export function fold(s: string): Folded {
  let out = '';
  const map: number[] = [];
  let i = 0;
  for (const ch of s) {
    // Plain ASCII is by far the common case.
    const c = ch.charCodeAt(0);
    const f = c < 0x80 ? (c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : ch) : foldChar(ch);
    for (let k = 0; k < f.length; k++) map.push(i);
    out += f;
    i += ch.length;
  }
  map.push(s.length);
  return { text: out, map: Uint32Array.from(map) };
}

/** Ranges `[start, end)` in the original text where `needle` (already folded) occurs. */
export function matchRanges(f: Folded, needle: string): [number, number][] {
  const out: [number, number][] = [];
  if (!needle) return out;
  let from = 0;
  for (;;) {
    const k = f.text.indexOf(needle, from);
    if (k < 0) break;
    const start = f.map[k];
    // The end: the original position where the char after the match begins.
    const end = f.map[k + needle.length];
    if (end > start) out.push([start, end]);
    from = k + Math.max(1, needle.length);
  }
  return out;
}
