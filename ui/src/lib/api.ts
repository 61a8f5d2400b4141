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
};

export type Chapter = {
  start: number;
  end: number | null;
  title: string;
  img: string | null;
  url: string | null;
};

export type Segment = { start: number; end: number; speaker: string | null; text: string };

export type EpisodeDetail = {
  episode: EpisodeSummary;
  podcastTitle: string;
  chapters: Chapter[];
  segments: Segment[];
};

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'paused' | 'ended';

export type PlayerSnapshot = {
  episodeId: number | null;
  status: PlayerStatus;
  position: number;
  duration: number | null;
  error: string | null;
};

export type PlayerEvent =
  | { type: 'state'; snapshot: PlayerSnapshot }
  | { type: 'position'; position: number; playing: boolean }
  | { type: 'error'; message: string };

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
};

// ---- Event stream ------------------------------------------------------------

export const PLAYER_EVENT = 'player';

/** Subscribe to the single `player` event stream. Resolves to an unsubscribe function. */
export function onPlayerEvent(handler: (event: PlayerEvent) => void): Promise<UnlistenFn> {
  return listen<PlayerEvent>(PLAYER_EVENT, (e) => handler(e.payload));
}
