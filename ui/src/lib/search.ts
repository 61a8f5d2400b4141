/**
 * Index of the last item whose `start` is <= `t`, or -1 if none.
 * `items` must be sorted by `start` ascending.
 */
export function lastStartingAtOrBefore<T extends { start: number }>(items: readonly T[], t: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].start <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Current chapter: the last one that has started, unless it has an explicit end already passed. */
export function chapterIndexAt<T extends { start: number; end: number | null }>(chapters: readonly T[], t: number): number {
  const i = lastStartingAtOrBefore(chapters, t);
  if (i < 0) return -1;
  const end = chapters[i].end;
  return end != null && end > chapters[i].start && t >= end ? -1 : i;
}

/** Active cue: the last one that has started, if `t` is still before its end (gaps → -1). */
export function cueIndexAt<T extends { start: number; end: number }>(cues: readonly T[], t: number): number {
  const i = lastStartingAtOrBefore(cues, t);
  return i >= 0 && t < cues[i].end ? i : -1;
}

export function sortedByStart<T extends { start: number }>(items: readonly T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => a.item.start - b.item.start || a.i - b.i)
    .map(({ item }) => item);
}
