// Player state mirrored from the Rust side, plus the interpolated playback clock.
//
// The backend sends `position` events several times a second. We keep the last one
// and the `performance.now()` at which it arrived; while playing, a
// requestAnimationFrame loop advances `position = last + (now - t0) / 1000 × speed`
// (the event's playback speed), clamped to the duration. Everything time-dependent in the UI (time text, seek bar,
// current chapter, active cue) derives from `position`.
import {
  api,
  onPlayerEvent,
  type Chapter,
  type EpisodeDetail,
  type PlayerEvent,
  type PlayerSnapshot,
  type PlayerStatus,
  type Segment,
  type SleepTimer,
  type SleepTimerRequest,
  type TranscriptFrom,
} from './api';
import { errors } from './errors.svelte';
import { settings, snapSpeed } from './settings.svelte';
import { chapterIndexAt, cueIndexAt, lastStartingAtOrBefore, sortedByStart } from './search';

/** Defaults of the skip lengths; the ones in effect come from the settings (`skipBackSecs`, `skipForwardSecs`). */
export const SKIP_BACK_SECS = -15;
export const SKIP_FORWARD_SECS = 30;
/** "Previous chapter" restarts the current one when this far into it, else goes back one. */
export const CHAPTER_RESTART_SECS = 3;

/** The sleep timer's offered lengths (minutes). */
export const SLEEP_MINUTES: readonly number[] = [5, 15, 30, 45, 60];
/** A sleep-timer menu choice: `off`, minutes, or the end of the chapter / episode. */
export type SleepChoice = 'off' | `${number}` | 'chapter' | 'episode';
/** How often the sleep countdown is redrawn while playing. */
const SLEEP_TICK_MS = 250;

/** After an optimistic seek, ignore stale position events this far from the target… */
const STALE_TOLERANCE_SECS = 1.5;
/** …for at most this long (or until the backend confirms with a state event). */
const STALE_WINDOW_MS = 1000;

class Player {
  episodeId = $state<number | null>(null);
  status = $state<PlayerStatus>('idle');
  /** Interpolated position in seconds. */
  position = $state(0);
  /** From the backend snapshot; `null` until known. */
  backendDuration = $state<number | null>(null);
  detail = $state.raw<EpisodeDetail | null>(null);
  detailLoading = $state(false);
  chapters = $state.raw<Chapter[]>([]);
  segments = $state.raw<Segment[]>([]);
  /** Incremented on every user-initiated jump (seek, skip, chapter, cue). */
  jumpCount = $state(0);
  /** Playback speed (0.5–3) as the backend last said. */
  speed = $state(1);
  /** Output volume 0–1. */
  volume = $state(1);
  /** The sleep timer as the backend last said (a `minutes` one counts down locally, see `sleepRemaining`). */
  sleepTimer = $state.raw<SleepTimer | null>(null);
  /** `remainingSecs` of a `minutes` timer at `#sleepT`. */
  #sleepBase = $state(0);
  #sleepT = $state(0);
  /** performance.now(), moved on every SLEEP_TICK_MS while a minutes timer runs. */
  #sleepNow = $state(0);
  #sleepTimer: ReturnType<typeof setInterval> | undefined;
  /** The minutes last chosen in the menu (which of the offered lengths to mark as chosen). */
  #sleepMinutes = $state<number | null>(null);

