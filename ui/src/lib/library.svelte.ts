// Subscriptions and library activity: the `library` event stream, long-running actions
// (refresh, OPML import) with their progress, and the one-line summary shown afterwards.
// Views re-fetch their lists when `changes` moves (a `changed` event, or an action of ours
// that changed the library).
import { api, onLibraryEvent, type LibraryEvent, type PodcastSummary, type RefreshReport } from './api';
import { errors } from './errors.svelte';
import { plural } from './format';

export type Activity = {
  kind: 'refresh' | 'import';
  /** The podcast being refreshed, or null for "all" / an import. */
  podcastId: number | null;
  label: string;
};

export type Summary = {
  id: number;
  /** Which view shows it: a podcast page (its id) or the library (null). */
  scope: number | null;
  text: string;
  tone: 'ok' | 'warn';
};

export type Progress = { done: number; total: number };

/** Progress from a refresh nobody here started (e.g. a scheduled one) lingers this long at 100 %. */
const DONE_LINGER_MS = 800;
/** A summary stays up this long (or until the next action). */
const SUMMARY_MS = 30_000;

class Library {
  /** Bumped on every `changed` event (and after our own changes): views re-fetch. */
  changes = $state(0);
  /** The long-running action started from this window, if any. */
  activity = $state.raw<Activity | null>(null);
  /** Last `refresh` event of a running refresh/import. */
  progress = $state.raw<Progress | null>(null);
  summary = $state.raw<Summary | null>(null);
  subscribing = $state(false);
  exporting = $state(false);
  /** Something is running that shows the progress bar. */
  active = $derived(this.activity !== null || this.progress !== null);

  #started = false;
  #seen = new Set<number>();
  #summaryId = 1;
  #summaryTimer: ReturnType<typeof setTimeout> | undefined;
  #lingerTimer: ReturnType<typeof setTimeout> | undefined;

  async start() {
    if (this.#started) return;
    this.#started = true;
    try {
      await onLibraryEvent((e) => this.#onEvent(e));
    } catch (e) {
      errors.report(e, 'Could not connect to the library');
    }
  }

  #onEvent(e: LibraryEvent) {
    if (e.type === 'changed') {
      this.changes++;
    } else if (e.type === 'refresh') {
      const total = Math.max(0, Math.floor(e.total));
      const done = Math.min(total, Math.max(0, Math.floor(e.done)));
      this.progress = { done, total };
      clearTimeout(this.#lingerTimer);
      if (this.activity === null && done >= total) {
        this.#lingerTimer = setTimeout(() => {
          if (this.activity === null) this.progress = null;
        }, DONE_LINGER_MS);
      }
    }
  }

