// Library-wide transcript search (`library_search`): the query typed in the header, debounced,
// and the newest answer (an older reply that arrives late is dropped).
import { api, type SearchHit } from './api';
import { errors } from './errors.svelte';

/** Typing pauses this long before a search goes out. */
export const SEARCH_DEBOUNCE_MS = 150;

/** Hits of one episode, in the order the backend ranked them (best episode first). */
export type SearchGroup = {
  episodeId: number;
  podcastId: number;
  podcastTitle: string;
  episodeTitle: string;
  hits: SearchHit[];
};

export function groupHits(hits: readonly SearchHit[]): SearchGroup[] {
  const groups = new Map<number, SearchGroup>();
  for (const h of hits) {
    let g = groups.get(h.episodeId);
    if (!g) {
      g = { episodeId: h.episodeId, podcastId: h.podcastId, podcastTitle: h.podcastTitle, episodeTitle: h.episodeTitle, hits: [] };
      groups.set(h.episodeId, g);
    }
    g.hits.push(h);
  }
  // Within an episode, in the order they are spoken.
  for (const g of groups.values()) g.hits.sort((a, b) => a.start - b.start);
  return [...groups.values()];
}

class LibrarySearch {
  /** What is in the search box. */
  query = $state('');
  /** The query the results answer (null: none yet). */
  answered = $state<string | null>(null);
  hits = $state.raw<SearchHit[]>([]);
  searching = $state(false);
  groups = $derived(groupHits(this.hits));

  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;

  /** The box changed: search after a short pause (an empty box clears the results at once). */
  setQuery(q: string) {
    this.query = q;
    clearTimeout(this.#timer);
    if (!q.trim()) {
      this.#seq++;
      this.hits = [];
      this.answered = null;
      this.searching = false;
      return;
    }
    this.searching = true;
    this.#timer = setTimeout(() => void this.run(), SEARCH_DEBOUNCE_MS);
  }

  /** Search now (Enter). */
  async run() {
    clearTimeout(this.#timer);
    const q = this.query.trim();
    if (!q) return;
    const seq = ++this.#seq;
    this.searching = true;
    try {
      const hits = await api.librarySearch(q);
      if (seq !== this.#seq) return;
      this.hits = Array.isArray(hits) ? hits : [];
      this.answered = q;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.hits = [];
      this.answered = q;
      errors.report(e, 'Could not search the library');
    } finally {
      if (seq === this.#seq) this.searching = false;
    }
  }

  clear() {
    this.setQuery('');
  }
}

export const librarySearch = new LibrarySearch();
