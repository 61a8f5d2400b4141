// Episode downloads: the list (`download_list`), the live state of every download from the
// `download` event stream, and the actions (download, pause, resume, cancel, delete).
//
// `live` holds the newest known state per episode: seeded from the list, then moved by
// events. Episode lists ask `stateOf(episode)`, which prefers it over the (possibly older)
// `downloaded` / `downloadState` of their EpisodeSummary. The list itself is re-read when a
// download finishes or goes away, or an event names an episode the list doesn't have.
import { SvelteMap } from 'svelte/reactivity';
import {
  api,
  onDownloadEvent,
  type DownloadRow,
  type DownloadUpdate,
  type DownloadUpdateState,
  type EpisodeSummary,
} from './api';
import { errors } from './errors.svelte';
import { plural } from './format';

/** What the UI shows for one episode's download. */
export type LiveDownload = {
  state: DownloadUpdateState;
  bytes: number;
  total: number | null;
  rate: number;
  /** Retry reason (while retrying) or why it failed. */
  message: string | null;
};

/** The download is under way (or waiting its turn). */
export const isActive = (s: DownloadUpdateState | null | undefined) =>
  s === 'queued' || s === 'running' || s === 'retrying';

/** Fraction done (0–1), or null when the total is unknown. */
export function fractionOf(d: { bytes: number; total: number | null }): number | null {
  if (d.total == null || !(d.total > 0)) return null;
  return Math.min(1, Math.max(0, d.bytes / d.total));
}

type Entry = LiveDownload & { seq: number };

class Downloads {
  /** The downloads view's rows, or null before the first read. */
  rows = $state.raw<DownloadRow[] | null>(null);
  loadFailed = $state(false);
  live = new SvelteMap<number, Entry>();

  /** Counts for the summary line and the nav badge. */
  counts = $derived.by(() => {
    const c = { downloading: 0, queued: 0, paused: 0, failed: 0, done: 0 };
    for (const e of this.live.values()) {
      if (e.state === 'running' || e.state === 'retrying') c.downloading++;
      else if (e.state === 'queued') c.queued++;
      else if (e.state === 'paused') c.paused++;
      else if (e.state === 'failed') c.failed++;
      else if (e.state === 'done') c.done++;
    }
    return c;
  });
  /** Downloads under way or waiting (the nav badge). */
  activeCount = $derived(this.counts.downloading + this.counts.queued);
  /** "2 downloading, 1 paused" (empty when nothing is unfinished). */
  summary = $derived.by(() => {
    const c = this.counts;
    const parts: string[] = [];
    if (c.downloading) parts.push(`${c.downloading} downloading`);
    if (c.queued) parts.push(`${c.queued} queued`);
    if (c.paused) parts.push(`${c.paused} paused`);
    if (c.failed) parts.push(`${c.failed} failed`);
    return parts.join(', ');
  });
  doneSummary = $derived(this.counts.done ? `${plural(this.counts.done, 'episode')} downloaded` : '');

  #started = false;
  /** Orders events against list reads: a read doesn't overwrite what a newer event said. */
  #seq = 0;
  #loading = false;
  #again = false;

