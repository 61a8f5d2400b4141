// The ONE place that talks to the Rust side. Mirrors docs/ipc.md exactly:
// components never call `invoke` or `listen` directly.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

// ---- Types (camelCase on the wire) -------------------------------------------

export type PodcastSummary = {
  id: number;
  title: string;
  author: string | null;
  description: string | null;
  episodeCount: number;
  feedUrl: string;
  /** A URL the page may load as-is, or null (then a generated tile is shown). */
  artwork: string | null;
  newCount: number;
  /** unix seconds */
  refreshedAt: number | null;
  lastError: string | null;
};

export type EpisodeSummary = {
  id: number;
  podcastId: number;
  title: string;
  /** unix seconds */
  published: number | null;
  durationSecs: number | null;
  /** saved progress */
  positionSecs: number;
  played: boolean;
  /** Arrived in a refresh, not opened yet. */
  isNew: boolean;
  /** Its audio is on this machine. */
  downloaded: boolean;
  /** A download under way or stopped, or null (none, or finished: see `downloaded`). */
  downloadState: 'queued' | 'running' | 'paused' | 'failed' | null;
};

export type Chapter = {
  start: number;
  end: number | null;
  title: string;
  img: string | null;
  url: string | null;
  /** The listener unticked it: playback (the backend) jumps over it. */
  skipped: boolean;
};

/** Where the episode's chapters came from. */
export type ChaptersFrom = 'podcasting20-json' | 'id3' | 'mp4' | 'vorbis-comment' | 'show-notes';

/** One word of a segment with its own timing (when the source has word times). */
export type Word = { start: number; end: number; text: string };

export type Segment = {
  start: number;
  end: number;
  speaker: string | null;
  text: string;
  /** Its start is a placeholder (the source gave no time): shown as "≈". */
  estimated: boolean;
  /** Word timings, when the source has them (highlight word by word). */
  words?: Word[];
};

/** The format of an episode's transcript as the backend parsed it. */
export type TranscriptFormat = 'json' | 'vtt' | 'srt' | 'html' | 'text';

/** Where an episode's transcript came from. */
export type TranscriptFrom = {
  /** A URL, "sidecar", "file" (opened by the listener) or "demo". */
  source: string;
  format: TranscriptFormat;
};

/** One line of a transcript that matches a library-wide search. */
export type SearchHit = {
  episodeId: number;
  podcastId: number;
  podcastTitle: string;
  episodeTitle: string;
  start: number;
  estimated: boolean;
  speaker: string | null;
  /** The segment's text (plain). */
  text: string;
  /** Plain text with each match wrapped in \u0002…\u0003 (never HTML). */
  snippet: string;
};

export type EpisodeDetail = {
  episode: EpisodeSummary;
  podcastTitle: string;
  chapters: Chapter[];
  segments: Segment[];
  /**
   * Sanitized by the backend. Time stamps are `<a href="#" data-seek="SECONDS">`; other links
   * are absolute `<a href="https://…">`. Still cleaned again before display (lib/sanitize.ts).
   */
  showNotesHtml: string | null;
  /** The episode's web page. */
  link: string | null;
  chaptersFrom: ChaptersFrom | null;
  /** Where the transcript came from, or null (no transcript). */
  transcriptFrom: TranscriptFrom | null;
  /** The transcript's alignment to this copy of the audio, or null (none was started). */
  alignment?: AlignmentUpdate | null;
};

/** One shift drift correction applied: from `from` (the publisher's time), `offset` s are added. */
export type DriftShift = { from: number; offset: number };

export type AlignmentState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Tauri event `alignment` (and `EpisodeDetail.alignment`): one per change of a job. */
export type AlignmentUpdate = {
  episodeId: number;
  /** `align`: an untimed transcript put in step with the audio; `drift`: a timed one checked. */
  kind: 'align' | 'drift';
  state: AlignmentState;
  /** 0–1 (1 when done). */
  progress: number;
  /** Why it failed: a sentence for the listener. */
  error: string | null;
  /** Drift corrections applied (empty when the times matched). */
  shifts: DriftShift[];
  /** The chapters were moved by the same shifts. */
  chaptersShifted: boolean;
};

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'paused' | 'ended';

