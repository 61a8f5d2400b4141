// Up Next: the queue of episodes to play after the current one (`queue_*` commands and the
// `queue` event, which carries the whole queue whenever it changes, also when playback moves
// on by itself).
//
// Every command resolves to the whole queue as well. Replies and events travel separately, so
// a reply is only applied when no event arrived while the command was on its way (an event is
// at least as new). Reordering is shown at once (drag and drop must not snap back while the
// backend answers) and put back if the backend refuses.
import { api, onQueueEvent, type QueueItem } from './api';
import { errors } from './errors.svelte';
import { player } from './player.svelte';

class Queue {
  /** In play order; empty until the first read. */
  items = $state.raw<QueueItem[]>([]);
  loaded = $state(false);
  /** The Up Next panel is showing. */
  open = $state(false);

  /** episodeId → 0-based position. */
  #index = $derived(new Map(this.items.map((q, i) => [q.episodeId, i])));
  count = $derived(this.items.length);
  first = $derived(this.items[0] ?? null);

  #started = false;
  /** Queue events received so far (to tell a stale command reply from a fresh one). */
  #events = 0;

  async start() {
    if (this.#started) return;
    this.#started = true;
    try {
      await onQueueEvent((q) => {
        this.#events++;
        this.#set(q);
      });
    } catch (e) {
      errors.report(e, 'Could not follow Up Next');
    }
    await this.load();
  }

  async load() {
    const seen = this.#events;
    try {
      const q = await api.queueList();
      if (this.#events === seen) this.#set(q);
    } catch (e) {
      errors.report(e, 'Could not read Up Next');
    }
  }

  #set(q: QueueItem[]) {
    this.items = Array.isArray(q) ? q : [];
    this.loaded = true;
  }

  has(episodeId: number): boolean {
    return this.#index.has(episodeId);
  }

  /** 0-based position in the queue, or -1. */
  indexOf(episodeId: number): number {
    return this.#index.get(episodeId) ?? -1;
  }

  /**
   * Run a queue command; apply its reply unless an event overtook it. `optimistic` is shown
   * meanwhile and taken back on failure (unless an event said something newer).
   */
  async #run(what: string, fn: () => Promise<QueueItem[]>, optimistic?: QueueItem[]): Promise<boolean> {
    const seen = this.#events;
    const before = this.items;
    if (optimistic) this.items = optimistic;
    try {
      const q = await fn();
      if (this.#events === seen) this.#set(q);
      return true;
    } catch (e) {
      if (optimistic && this.#events === seen) this.items = before;
      errors.report(e, what);
      return false;
    }
  }

  /** Play next (`next`), or add at the end. An episode already queued moves there. */
  add(ep: { id: number; title: string }, next: boolean) {
    return this.#run(
      next ? `Could not play “${ep.title}” next` : `Could not add “${ep.title}” to Up Next`,
      () => api.queueAdd(ep.id, next),
    );
  }

  /** Move an item to `to` (0-based). */
  move(episodeId: number, to: number) {
    const from = this.indexOf(episodeId);
    if (from < 0) return Promise.resolve(false);
    const target = Math.min(this.items.length - 1, Math.max(0, to));
    if (target === from) return Promise.resolve(true);
    const moved = [...this.items];
    const [item] = moved.splice(from, 1);
    moved.splice(target, 0, item);
    return this.#run(`Could not move “${item.title}”`, () => api.queueMove(episodeId, target), moved);
  }

  remove(episodeId: number) {
    const item = this.items.find((q) => q.episodeId === episodeId);
    const title = item?.title ?? 'the episode';
    return this.#run(
      `Could not remove “${title}” from Up Next`,
      () => api.queueRemove(episodeId),
      this.items.filter((q) => q.episodeId !== episodeId),
    );
  }

  clear() {
    return this.#run('Could not clear Up Next', () => api.queueClear(), []);
  }

  /** Play the first queued episode now (it leaves the queue; the `queue` event says so). */
  async playNext() {
    if (this.items.length === 0) return;
    await player.next();
  }

  /** "Play now": load it with autoplay (the backend takes it out of the queue). */
  play(episodeId: number) {
    return player.open(episodeId);
  }
}

export const queue = new Queue();