  /**
   * Seconds left on a `minutes` sleep timer (else null): the backend's `remainingSecs` at the
   * last state / snapshot, counted down here while playing and held still otherwise.
   */
  sleepRemaining = $derived.by(() => {
    const t = this.sleepTimer;
    if (t?.kind !== 'minutes') return null;
    const elapsed = this.status === 'playing' ? Math.max(0, this.#sleepNow - this.#sleepT) / 1000 : 0;
    return Math.max(0, this.#sleepBase - elapsed);
  });
  /** What the sleep-timer menu marks as chosen. */
  sleepChoice = $derived.by((): SleepChoice | null => {
    const t = this.sleepTimer;
    if (!t) return 'off';
    if (t.kind !== 'minutes') return t.kind;
    const m = this.#sleepMinutes;
    return m != null ? `${m}` : null;
  });

  duration = $derived.by(() => {
    const d = this.backendDuration ?? this.detail?.episode.durationSecs ?? null;
    if (d != null && d > 0) return d;
    const lastCue = this.segments.at(-1);
    return lastCue ? lastCue.end : 0;
  });
  playing = $derived(this.status === 'playing');
  chapterIndex = $derived(chapterIndexAt(this.chapters, this.position));
  cueIndex = $derived(cueIndexAt(this.segments, this.position));
  currentChapter = $derived(this.chapterIndex >= 0 ? this.chapters[this.chapterIndex] : null);
  /** The last chapter that has started (even if its explicit end has passed), or -1. */
  #startedIndex = $derived(lastStartingAtOrBefore(this.chapters, this.position));
  /** Where "previous chapter" goes: the current chapter's start if well into it, else the one before. */
  prevChapterStart = $derived.by(() => {
    const j = this.#startedIndex;
    if (j < 0) return null;
    if (this.position - this.chapters[j].start > CHAPTER_RESTART_SECS) return this.chapters[j].start;
    return j > 0 ? this.chapters[j - 1].start : null;
  });
  /** Where "next chapter" goes, or null after the last chapter has started. */
  nextChapterStart = $derived(this.chapters[this.#startedIndex + 1]?.start ?? null);

  /** End of chapter `i`: its own end, else the next one's start, else the episode's end. */
  chapterEnd(i: number): number {
    const ch = this.chapters[i];
    if (!ch) return this.duration;
    const end = ch.end ?? this.chapters[i + 1]?.start ?? this.duration;
    return end > ch.start ? end : this.chapters[i + 1]?.start ?? this.duration;
  }

  #anchorPos = 0;
  #anchorT = 0;
  /** Rate the clock advances at: the speed of the last position event. */
  #anchorRate = 1;
  #ticking = false;
  #raf = 0;
  #pendingSeek: { target: number; until: number } | null = null;
  #detailFor: number | null = null;
  #started = false;
  /** State events received so far (to tell a stale command reply from a fresh one). */
  #stateEvents = 0;
  /** Whether the last position event said audio is flowing; the clock only runs then. */
  #flowing = false;

  /** Subscribe to the event stream, then fetch the current snapshot. */
  async start() {
    if (this.#started) return;
    this.#started = true;
    try {
      await onPlayerEvent((e) => this.#onEvent(e));
    } catch (e) {
      errors.report(e, 'Could not connect to the player');
    }
    try {
      this.#applySnapshot(await api.playerSnapshot());
    } catch (e) {
      errors.report(e, 'Could not read the player state');
    }
  }

  // ---- incoming ---------------------------------------------------------------

  #onEvent(e: PlayerEvent) {
    switch (e.type) {
      case 'state':
        this.#stateEvents++;
        this.#pendingSeek = null;
        this.#applySnapshot(e.snapshot);
        break;
      case 'position': {
        const p = this.#pendingSeek;
        if (p) {
          if (performance.now() > p.until) this.#pendingSeek = null;
          else if (Math.abs(e.position - p.target) > STALE_TOLERANCE_SECS) break;
        }
        // `playing` says whether audio is reaching the device (the position advances); the
        // status (and the Play/Pause button) comes from `state` events alone.
        this.#flowing = e.playing;
        if (Number.isFinite(e.speed) && e.speed > 0) {
          this.#anchorRate = e.speed;
          this.speed = e.speed;
        }
        this.#setAnchor(e.position);
        break;
      }
      case 'error':
        errors.push(e.message);
        break;
    }
  }

  #applySnapshot(s: PlayerSnapshot) {
    // A state change (play, pause, seek, load) holds the clock still until a position event
    // says audio is flowing again: the output may take a moment to start.
    this.#flowing = false;
    if (s.episodeId !== this.episodeId) {
      this.episodeId = s.episodeId;
      // Moved on by the backend (Up Next, next episode): the old episode's chapters must go.
      if (s.episodeId == null || (this.detail && this.detail.episode.id !== s.episodeId)) this.#setDetail(null);
    }
    if (s.episodeId != null && this.#detailFor !== s.episodeId) void this.#loadDetail(s.episodeId);
    this.status = s.status;
    this.backendDuration = s.duration;
    if (Number.isFinite(s.speed) && s.speed > 0) this.speed = s.speed;
    if (Number.isFinite(s.volume)) this.volume = Math.min(1, Math.max(0, s.volume));
    // The contract always sends `sleepTimer`; a snapshot without the field leaves it as it was.
    if ('sleepTimer' in s) this.#applySleep(s.sleepTimer ?? null);
    if (s.error && s.error !== this.#lastSnapshotError) errors.push(s.error);
    this.#lastSnapshotError = s.error;
    this.#setAnchor(s.position);
    this.#syncSleepTick();
  }
  #lastSnapshotError: string | null = null;

  // ---- the sleep timer --------------------------------------------------------

  #applySleep(t: SleepTimer | null) {
    const valid =
      t && (t.kind === 'episode' || t.kind === 'chapter' || (t.kind === 'minutes' && Number.isFinite(t.remainingSecs)));
    this.sleepTimer = valid ? t : null;
    if (t?.kind === 'minutes' && valid) {
      this.#sleepBase = Math.max(0, t.remainingSecs);
      this.#sleepT = this.#sleepNow = performance.now();
    } else {
      this.#sleepMinutes = null;
    }
    this.#syncSleepTick();
  }

  /** Redraw the countdown while a minutes timer runs (playing); no timer otherwise. */
  #syncSleepTick() {
    const want = this.sleepTimer?.kind === 'minutes' && this.status === 'playing';
    if (want && this.#sleepTimer === undefined) {
      this.#sleepTimer = setInterval(() => (this.#sleepNow = performance.now()), SLEEP_TICK_MS);
    } else if (!want && this.#sleepTimer !== undefined) {
      clearInterval(this.#sleepTimer);
      this.#sleepTimer = undefined;
    }
  }

  /** Set (or, with `off`, clear) the sleep timer. Shows what the backend says is in effect. */
  async setSleep(choice: SleepChoice) {
    let req: SleepTimerRequest | null;
    if (choice === 'off') req = null;
    else if (choice === 'chapter' || choice === 'episode') req = { kind: choice };
    else req = { kind: 'minutes', minutes: Number(choice) };
    try {
      const t = await api.sleepTimerSet(req);
      this.#applySleep(t ?? null);
      if (req?.kind === 'minutes' && t?.kind === 'minutes') this.#sleepMinutes = req.minutes;
    } catch (e) {
      errors.report(e, req ? 'Could not set the sleep timer' : 'Could not turn the sleep timer off');
    }
  }

  async #loadDetail(episodeId: number) {
    this.#detailFor = episodeId;
    this.detailLoading = true;
    try {
      const d = await api.episodeDetail(episodeId);
      if (this.#detailFor === episodeId) this.#setDetail(d);
    } catch (e) {
      if (this.#detailFor === episodeId) {
        this.#detailFor = null;
        errors.report(e, 'Could not load the episode');
      }
    } finally {
      if (this.#detailFor === episodeId || this.#detailFor === null) this.detailLoading = false;
    }
  }

  #setDetail(d: EpisodeDetail | null) {
    this.detail = d;
    this.chapters = d ? sortedByStart(d.chapters) : [];
    this.segments = d ? sortedByStart(d.segments) : [];
  }

  // ---- the clock --------------------------------------------------------------

  #clamp(pos: number) {
    const d = this.duration;
    const p = Math.max(0, pos);
    return d > 0 ? Math.min(p, d) : p;
  }

  #setAnchor(pos: number) {
    this.#anchorPos = Number.isFinite(pos) ? pos : 0;
    this.#anchorT = performance.now();
    this.position = this.#clamp(this.#anchorPos);
    this.#syncLoop();
  }

  #syncLoop() {
    const want = this.status === 'playing' && this.#flowing;
    if (want && !this.#ticking) {
      this.#ticking = true;
      this.#raf = requestAnimationFrame(this.#tick);
    } else if (!want && this.#ticking) {
      this.#ticking = false;
      cancelAnimationFrame(this.#raf);
    }
  }

  #tick = (now: number) => {
    if (!this.#ticking) return;
    if (this.status !== 'playing' || !this.#flowing) {
      this.#ticking = false;
      return;
    }
    // rAF's timestamp is the frame start; performance.now() is the same clock.
    const elapsed = Math.max(0, Math.max(now, performance.now()) - this.#anchorT) / 1000;
    this.position = this.#clamp(this.#anchorPos + elapsed * this.#anchorRate);
    this.#raf = requestAnimationFrame(this.#tick);
  };

  // ---- outgoing ---------------------------------------------------------------

  /** Open an episode from a list: load + autoplay, or resume if it is already loaded. */
  async open(episodeId: number) {
    if (this.episodeId === episodeId && this.status !== 'idle') {
      if (!this.playing) await this.play();
      return;
    }
    if (this.#detailFor !== episodeId) {
      this.#setDetail(null);
      void this.#loadDetail(episodeId);
    }
    try {
      const seen = this.#stateEvents;
      const snap = await api.playerLoad(episodeId, true);
      // Events and command replies travel separately: a state event that overtook this reply
      // is newer than the snapshot in it.
      if (this.#stateEvents === seen) this.#applySnapshot(snap);
    } catch (e) {
      errors.report(e, 'Could not play the episode');
      // Show what is really loaded (if anything), not the episode that failed.
      if (this.episodeId !== episodeId) {
        this.#detailFor = null;
        this.#setDetail(null);
        this.detailLoading = false;
        if (this.episodeId != null) void this.#loadDetail(this.episodeId);
      }
    }
  }

  /**
   * Open an episode at a given second (a search hit): load it with autoplay and seek there, or,
   * if it is the one loaded, seek and play on.
   */
  async openAt(episodeId: number, seconds: number) {
    if (this.episodeId === episodeId && this.status !== 'idle') {
      await this.seek(seconds);
      if (!this.playing) await this.play();
      return;
    }
    await this.open(episodeId);
    if (this.episodeId === episodeId) await this.seek(seconds);
  }

  /** A new transcript for an episode (e.g. a file the listener opened): shown at once if it is the one shown. */
  replaceTranscript(episodeId: number, segments: Segment[], from: TranscriptFrom | null) {
    const d = this.detail;
    if (!d || d.episode.id !== episodeId) return;
    this.detail = { ...d, segments, transcriptFrom: from };
    this.segments = sortedByStart(segments);
  }

  /**
   * The episode's transcript and chapters changed in the library (aligned to the audio, or
   * corrected for drift): read them again if it is the episode shown.
   */
  async reloadTranscript(episodeId: number) {
    if (this.detail?.episode.id !== episodeId) return;
    try {
      const d = await api.episodeDetail(episodeId);
      const cur = this.detail;
      if (!cur || cur.episode.id !== episodeId) return;
      this.detail = { ...cur, segments: d.segments, chapters: d.chapters, alignment: d.alignment };
      this.chapters = sortedByStart(d.chapters);
      this.segments = sortedByStart(d.segments);
    } catch (e) {
      errors.report(e, 'Could not read the aligned transcript');
    }
  }

  /** Play the first episode in Up Next now (the backend takes it out of the queue). */
  async next() {
    try {
      const seen = this.#stateEvents;
      const snap = await api.playerNext();
      if (this.#stateEvents === seen) this.#applySnapshot(snap);
    } catch (e) {
      errors.report(e, 'Could not play the next episode');
    }
  }

  async play() {
    try {
      await api.playerPlay();
    } catch (e) {
      errors.report(e, 'Could not play');
    }
  }

  async toggle() {
    if (this.episodeId == null) return;
    try {
      await api.playerToggle();
    } catch (e) {
      errors.report(e, 'Could not toggle playback');
    }
  }

  async seek(seconds: number) {
    if (this.episodeId == null || !Number.isFinite(seconds)) return;
    const target = this.#clamp(seconds);
    this.#optimistic(target);
    try {
      await api.playerSeek(target);
    } catch (e) {
      this.#pendingSeek = null;
      errors.report(e, 'Could not seek');
    }
  }

  async skip(delta: number) {
    if (this.episodeId == null) return;
    this.#optimistic(this.#clamp(this.position + delta));
    try {
      await api.playerSkip(delta);
    } catch (e) {
      this.#pendingSeek = null;
      errors.report(e, 'Could not skip');
    }
  }

  /** Skip back by the configured length (settings `skipBackSecs`). */
  skipBack() {
    return this.skip(-settings.skipBack);
  }

  /** Skip forward by the configured length (settings `skipForwardSecs`). */
  skipForward() {
    return this.skip(settings.skipForward);
  }

  /** Change the playback speed now (the backend keeps it as the podcast's). Shows the speed applied. */
  async setSpeed(speed: number) {
    const want = snapSpeed(speed);
    const before = this.speed;
    this.speed = want;
    try {
      const applied = await api.playerSetSpeed(want);
      if (Number.isFinite(applied) && applied > 0) this.speed = applied;
    } catch (e) {
      this.speed = before;
      errors.report(e, 'Could not change the speed');
    }
  }

  #volumeBusy = false;
  #volumeNext: number | null = null;

  /** Set the output volume (0–1). While one change is on its way, only the newest waits. */
  async setVolume(volume: number) {
    const v = Math.min(1, Math.max(0, Number.isFinite(volume) ? volume : 1));
    this.volume = v;
    if (this.#volumeBusy) {
      this.#volumeNext = v;
      return;
    }
    this.#volumeBusy = true;
    try {
      let next: number | null = v;
      while (next != null) {
        this.#volumeNext = null;
        try {
          await api.playerSetVolume(next);
        } catch (e) {
          errors.report(e, 'Could not change the volume');
        }
        next = this.#volumeNext;
      }
    } finally {
      this.#volumeBusy = false;
    }
  }

  async prevChapter() {
    const t = this.prevChapterStart;
    if (t != null) await this.seek(t);
  }

  async nextChapter() {
    const t = this.nextChapterStart;
    if (t != null) await this.seek(t);
  }

  /** Tick / untick a chapter (by its start); the backend jumps over skipped ones. Resolves to the state kept. */
  async setChapterSkipped(start: number, skipped: boolean): Promise<boolean> {
    const episodeId = this.detail?.episode.id;
    if (episodeId == null) return !skipped;
    const mark = (value: boolean) => {
      if (this.detail?.episode.id !== episodeId) return;
      this.chapters = this.chapters.map((c) => (c.start === start ? { ...c, skipped: value } : c));
    };
    const before = this.chapters.find((c) => c.start === start)?.skipped ?? false;
    mark(skipped);
    try {
      await api.chapterSetSkipped(episodeId, start, skipped);
      return skipped;
    } catch (e) {
      mark(before);
      errors.report(e, skipped ? 'Could not skip the chapter' : 'Could not restore the chapter');
      return before;
    }
  }

  #optimistic(target: number) {
    this.jumpCount++;
    this.#flowing = false;
    this.#pendingSeek = { target, until: performance.now() + STALE_WINDOW_MS };
    this.#setAnchor(target);
  }
}

export const player = new Player();