export type PlayerSnapshot = {
  episodeId: number | null;
  status: PlayerStatus;
  position: number;
  duration: number | null;
  error: string | null;
  /** Playback rate (0.5–3). */
  speed: number;
  /** 0–1. */
  volume: number;
  /** The sleep timer in effect, or null (cleared when it fires: playback pauses). */
  sleepTimer: SleepTimer | null;
};

export type PlayerEvent =
  | { type: 'state'; snapshot: PlayerSnapshot }
  /** `speed`: the rate the position advances at (interpolate with it). */
  | { type: 'position'; position: number; playing: boolean; speed: number }
  | { type: 'error'; message: string };

// ---- Downloads (issue 4) -----------------------------------------------------

/** A download's state as the downloads list keeps it. */
export type DownloadRowState = 'queued' | 'running' | 'paused' | 'failed' | 'done';
/** A download's state as the `download` event reports it (`none`: cancelled or deleted). */
export type DownloadUpdateState = 'queued' | 'running' | 'retrying' | 'paused' | 'failed' | 'done' | 'none';

export type DownloadRow = {
  episodeId: number;
  podcastId: number;
  podcastTitle: string;
  title: string;
  state: DownloadRowState;
  bytes: number;
  /** Unknown until the server says. */
  total: number | null;
  /** Bytes per second, while running. */
  rate: number;
  /** Why it failed (a sentence). */
  error: string | null;
  localFile: string | null;
  size: number | null;
  /** The file's content hash, labelled with its kind: `"blake3:<hex>"`. */
  hash: string | null;
  /** unix seconds */
  downloadedAt: number | null;
  played: boolean;
};

/** Payload of the `download` event: one per change, progress at most 4×/s per download. */
export type DownloadUpdate = {
  episodeId: number;
  state: DownloadUpdateState;
  bytes: number;
  total: number | null;
  rate: number;
  /** Retry reason / failure / null. */
  message: string | null;
};

// ---- Settings (issues 4, 5) --------------------------------------------------

export type Settings = {
  /** 1–6, default 2 */
  downloadConcurrency: number;
  /** Download new episodes after a refresh; default false. */
  autoDownload: boolean;
  /** Delete the files of played episodes; default false. */
  cleanupPlayed: boolean;
  /** default 15 */
  skipBackSecs: number;
  /** default 30 */
  skipForwardSecs: number;
  /** 0.5–3 in 0.1 steps, default 1 */
  defaultSpeed: number;
  /** 0–1 */
  volume: number;
  skipSilence: boolean;
  loudnessLevelling: boolean;
};

// ---- Up next and sleep timer (issue 5) ---------------------------------------

/** One episode in the Up Next queue (in play order). */
export type QueueItem = {
  episodeId: number;
  podcastId: number;
  podcastTitle: string;
  title: string;
  durationSecs: number | null;
  /** saved progress */
  positionSecs: number;
  played: boolean;
  downloaded: boolean;
};

/** The sleep timer as the backend reports it. */
export type SleepTimer =
  /** Counts down while playing; pauses at 0. */
  | { kind: 'minutes'; remainingSecs: number }
  /** Pause at the end of this episode (no advance to Up Next). */
  | { kind: 'episode' }
  /** Pause at the end of the current chapter. */
  | { kind: 'chapter' };

/** What `sleep_timer_set` takes (`null` turns the timer off). */
export type SleepTimerRequest = { kind: 'minutes'; minutes: number } | { kind: 'episode' } | { kind: 'chapter' };

export type RefreshReport = {
  podcastId: number;
  title: string;
  status: 'updated' | 'unchanged' | 'failed';
  newEpisodes: number;
  message: string | null;
};

export type ImportReport = {
  added: number;
  existing: number;
  failed: { url: string; message: string }[];
};

