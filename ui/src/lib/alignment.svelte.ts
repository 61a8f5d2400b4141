// Transcript alignment (issue 8): the newest state of each episode's job from the `alignment`
// event stream (seeded by `EpisodeDetail.alignment`), Cancel / Retry, and the episode's
// transcript reloaded when its job is done (the aligned or drift-corrected times replace the
// old ones). The backend starts jobs by itself (a finished download, an opened episode).
import { SvelteMap } from 'svelte/reactivity';
import { api, onAlignmentEvent, type AlignmentUpdate, type DriftShift } from './api';
import { errors } from './errors.svelte';
import { formatTime } from './format';
import { player } from './player.svelte';

/** The job is waiting or under way. */
export const isAligning = (u: AlignmentUpdate | null | undefined) =>
  u?.state === 'queued' || u?.state === 'running';

/** Whole percent (0–100) of a job's progress. */
export const percentOf = (u: AlignmentUpdate) => Math.round(Math.min(1, Math.max(0, u.progress || 0)) * 100);

/**
 * What drift correction did, for a person: "Times corrected for this copy (ad of 27 s at
 * 12:04)". Each shift's offset is the total added from its `from`; its own length is the
 * change from the one before, and in this copy it begins at `from` plus the earlier offset.
 */
export function driftNote(shifts: DriftShift[], chaptersShifted = false): string {
  let before = 0;
  const parts: string[] = [];
  for (const s of shifts) {
    const delta = s.offset - before;
    const at = formatTime(Math.max(0, s.from + before));
    const secs = Math.max(1, Math.round(Math.abs(delta)));
    parts.push(delta >= 0 ? `ad of ${secs} s at ${at}` : `${secs} s missing at ${at}`);
    before = s.offset;
  }
  const chapters = chaptersShifted ? '; chapters moved with them' : '';
  return `Times corrected for this copy (${parts.join(', ')})${chapters}`;
}

class Alignments {
  /** Newest known update per episode (events and command replies). */
  live = new SvelteMap<number, AlignmentUpdate>();
  #started = false;
  /** Per episode, bumped by every event: a command's reply never overwrites a newer event. */
  #seq = new Map<number, number>();

  async start() {
    if (this.#started) return;
    this.#started = true;
    try {
      await onAlignmentEvent((u) => this.#onEvent(u));
    } catch (e) {
      this.#started = false;
      errors.report(e, 'Could not follow transcript alignment');
    }
  }

  /** The episode's alignment: the newest event, else what its detail said. */
  of(episodeId: number | null | undefined, fromDetail?: AlignmentUpdate | null): AlignmentUpdate | null {
    if (episodeId == null) return null;
    return this.live.get(episodeId) ?? (fromDetail?.episodeId === episodeId ? fromDetail : null) ?? null;
  }

  #onEvent(u: AlignmentUpdate) {
    const seq = (this.#seq.get(u.episodeId) ?? 0) + 1;
    this.#seq.set(u.episodeId, seq);
    if (u.state !== 'done') {
      this.live.set(u.episodeId, u);
      return;
    }
    // New times in the library: show them (the list keeps its place; follow picks up), and
    // say "aligned" only once they are on screen, never over the old estimates.
    void player.reloadTranscript(u.episodeId).finally(() => {
      if (this.#seq.get(u.episodeId) === seq) this.live.set(u.episodeId, u);
    });
  }

  async cancel(episodeId: number) {
    try {
      await api.transcriptAlignCancel(episodeId);
    } catch (e) {
      errors.report(e, 'Could not cancel the alignment');
    }
  }

  /** Start (or retry) aligning the episode's transcript to its audio. */
  async retry(episodeId: number) {
    const seen = this.#seq.get(episodeId) ?? 0;
    try {
      const u = await api.transcriptAlign(episodeId);
      if (u && (this.#seq.get(episodeId) ?? 0) === seen) this.live.set(episodeId, u);
    } catch (e) {
      errors.report(e, 'Could not align the transcript');
    }
  }
}

export const alignment = new Alignments();
