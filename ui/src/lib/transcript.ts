// Pure helpers of the transcript view: where each timed word sits in its line's text, how a
// line splits into word spans and find-in-transcript marks, and where chapter headings go.
import type { Chapter, Segment } from './api';

/** A timed word's place in its segment's text: word `w` covers `text.slice(a, b)`. */
export type WordRange = { w: number; a: number; b: number };

/**
 * Where each of `seg.words` sits in `seg.text`, found in order (case-insensitively). Words that
 * can't be found are left out (they still time the line; they just aren't highlighted).
 */
export function wordRanges(seg: Segment): WordRange[] {
  const words = seg.words;
  if (!words?.length) return [];
  const hay = seg.text.toLowerCase();
  const out: WordRange[] = [];
  let from = 0;
  words.forEach((word, w) => {
    const needle = word.text.trim().toLowerCase();
    if (!needle) return;
    const k = hay.indexOf(needle, from);
    if (k < 0) return;
    out.push({ w, a: k, b: k + needle.length });
    from = k + needle.length;
  });
  return out;
}

/** A run of text, marked when it is part of find-in-transcript match `match`. */
export type Part = { text: string; match: number };
/** A timed word (`word` ≥ 0) or the text between words (`word` = -1), split at match edges. */
export type Chunk = { word: number; a: number; parts: Part[] };

/**
 * Split `text` into chunks: one per timed word and one per stretch between them, each split
 * into parts at the edges of `matches` (`[start, end, matchNumber]`, sorted, not overlapping).
 */
export function chunksOf(text: string, words: readonly WordRange[], matches: readonly [number, number, number][]): Chunk[] {
  const bounds: { word: number; a: number; b: number }[] = [];
  let pos = 0;
  for (const r of words) {
    if (r.a > pos) bounds.push({ word: -1, a: pos, b: r.a });
    bounds.push({ word: r.w, a: r.a, b: r.b });
    pos = r.b;
  }
  if (pos < text.length || bounds.length === 0) bounds.push({ word: -1, a: pos, b: text.length });
  let m = 0;
  return bounds.map(({ word, a, b }) => {
    const parts: Part[] = [];
    let at = a;
    while (m < matches.length && matches[m][1] <= a) m++;
    let k = m;
    while (at < b) {
      const match = matches[k];
      if (!match || match[0] >= b) {
        parts.push({ text: text.slice(at, b), match: -1 });
        break;
      }
      if (match[0] > at) {
        parts.push({ text: text.slice(at, match[0]), match: -1 });
        at = match[0];
      }
      const end = Math.min(b, match[1]);
      parts.push({ text: text.slice(at, end), match: match[2] });
      at = end;
      if (match[1] <= b) k++;
    }
    return { word, a, parts };
  });
}

/**
 * Segment index → the chapters whose heading goes before it: each chapter goes before the
 * first segment starting at or after the chapter's start (none if no segment does).
 */
export function chapterHeadings(chapters: readonly Chapter[], segments: readonly Segment[]): Map<number, Chapter[]> {
  const out = new Map<number, Chapter[]>();
  for (const ch of chapters) {
    let lo = 0;
    let hi = segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (segments[mid].start < ch.start - 1e-6) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= segments.length) continue;
    const list = out.get(lo);
    if (list) list.push(ch);
    else out.set(lo, [ch]);
  }
  return out;
}