export type OpmlExport = { path: string; count: number };

export type LibraryEvent =
  | { type: 'refresh'; done: number; total: number }
  | { type: 'changed' };

/** Shape of a rejected command (what the Rust side serializes). */
export type IpcError = { kind: string; message: string };

/** Thrown by every wrapper below, so callers get one predictable error type. */
export class ApiError extends Error {
  readonly kind: string;
  readonly command: string;
  constructor(command: string, kind: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.command = command;
  }
}

function toApiError(command: string, raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (raw && typeof raw === 'object') {
    const r = raw as Partial<IpcError> & { message?: unknown };
    const message = typeof r.message === 'string' ? r.message : JSON.stringify(raw);
    const kind = typeof r.kind === 'string' ? r.kind : 'unknown';
    return new ApiError(command, kind, message);
  }
  return new ApiError(command, 'unknown', typeof raw === 'string' ? raw : String(raw));
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toApiError(command, e);
  }
}

// ---- Commands ----------------------------------------------------------------

export const api = {
  libraryPodcasts: () => call<PodcastSummary[]>('library_podcasts'),
  libraryEpisodes: (podcastId: number) =>
    call<EpisodeSummary[]>('library_episodes', { podcastId }),
  episodeDetail: (episodeId: number) => call<EpisodeDetail>('episode_detail', { episodeId }),

  playerSnapshot: () => call<PlayerSnapshot>('player_snapshot'),
  playerLoad: (episodeId: number, autoplay: boolean) =>
    call<PlayerSnapshot>('player_load', { episodeId, autoplay }),
  playerPlay: () => call<null>('player_play'),
  playerPause: () => call<null>('player_pause'),
  playerToggle: () => call<null>('player_toggle'),
  /** absolute position in seconds */
  playerSeek: (seconds: number) => call<null>('player_seek', { seconds }),
  /** relative seconds, e.g. -15 or 30 */
  playerSkip: (delta: number) => call<null>('player_skip', { delta }),
  /** `start` identifies the chapter; a skipped one is jumped over during playback. */
  chapterSetSkipped: (episodeId: number, start: number, skipped: boolean) =>
    call<null>('chapter_set_skipped', { episodeId, start, skipped }),

  /** A feed URL, or a web page that links its feed. */
  feedSubscribe: (url: string) => call<PodcastSummary>('feed_subscribe', { url }),
  feedUnsubscribe: (podcastId: number) => call<null>('feed_unsubscribe', { podcastId }),
  /** One podcast, or all of them with `null`. */
  feedRefresh: (podcastId: number | null) => call<RefreshReport[]>('feed_refresh', { podcastId }),
  opmlImport: (text: string) => call<ImportReport>('opml_import', { text }),
  opmlExport: () => call<OpmlExport>('opml_export'),
  /** http/https/mailto only: opens the system browser / mail client. */
  openExternal: (url: string) => call<null>('open_external', { url }),
  episodeMarkSeen: (episodeId: number) => call<null>('episode_mark_seen', { episodeId }),

  /** Unfinished first, then the newest finished. */
  downloadList: () => call<DownloadRow[]>('download_list'),
  /** Queues it (a no-op if downloaded or under way). */
  downloadEpisode: (episodeId: number) => call<null>('download_episode', { episodeId }),
  downloadPause: (episodeId: number) => call<null>('download_pause', { episodeId }),
  /** Continues a paused (or failed) download. */
  downloadResume: (episodeId: number) => call<null>('download_resume', { episodeId }),
  downloadCancel: (episodeId: number) => call<null>('download_cancel', { episodeId }),
  /** Removes the file, or cancels a download under way. */
  downloadDelete: (episodeId: number) => call<null>('download_delete', { episodeId }),

  settingsGet: () => call<Settings>('settings_get'),
  /** Resolves to the settings as stored (clamped to their ranges). */
  settingsSet: (settings: Settings) => call<Settings>('settings_set', { settings }),
  /** Resolves to the speed applied (also kept as the current podcast's speed). */
  playerSetSpeed: (speed: number) => call<number>('player_set_speed', { speed }),
  /** 0–1 */
  playerSetVolume: (volume: number) => call<null>('player_set_volume', { volume }),

  /** Up Next, in play order. */
  queueList: () => call<QueueItem[]>('queue_list'),
  /** `next`: play it next, else last. Moves it if it is already queued. Resolves to the whole queue. */
  queueAdd: (episodeId: number, next: boolean) => call<QueueItem[]>('queue_add', { episodeId, next }),
  /** `to`: 0-based index. Resolves to the whole queue. */
  queueMove: (episodeId: number, to: number) => call<QueueItem[]>('queue_move', { episodeId, to }),
  queueRemove: (episodeId: number) => call<QueueItem[]>('queue_remove', { episodeId }),
  /** Resolves to the (empty) queue. */
  queueClear: () => call<QueueItem[]>('queue_clear'),
  /** Plays the first queued episode now (it leaves the queue); rejects if the queue is empty. */
  playerNext: () => call<PlayerSnapshot>('player_next'),
  /** `null` turns it off. Resolves to the timer in effect. */
  sleepTimerSet: (timer: SleepTimerRequest | null) => call<SleepTimer | null>('sleep_timer_set', { timer }),

  /** Words (`"a phrase"` quoted) over every transcript in the library; best first. Default limit 50. */
  librarySearch: (query: string, limit?: number) =>
    call<SearchHit[]>('library_search', limit == null ? { query } : { query, limit }),
  /** A transcript file the listener chose (read by the page): stored, replacing the episode's. */
  transcriptImport: (episodeId: number, name: string, text: string) =>
    call<Segment[]>('transcript_import', { episodeId, name, text }),
  /** Starts (or retries) aligning the episode's transcript to its local audio; progress as `alignment` events. */
  transcriptAlign: (episodeId: number) =>
    call<AlignmentUpdate | null>('transcript_align', { episodeId }),
  /** Cancels it; the transcript keeps the times it had. */
  transcriptAlignCancel: (episodeId: number) => call<null>('transcript_align_cancel', { episodeId }),
};

