// A small fake of the Rust side, running in the page. The test server injects it as a
// module script before the app's own bundle, so the IPC mocks are in place before the
// app calls `invoke`/`listen`. It uses the real `@tauri-apps/api/mocks` (mockIPC with
// shouldMockEvents), keeps a playback position and emits `player` events like the
// backend: `state` on every status change/load/seek, `position` every `tickMs` while playing.
//
// Tests drive and inspect it through `window.__fake` and configure it beforehand through
// `window.__FAKE_CONFIG__` (set with page.addInitScript).
import { mockIPC, mockWindows } from '/__tauri_api__/mocks.js';
import { DETAILS, EPISODES, PODCASTS } from './fixture.js';

// startupMs: like a real output device, audio starts flowing this long after a play or seek.
const cfg = { tickMs: 200, failLibrary: false, startupMs: 0, ...(window.__FAKE_CONFIG__ || {}) };

const st = {
  episodeId: null,
  status: 'idle',
  base: 0, // position at baseT
  baseT: 0,
  duration: null,
  error: null,
};
const progress = new Map(EPISODES.map((e) => [e.id, e.positionSecs]));

// Like an app relaunch: an episode is already loaded (paused) when the UI starts.
if (cfg.preload) {
  const ep = EPISODES.find((e) => e.id === cfg.preload.episodeId);
  st.episodeId = ep.id;
  st.duration = ep.durationSecs;
  st.status = 'paused';
  st.base = progress.get(ep.id) ?? 0;
}
const calls = [];
const failures = new Map();
let eventsEnabled = true;

const now = () => performance.now();
const clamp = (p) => Math.max(0, st.duration != null ? Math.min(p, st.duration) : p);

const flowing = () => now() >= st.baseT + cfg.startupMs;

function position() {
  if (st.status !== 'playing' || !flowing()) return st.base;
  return clamp(st.base + (now() - st.baseT - cfg.startupMs) / 1000);
}

function setPosition(p) {
  st.base = clamp(p);
  st.baseT = now();
  if (st.episodeId != null) progress.set(st.episodeId, st.base);
}

function snapshot() {
  return {
    episodeId: st.episodeId,
    status: st.status,
    position: position(),
    duration: st.duration,
    error: st.error,
  };
}

function emit(payload) {
  if (!eventsEnabled) return;
  // Goes through the mocked event plugin to every `listen('player', …)` handler.
  void window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event: 'player', payload });
}

/** Emit after the command has returned, like events crossing the real IPC bridge. */
function emitSoon(payload) {
  setTimeout(() => emit(typeof payload === 'function' ? payload() : payload), 5);
}

function setStatus(status) {
  setPosition(position());
  st.status = status;
}

function stateEvent() {
  return { type: 'state', snapshot: snapshot() };
}

setInterval(() => {
  if (st.status !== 'playing') return;
  const p = position();
  if (st.duration != null && p >= st.duration) {
    setPosition(st.duration);
    st.status = 'ended';
    emit(stateEvent());
    return;
  }
  emit({ type: 'position', position: p, playing: flowing() });
}, cfg.tickMs);

const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

function handle(cmd, args) {
  calls.push({ cmd, args: clone(args) ?? null, at: now() });
  if (failures.has(cmd)) {
    const err = failures.get(cmd);
    failures.delete(cmd);
    throw err;
  }
  if (cfg.failLibrary && cmd === 'library_podcasts') {
    cfg.failLibrary = false;
    throw { kind: 'db', message: 'database is locked' };
  }
  switch (cmd) {
    case 'library_podcasts':
      return clone(PODCASTS);
    case 'library_episodes':
      return clone(EPISODES.filter((e) => e.podcastId === args.podcastId)).map((e) => ({
        ...e,
        positionSecs: progress.get(e.id) ?? e.positionSecs,
      }));
    case 'episode_detail': {
      const d = DETAILS[args.episodeId];
      if (!d) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      return clone(d);
    }
    case 'player_snapshot':
      return snapshot();
    case 'player_load': {
      const ep = EPISODES.find((e) => e.id === args.episodeId);
      if (!ep) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      st.episodeId = ep.id;
      st.duration = ep.durationSecs;
      st.status = 'loading';
      const saved = progress.get(ep.id) ?? 0;
      setPosition(ep.played || saved >= ep.durationSecs ? 0 : saved);
      emitSoon(stateEvent());
      const reply = { ...snapshot(), status: 'loading' };
      st.status = args.autoplay ? 'playing' : 'paused';
      st.baseT = now();
      emitSoon(stateEvent);
      // Like the real bridge, the reply (taken while loading) can arrive after the events.
      if (cfg.loadReplyDelayMs) return new Promise((r) => setTimeout(() => r(reply), cfg.loadReplyDelayMs));
      return snapshot();
    }
    case 'player_play':
    case 'player_pause':
    case 'player_toggle': {
      if (st.episodeId == null) throw { kind: 'noEpisode', message: 'nothing loaded' };
      const play = cmd === 'player_play' ? true : cmd === 'player_pause' ? false : st.status !== 'playing';
      if (play && st.status === 'ended') setPosition(0);
      setStatus(play ? 'playing' : 'paused');
      emitSoon(stateEvent);
      return null;
    }
    case 'player_seek': {
      if (st.episodeId == null) throw { kind: 'noEpisode', message: 'nothing loaded' };
      setPosition(args.seconds);
      if (st.status === 'ended') st.status = 'paused';
      emitSoon(stateEvent);
      return null;
    }
    case 'player_skip': {
      if (st.episodeId == null) throw { kind: 'noEpisode', message: 'nothing loaded' };
      setPosition(position() + args.delta);
      emitSoon(stateEvent);
      return null;
    }
    default:
      throw { kind: 'unknownCommand', message: `unknown command ${cmd}` };
  }
}

mockWindows('main');
mockIPC(handle, { shouldMockEvents: true });

window.__fake = {
  calls,
  /** Calls of one command, args only. */
  argsOf: (cmd) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  position,
  get status() {
    return st.status;
  },
  /** Backend-side jump (e.g. from a media key): new position, announced by a state event. */
  jump(seconds) {
    setPosition(seconds);
    emit(stateEvent());
  },
  emitError(message) {
    emit({ type: 'error', message });
  },
  /** Make the next call of `cmd` reject with `{kind, message}`. */
  failNext(cmd, kind, message) {
    failures.set(cmd, { kind, message });
  },
  /** Stop/resume emitting events (to observe pure interpolation). */
  setEvents(on) {
    eventsEnabled = on;
  },
};