  #setSummary(scope: number | null, text: string, tone: Summary['tone'] = 'ok') {
    clearTimeout(this.#summaryTimer);
    const id = this.#summaryId++;
    this.summary = { id, scope, text, tone };
    this.#summaryTimer = setTimeout(() => {
      if (this.summary?.id === id) this.summary = null;
    }, SUMMARY_MS);
  }

  dismissSummary() {
    this.summary = null;
  }

  #begin(activity: Activity): boolean {
    if (this.activity) return false;
    clearTimeout(this.#lingerTimer);
    this.activity = activity;
    this.progress = null;
    this.summary = null;
    return true;
  }

  #end() {
    this.activity = null;
    this.progress = null;
    this.changes++;
  }

  /** Refresh one podcast (`podcast`) or all of them (`null`). */
  async refresh(podcast: Pick<PodcastSummary, 'id' | 'title'> | null) {
    const podcastId = podcast?.id ?? null;
    const label = podcast ? `Refreshing “${podcast.title}”` : 'Refreshing podcasts';
    if (!this.#begin({ kind: 'refresh', podcastId, label })) return;
    try {
      const reports = await api.feedRefresh(podcastId);
      this.#reportRefresh(reports, podcastId);
    } catch (e) {
      errors.report(e, podcast ? `Could not refresh “${podcast.title}”` : 'Could not refresh the podcasts');
    } finally {
      this.#end();
    }
  }

  #reportRefresh(reports: RefreshReport[], scope: number | null) {
    const failed = reports.filter((r) => r.status === 'failed');
    const fresh = reports.reduce((n, r) => n + (r.status === 'failed' ? 0 : Math.max(0, r.newEpisodes)), 0);
    const parts: string[] = [];
    if (scope === null) parts.push(`Refreshed ${plural(reports.length, 'podcast')}`);
    if (failed.length < reports.length || reports.length === 0) {
      parts.push(fresh > 0 ? `${plural(fresh, 'new episode')}` : 'no new episodes');
    }
    if (failed.length > 0) parts.push(scope !== null ? 'refresh failed' : `${failed.length} failed`);
    const text = parts.join(' · ');
    this.#setSummary(scope, text.charAt(0).toUpperCase() + text.slice(1), failed.length ? 'warn' : 'ok');

    const why = (r: RefreshReport) => r.message?.trim() || 'the feed could not be read';
    if (failed.length === 1) {
      errors.push(`Could not refresh “${failed[0].title}”: ${why(failed[0])}`);
    } else if (failed.length > 1) {
      errors.push(
        `Could not refresh ${plural(failed.length, 'podcast')}:`,
        failed.map((r) => `${r.title}: ${why(r)}`),
      );
    }
  }

  /** Import the subscriptions of an OPML file (its text). */
  async importOpml(text: string, fileName?: string) {
    if (!this.#begin({ kind: 'import', podcastId: null, label: 'Importing subscriptions' })) return;
    try {
      const r = await api.opmlImport(text);
      const parts: string[] = [];
      if (r.added > 0 || (r.existing === 0 && r.failed.length === 0)) {
        parts.push(`Imported ${plural(r.added, 'podcast')}`);
      } else {
        parts.push('No podcasts added');
      }
      if (r.existing > 0) parts.push(`${r.existing} already subscribed`);
      if (r.failed.length > 0) parts.push(`${r.failed.length} failed`);
      this.#setSummary(null, parts.join(' · '), r.failed.length ? 'warn' : 'ok');
      if (r.failed.length > 0) {
        errors.push(
          `Could not import ${plural(r.failed.length, 'feed')}${fileName ? ` from ${fileName}` : ''}:`,
          r.failed.map((f) => `${f.url}: ${f.message}`),
        );
      }
    } catch (e) {
      errors.report(e, fileName ? `Could not import ${fileName}` : 'Could not import the OPML file');
    } finally {
      this.#end();
    }
  }

  async exportOpml() {
    if (this.exporting) return;
    this.exporting = true;
    try {
      const { path, count } = await api.opmlExport();
      this.#setSummary(null, `Saved ${plural(count, 'subscription')} to ${path}`);
    } catch (e) {
      errors.report(e, 'Could not export the subscriptions');
    } finally {
      this.exporting = false;
    }
  }

  /** Subscribe to a feed (or a page that links one). The new podcast, or null on failure (shown). */
  async subscribe(url: string): Promise<PodcastSummary | null> {
    const u = url.trim();
    if (!u || this.subscribing) return null;
    this.subscribing = true;
    try {
      const p = await api.feedSubscribe(u);
      this.changes++;
      return p;
    } catch (e) {
      // The backend's message names the feed and the cause.
      errors.report(e);
      return null;
    } finally {
      this.subscribing = false;
    }
  }

  /** Remove a podcast with its episodes and progress. True when it is gone. */
  async unsubscribe(podcast: Pick<PodcastSummary, 'id' | 'title'>): Promise<boolean> {
    try {
      await api.feedUnsubscribe(podcast.id);
      this.#setSummary(null, `Unsubscribed from “${podcast.title}”`);
      this.changes++;
      return true;
    } catch (e) {
      errors.report(e, `Could not unsubscribe from “${podcast.title}”`);
      return false;
    }
  }

  /** Clear an episode's "new" mark (once per episode and session). */
  markSeen(episodeId: number) {
    if (this.#seen.has(episodeId)) return;
    this.#seen.add(episodeId);
    api.episodeMarkSeen(episodeId).catch((e) => {
      this.#seen.delete(episodeId);
      console.warn('episode_mark_seen failed', e);
    });
  }

  /** Whether this session already marked the episode seen (lists may lag behind). */
  seen(episodeId: number): boolean {
    return this.#seen.has(episodeId);
  }
}

export const library = new Library();

/**
 * Re-run `load` whenever the library changes (after the first run, which the caller does).
 * Overlapping runs coalesce into one more run at the end. Call from a component's script.
 */
export function reloadOnChange(load: () => Promise<void>) {
  let last = library.changes;
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await load();
      } while (again);
    } finally {
      running = false;
    }
  };
  $effect(() => {
    const c = library.changes;
    if (c === last) return;
    last = c;
    void run();
  });
}