// ---- Event streams -----------------------------------------------------------

export const PLAYER_EVENT = 'player';
export const LIBRARY_EVENT = 'library';
export const DOWNLOAD_EVENT = 'download';
export const QUEUE_EVENT = 'queue';
export const ALIGNMENT_EVENT = 'alignment';

/** Subscribe to the single `player` event stream. Resolves to an unsubscribe function. */
export function onPlayerEvent(handler: (event: PlayerEvent) => void): Promise<UnlistenFn> {
  return listen<PlayerEvent>(PLAYER_EVENT, (e) => handler(e.payload));
}

/** Subscribe to the `library` event stream (refresh progress, "lists changed"). */
export function onLibraryEvent(handler: (event: LibraryEvent) => void): Promise<UnlistenFn> {
  return listen<LibraryEvent>(LIBRARY_EVENT, (e) => handler(e.payload));
}

/** Subscribe to the `download` event stream (one update per change of a download). */
export function onDownloadEvent(handler: (update: DownloadUpdate) => void): Promise<UnlistenFn> {
  return listen<DownloadUpdate>(DOWNLOAD_EVENT, (e) => handler(e.payload));
}

/** Subscribe to the `queue` event: the whole Up Next queue whenever it changes. */
export function onQueueEvent(handler: (queue: QueueItem[]) => void): Promise<UnlistenFn> {
  return listen<QueueItem[]>(QUEUE_EVENT, (e) => handler(e.payload));
}

/** Subscribe to the `alignment` event: one update per change of a transcript alignment job. */
export function onAlignmentEvent(handler: (update: AlignmentUpdate) => void): Promise<UnlistenFn> {
  return listen<AlignmentUpdate>(ALIGNMENT_EVENT, (e) => handler(e.payload));
}