  async start() {
    if (this.#started) return;
    this.#started = true;
    try {
      await onDownloadEvent((u) => this.#onUpdate(u));
    } catch (e) {
      errors.report(e, 'Could not follow the downloads');
    }
    await this.load();
  }

  /** Read the list (overlapping calls coalesce into one more read). */
  async load() {
    if (this.#loading) {
      this.#again = true;
      return;
    }
    this.#loading = true;
    try {
      do {
        this.#again = false;
        await this.#loadOnce();
      } while (this.#again);
    } finally {
      this.#loading = false;
    }
  }

  async #loadOnce() {
    const since = this.#seq;
    try {
      const rows = await api.downloadList();
      this.rows = rows;
      this.loadFailed = false;
      const listed = new Set<number>();
      for (const r of rows) {
        listed.add(r.episodeId);
        const cur = this.live.get(r.episodeId);
        if (cur && cur.seq > since) continue; // an event after the read began is newer
        this.live.set(r.episodeId, {
          state: r.state,
          bytes: r.state === 'done' ? (r.size ?? r.bytes) : r.bytes,
          total: r.state === 'done' ? (r.size ?? r.total) : r.total,
          rate: r.rate,
          message: r.error,
          seq: since,
        });
      }
      for (const [id, e] of this.live) {
        if (!listed.has(id) && e.seq <= since && e.state !== 'none') {
          this.live.set(id, { state: 'none', bytes: 0, total: null, rate: 0, message: null, seq: since });
        }
      }
    } catch (e) {
      if (this.rows === null) this.loadFailed = true;
      errors.report(e, 'Could not load the downloads');
    }
  }

  #onUpdate(u: DownloadUpdate) {
    const seq = ++this.#seq;
    this.live.set(u.episodeId, {
      state: u.state,
      bytes: Math.max(0, u.bytes),
      total: u.total,
      rate: u.state === 'running' ? Math.max(0, u.rate) : 0,
      message: u.message,
      seq,
    });
    const known = this.rows?.some((r) => r.episodeId === u.episodeId) ?? false;
    if (u.state === 'done' || u.state === 'none' || (this.rows !== null && !known)) {
      void this.load();
    }
  }

  /** What to show for an episode: the live state if known, else its summary's. */
  stateOf(ep: Pick<EpisodeSummary, 'id' | 'downloaded' | 'downloadState'>): LiveDownload | null {
    const e = this.live.get(ep.id);
    if (e) return e.state === 'none' ? null : e;
    if (ep.downloadState) return { state: ep.downloadState, bytes: 0, total: null, rate: 0, message: null };
    if (ep.downloaded) return { state: 'done', bytes: 0, total: null, rate: 0, message: null };
    return null;
  }

  // ---- actions ------------------------------------------------------------------

  /** Mark an episode's state before the backend's event confirms it (a button press shows at once). */
  #expect(episodeId: number, state: DownloadUpdateState) {
    const cur = this.live.get(episodeId);
    this.live.set(episodeId, {
      state,
      bytes: cur?.bytes ?? 0,
      total: cur?.total ?? null,
      rate: 0,
      message: null,
      seq: cur?.seq ?? this.#seq,
    });
  }

  async #act(episodeId: number, what: string, fn: () => Promise<unknown>, expect?: DownloadUpdateState) {
    const before = this.live.get(episodeId);
    if (expect) this.#expect(episodeId, expect);
    try {
      await fn();
    } catch (e) {
      // Put back what was shown, unless an event has said something newer meanwhile.
      const now = this.live.get(episodeId);
      if (expect && now && (!before || now.seq === before.seq)) {
        if (before) this.live.set(episodeId, before);
        else this.live.delete(episodeId);
      }
      errors.report(e, what);
    }
  }

  download(ep: { id: number; title: string }) {
    return this.#act(ep.id, `Could not download “${ep.title}”`, () => api.downloadEpisode(ep.id), 'queued');
  }
  pause(ep: { id: number; title: string }) {
    return this.#act(ep.id, `Could not pause the download of “${ep.title}”`, () => api.downloadPause(ep.id), 'paused');
  }
  resume(ep: { id: number; title: string }) {
    return this.#act(ep.id, `Could not resume the download of “${ep.title}”`, () => api.downloadResume(ep.id), 'queued');
  }
  cancel(ep: { id: number; title: string }) {
    return this.#act(ep.id, `Could not cancel the download of “${ep.title}”`, () => api.downloadCancel(ep.id));
  }
  delete(ep: { id: number; title: string }) {
    return this.#act(ep.id, `Could not delete the download of “${ep.title}”`, () => api.downloadDelete(ep.id));
  }
}

export const downloads = new Downloads();
