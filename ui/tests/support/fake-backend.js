// A small fake of the Rust side, running in the page. The test server injects it as a
// module script before the app's own bundle, so the IPC mocks are in place before the
// app calls `invoke`/`listen`. It uses the real `@tauri-apps/api/mocks` (mockIPC with
// shouldMockEvents), keeps a playback position and emits `player` events like the
// backend: `state` on every status change/load/seek, `position` every `tickMs` while playing.
// It also keeps a small library (subscribe, refresh, OPML, unsubscribe) and emits `library`
// events: `refresh` progress while a refresh/import runs, `changed` when the lists changed.
//
// Tests drive and inspect it through `window.__fake` and configure it beforehand through
// `window.__FAKE_CONFIG__` (set with page.addInitScript).
import { mockIPC, mockWindows } from '/__tauri_api__/mocks.js';
import {
  BIG_PODCAST_ID,
  bigEpisodes,
  clampSettings,
  clampSpeed,
  DEFAULT_SETTINGS,
  DOWNLOAD_FAILURES,
  DOWNLOAD_PRESET,
  downloadSize,
  DETAILS,
  EPISODES,
  EVIL_NOTES,
  FEEDS,
  LONG_CHAPTERS,
  LONG_DURATION,
  LONG_EPISODE_ID,
  longTranscript,
  PODCASTS,
  REFRESH_BEHAVIOUR,
  RICH_EPISODES,
  RICH_PODCASTS,
  subscribeError,
} from './fixture.js';

// startupMs: like a real output device, audio starts flowing this long after a play or seek.
// library: 'demo' (one podcast) or 'rich' (several, one with 5,000 episodes).
// refreshStepMs / subscribeMs: how long each feed takes to fetch.
// notes: 'evil' → episode 1's show notes carry what a buggy sanitizer might let through.
// skipped: { [episodeId]: [chapter starts] } → those chapters start out skipped.
// Downloads: downloadRate (bytes/s), downloadTickMs (one progress event per download per tick;
// 0 → only `__fake.stepDownloads()` moves them), downloads: 'some' (DOWNLOAD_PRESET),
// downloadFailures ({ [episodeId]: { at, message } }, default DOWNLOAD_FAILURES),
// downloadRetries ({ [episodeId]: { at, message, ticks } }), unknownTotal ([episodeIds]: the
// total stays unknown until done). settings: initial settings (clamped).
// Up next: queue ([episodeIds], the initial Up Next). Sleep timer: sleep (the initial timer, as
// `sleep_timer_set` takes it), sleepClock: 'real' (a minutes timer runs down while playing) or
// 'manual' (it only moves on `__fake.stepSleep(seconds)`).
// Transcripts: transcript: 'long' gives episode 2 a 3-hour transcript of 5,000 lines (with word
// times, six chapters); `transcript_import` parses a small WebVTT file (else rejects);
// `library_search` finds lines by case- and accent-insensitive substrings.
// Alignment: alignment ({ [episodeId]: partial AlignmentUpdate } → `EpisodeDetail.alignment`);
// `transcript_align` queues, `transcript_align_cancel` cancels (each with an `alignment` event);
// `__fake.emitAlignment(id, patch)` / `__fake.finishAlignment(id, segments, patch)` move it.
const cfg = {
  tickMs: 200,
  failLibrary: false,
  startupMs: 0,
  library: 'demo',
  refreshStepMs: 250,
  subscribeMs: 250,
  notes: 'normal',
  downloadRate: 2_000_000,
  downloadTickMs: 250,
  downloads: 'none',
  downloadFailures: DOWNLOAD_FAILURES,
  downloadRetries: {},
  unknownTotal: [],
  settings: {},
  queue: [],
  sleep: null,
  sleepClock: 'real',
  ...(window.__FAKE_CONFIG__ || {}),
};

const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

// ---- the library ---------------------------------------------------------------

/** id → PodcastSummary (mutable copies), in display order. */
const podcasts = new Map();
/** podcastId → EpisodeSummary[] newest first (mutable copies). */
const episodesOf = new Map();
/** episodeId → EpisodeSummary (the same objects as in episodesOf). */
const episodeById = new Map();

function addPodcast(p, eps) {
  podcasts.set(p.id, clone(p));
  const list = clone(eps);
  episodesOf.set(p.id, list);
  for (const e of list) episodeById.set(e.id, e);
}

addPodcast(PODCASTS[0], EPISODES);
const longSegments = cfg.transcript === 'long' ? longTranscript() : null;
if (longSegments) episodeById.get(LONG_EPISODE_ID).durationSecs = LONG_DURATION;
if (cfg.library === 'rich') {
  for (const p of RICH_PODCASTS) {
    const eps = p.id === BIG_PODCAST_ID ? bigEpisodes() : RICH_EPISODES.filter((e) => e.podcastId === p.id);
    addPodcast(p, eps);
  }
}
let nextPodcastId = 50;
let nextEpisodeId = 500000;

function recount(podcastId) {
  const p = podcasts.get(podcastId);
  const eps = episodesOf.get(podcastId) ?? [];
  if (!p) return;
  p.episodeCount = eps.length;
  p.newCount = eps.filter((e) => e.isNew).length;
}

/** episodeId → Set of skipped chapter starts (`chapter_set_skipped`). */
const skippedChapters = new Map();
const skippedOf = (episodeId) => {
  if (!skippedChapters.has(episodeId)) skippedChapters.set(episodeId, new Set(cfg.skipped?.[episodeId] ?? []));
  return skippedChapters.get(episodeId);
};

function detailOf(episodeId) {
  const d = baseDetailOf(episodeId);
  if (!d) return null;
  const skipped = skippedOf(episodeId);
  d.chapters = d.chapters.map((c) => ({ ...c, skipped: skipped.has(c.start) }));
  d.chaptersFrom ??= null;
  const imported = importedTranscripts.get(episodeId);
  if (imported) {
    d.segments = clone(imported.segments);
    d.transcriptFrom = { source: 'file', format: imported.format };
  }
  const realigned = alignedSegments.get(episodeId);
  if (realigned) d.segments = clone(realigned);
  d.segments = d.segments.map((s) => ({ estimated: false, ...s }));
  d.transcriptFrom ??= null;
  d.alignment = alignments.has(episodeId) ? clone(alignments.get(episodeId)) : null;
  return d;
}

// ---- alignment (issue 8) --------------------------------------------------------------

/** episodeId → the newest AlignmentUpdate (seeded by `cfg.alignment`, moved by commands/tests). */
const alignments = new Map();
/** episodeId → segments stored by a finished alignment (`__fake.finishAlignment`). */
const alignedSegments = new Map();

function alignmentUpdate(episodeId, patch) {
  const prev = alignments.get(episodeId);
  const u = {
    episodeId,
    kind: 'align',
    state: 'queued',
    progress: 0,
    error: null,
    shifts: [],
    chaptersShifted: false,
    ...(prev ?? {}),
    ...patch,
  };
  alignments.set(episodeId, u);
  return u;
}
// `fake: { alignment: { [episodeId]: { state, progress, … } } }`: what `episode_detail` says at first.
for (const [id, u] of Object.entries(cfg.alignment ?? {})) alignmentUpdate(Number(id), u);

// ---- transcripts and search ----------------------------------------------------------

/** episodeId → { segments, format } opened by the listener (`transcript_import`). */
const importedTranscripts = new Map();

/** The transcript of an episode as the fake keeps it (imported, long, fixture or none). */
function segmentsOf(episodeId) {
  const imported = importedTranscripts.get(episodeId);
  if (imported) return imported.segments;
  if (longSegments && episodeId === LONG_EPISODE_ID) return longSegments;
  return DETAILS[episodeId]?.segments ?? [];
}

const foldText = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** `"a phrase"` quoted, else words. */
function searchTerms(query) {
  const terms = [];
  String(query ?? '').replace(/"([^"]*)"|(\S+)/g, (_, phrase, word) => {
    const t = foldText((phrase ?? word ?? '').trim());
    if (t) terms.push(t);
    return '';
  });
  return terms;
}

/** Every line containing every term (case- and accent-insensitive): SearchHit[] (most matches first). */
function librarySearch(query, limit = 50) {
  const terms = searchTerms(query);
  if (!terms.length) return [];
  const hits = [];
  for (const [podcastId, eps] of episodesOf) {
    const pod = podcasts.get(podcastId);
    for (const ep of eps) {
      const segs = segmentsOf(ep.id);
      for (const s of segs) {
        const folded = foldText(s.text);
        if (!terms.every((t) => folded.includes(t))) continue;
        // Marks (the folded text keeps the original's length for the fixture's texts).
        const marks = [];
        for (const t of terms) {
          for (let k = folded.indexOf(t); k >= 0; k = folded.indexOf(t, k + t.length)) marks.push([k, k + t.length]);
        }
        marks.sort((a, b) => a[0] - b[0]);
        let snippet = '';
        let at = 0;
        for (const [a, b] of marks) {
          if (a < at) continue;
          snippet += s.text.slice(at, a) + '\u0002' + s.text.slice(a, b) + '\u0003';
          at = b;
        }
        snippet += s.text.slice(at);
        hits.push({
          episodeId: ep.id,
          podcastId,
          podcastTitle: pod?.title ?? '',
          episodeTitle: ep.title,
          start: s.start,
          estimated: !!s.estimated,
          speaker: s.speaker ?? null,
          text: s.text,
          snippet,
          score: marks.length,
        });
      }
    }
  }
  hits.sort((a, b) => b.score - a.score);
  return hits.slice(0, limit).map(({ score, ...h }) => h);
}

/** `(hh:)mm:ss.mmm` → seconds, or NaN. */
function vttTime(t) {
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$/.exec(t.trim());
  if (!m) return NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number((m[4] ?? '0').padEnd(3, '0')) / 1000;
}

/** A small, strict-enough WebVTT reader (voice spans become speakers; other tags dropped). */
function parseVtt(name, text) {
  const lines = String(text ?? '').replace(/\r\n?/g, '\n').split('\n');
  if (!/^\uFEFF?WEBVTT\b/.test(lines[0] ?? '')) {
    throw { kind: 'transcript', message: `${name} is not a transcript Earshot can read (no WEBVTT header)` };
  }
  const segments = [];
  for (let i = 1; i < lines.length; i++) {
    const m = /^\s*(\S+)\s+-->\s+(\S+)/.exec(lines[i]);
    if (!m) continue;
    const start = vttTime(m[1]);
    const end = vttTime(m[2]);
    const body = [];
    while (i + 1 < lines.length && lines[i + 1].trim() !== '') body.push(lines[++i]);
    let cue = body.join(' ');
    let speaker = null;
    const v = /<v(?:\.[^ >]*)?\s+([^>]+)>/.exec(cue);
    if (v) speaker = v[1].trim();
    cue = cue.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();
    if (Number.isFinite(start) && Number.isFinite(end) && cue) segments.push({ start, end, speaker, text: cue, estimated: false });
  }
  if (!segments.length) throw { kind: 'transcript', message: `${name} has no cues Earshot can read` };
  return segments;
}

function baseDetailOf(episodeId) {
  const ep = episodeById.get(episodeId);
  if (!ep) return null;
  const base = DETAILS[episodeId];
  const pod = podcasts.get(ep.podcastId);
  if (longSegments && episodeId === LONG_EPISODE_ID) {
    return {
      ...clone({ ...base, segments: [], chapters: LONG_CHAPTERS }),
      segments: longSegments.map((s) => ({ ...s, words: s.words.map((w) => ({ ...w })) })),
      episode: clone(ep),
      transcriptFrom: { source: 'https://earshot.example/demo/long.vtt', format: 'vtt' },
    };
  }
  if (base) {
    const d = { ...clone(base), episode: clone(ep) };
    if (episodeId === 1 && cfg.notes === 'evil') d.showNotesHtml = EVIL_NOTES;
    return d;
  }
  return {
    episode: clone(ep),
    podcastTitle: pod?.title ?? '',
    chapters: [],
    segments: [],
    showNotesHtml:
      `<p>Notes for <b>${ep.title}</b>.</p>` +
      '<p><a href="#" data-seek="90">00:01:30</a> The interesting bit.</p>' +
      `<p>More at <a href="https://shows.example/episodes/${ep.id}" rel="noopener noreferrer">shows.example</a>.</p>`,
    link: `https://shows.example/episodes/${ep.id}`,
  };
}

function findFeed(url) {
  const u = String(url ?? '').trim();
  return FEEDS.find((f) => f.urls.includes(u)) ?? null;
}

function subscribedTo(feedUrl) {
  return [...podcasts.values()].find((p) => p.feedUrl === feedUrl) ?? null;
}

/** Subscribe to a known feed: returns the (new or existing) summary. */
function subscribeFeed(feed) {
  const existing = subscribedTo(feed.podcast.feedUrl);
  if (existing) return { podcast: existing, added: false };
  const id = nextPodcastId++;
  const now = Math.floor(Date.now() / 1000);
  const eps = feed.episodes.map((title, i) => ({
    id: nextEpisodeId++,
    podcastId: id,
    title,
    published: now - (i + 1) * 86400 * 3,
    durationSecs: 1200 + i * 240,
    positionSecs: 0,
    played: false,
    isNew: false,
  }));
  addPodcast(
    { id, ...feed.podcast, episodeCount: eps.length, newCount: 0, refreshedAt: now, lastError: null },
    eps,
  );
  return { podcast: podcasts.get(id), added: true };
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

async function refreshFeeds(podcastId) {
  const ids = podcastId == null ? [...podcasts.keys()] : [podcastId];
  if (podcastId != null && !podcasts.has(podcastId)) throw { kind: 'notFound', message: `no podcast ${podcastId}` };
  const total = ids.length;
  emitLibrary({ type: 'refresh', done: 0, total });
  const reports = [];
  for (let i = 0; i < ids.length; i++) {
    await wait(cfg.refreshStepMs);
    const p = podcasts.get(ids[i]);
    if (!p) continue; // unsubscribed meanwhile
    const how = REFRESH_BEHAVIOUR[p.id] ?? { add: 0 };
    if (how.fail) {
      p.lastError = how.fail;
      reports.push({ podcastId: p.id, title: p.title, status: 'failed', newEpisodes: 0, message: how.fail });
    } else {
      const eps = episodesOf.get(p.id);
      const now = Math.floor(Date.now() / 1000);
      const fresh = [];
      for (let k = 0; k < how.add; k++) {
        const e = {
          id: nextEpisodeId++,
          podcastId: p.id,
          title: `Fresh from the feed #${nextEpisodeId % 1000}`,
          published: now - k * 60,
          durationSecs: 1800,
          positionSecs: 0,
          played: false,
          isNew: true,
        };
        fresh.push(e);
        episodeById.set(e.id, e);
      }
      eps.unshift(...fresh);
      if (settingsState.autoDownload) for (const e of fresh) queueDownload(e.id);
      p.lastError = null;
      p.refreshedAt = now;
      recount(p.id);
      reports.push({
        podcastId: p.id,
        title: p.title,
        status: fresh.length ? 'updated' : 'unchanged',
        newEpisodes: fresh.length,
        message: null,
      });
    }
    emitLibrary({ type: 'refresh', done: i + 1, total });
  }
  emitLibrary({ type: 'changed' });
  return reports;
}

async function importOpml(text) {
  let doc;
  try {
    doc = new DOMParser().parseFromString(String(text ?? ''), 'application/xml');
  } catch {
    doc = null;
  }
  if (!doc || doc.querySelector('parsererror') || doc.documentElement.localName !== 'opml') {
    throw { kind: 'opml', message: 'not an OPML file (no <opml> element)' };
  }
  const urls = [...doc.querySelectorAll('outline[xmlUrl]')].map((o) => o.getAttribute('xmlUrl'));
  const report = { added: 0, existing: 0, failed: [] };
  emitLibrary({ type: 'refresh', done: 0, total: urls.length });
  for (let i = 0; i < urls.length; i++) {
    await wait(cfg.refreshStepMs);
    const url = urls[i];
    const feed = findFeed(url);
    if (subscribedTo(url)) report.existing++;
    else if (feed) {
      subscribeFeed(feed);
      report.added++;
    } else report.failed.push({ url, message: subscribeError(url) });
    emitLibrary({ type: 'refresh', done: i + 1, total: urls.length });
  }
  emitLibrary({ type: 'changed' });
  return report;
}

const st = {
  episodeId: null,
  status: 'idle',
  base: 0, // position at baseT
  baseT: 0,
  duration: null,
  error: null,
  speed: 1,
  volume: 1,
  /** null | { kind: 'minutes', base, t } | { kind: 'episode' } | { kind: 'chapter' } */
  sleep: null,
};
/** Up Next: episode ids in play order. */
let queue = [];
const queueEvents = [];
const progress = new Map([...episodeById.values()].map((e) => [e.id, e.positionSecs]));
let settingsState = clampSettings({ ...DEFAULT_SETTINGS, ...cfg.settings });
st.speed = settingsState.defaultSpeed;
st.volume = settingsState.volume;
/** podcastId → the speed set in the player for it. */
const speedOf = new Map();

// Like an app relaunch: an episode is already loaded (paused) when the UI starts.
if (cfg.preload) {
  const ep = episodeById.get(cfg.preload.episodeId);
  st.episodeId = ep.id;
  st.duration = ep.durationSecs;
  st.status = 'paused';
  st.base = progress.get(ep.id) ?? 0;
}
queue = (cfg.queue ?? []).filter((id) => episodeById.has(id));
if (cfg.sleep) setSleep(cfg.sleep);
const calls = [];
const failures = new Map();
let eventsEnabled = true;

const now = () => performance.now();
const clamp = (p) => Math.max(0, st.duration != null ? Math.min(p, st.duration) : p);

const flowing = () => now() >= st.baseT + cfg.startupMs;

function position() {
  if (st.status !== 'playing' || !flowing()) return st.base;
  return clamp(st.base + ((now() - st.baseT - cfg.startupMs) / 1000) * st.speed);
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
    speed: st.speed,
    volume: st.volume,
    sleepTimer: sleepTimer(),
  };
}

// ---- the sleep timer ---------------------------------------------------------------

/** Seconds left on a minutes timer: runs down while playing (with sleepClock 'real'). */
function sleepRemaining() {
  const s = st.sleep;
  if (s?.kind !== 'minutes') return null;
  if (cfg.sleepClock !== 'real' || st.status !== 'playing') return Math.max(0, s.base);
  return Math.max(0, s.base - (now() - s.t) / 1000);
}

/** Take the running count as the new base (before the status changes). */
function anchorSleep() {
  if (st.sleep?.kind === 'minutes') {
    st.sleep.base = sleepRemaining();
    st.sleep.t = now();
  }
}

function sleepTimer() {
  const s = st.sleep;
  if (!s) return null;
  if (s.kind === 'minutes') return { kind: 'minutes', remainingSecs: Math.round(sleepRemaining() * 1000) / 1000 };
  return { kind: s.kind };
}

function setSleep(timer) {
  if (timer == null) st.sleep = null;
  else if (timer.kind === 'minutes') {
    const m = Number(timer.minutes);
    if (!Number.isFinite(m) || m <= 0 || m > 24 * 60) throw { kind: 'invalid', message: `${timer.minutes} minutes is not a sleep time` };
    st.sleep = { kind: 'minutes', base: m * 60, t: now() };
  } else if (timer.kind === 'episode' || timer.kind === 'chapter') st.sleep = { kind: timer.kind };
  else throw { kind: 'invalid', message: `unknown sleep timer ${JSON.stringify(timer)}` };
}

/** The timer fires: pause (at `at`, if given) and announce it with `sleepTimer: null`. */
function fireSleep(at) {
  setPosition(at ?? position());
  st.status = 'paused';
  st.sleep = null;
  emit(stateEvent());
}

// ---- up next -----------------------------------------------------------------------

function queueItem(id) {
  const ep = episodeById.get(id);
  return {
    episodeId: id,
    podcastId: ep.podcastId,
    podcastTitle: podcasts.get(ep.podcastId)?.title ?? '',
    title: ep.title,
    durationSecs: ep.durationSecs,
    positionSecs: progress.get(id) ?? ep.positionSecs,
    played: ep.played,
    downloaded: dls.get(id)?.state === 'done',
  };
}

const queueList = () => queue.filter((id) => episodeById.has(id)).map(queueItem);

/** The queue changed: send the whole of it (after the command has returned). */
function queueChanged() {
  setTimeout(() => {
    const q = queueList();
    queueEvents.push({ ids: q.map((i) => i.episodeId), at: now() });
    emit(q, 'queue');
  }, 5);
}

function needEpisode(id) {
  if (!episodeById.has(id)) throw { kind: 'notFound', message: `no episode ${id}` };
}

/** Load an episode (taking it out of the queue); returns the reply of `player_load`. */
function loadEpisode(id, autoplay) {
  const ep = episodeById.get(id);
  if (!ep) throw { kind: 'notFound', message: `no episode ${id}` };
  if (queue.includes(id)) {
    queue = queue.filter((q) => q !== id);
    queueChanged();
  }
  anchorSleep();
  st.episodeId = ep.id;
  st.duration = ep.durationSecs;
  st.status = 'loading';
  st.speed = speedOf.get(ep.podcastId) ?? settingsState.defaultSpeed;
  const saved = progress.get(ep.id) ?? 0;
  setPosition(ep.played || saved >= ep.durationSecs ? 0 : saved);
  emitSoon(stateEvent());
  const reply = { ...snapshot(), status: 'loading' };
  st.status = autoplay ? 'playing' : 'paused';
  st.baseT = now();
  if (st.sleep?.kind === 'minutes') st.sleep.t = now();
  emitSoon(stateEvent);
  return reply;
}

/** Chapter boundaries of the loaded episode (where an "end of chapter" timer stops). */
function chapterEnds() {
  const d = st.episodeId != null ? DETAILS[st.episodeId] : null;
  if (!d) return [];
  const out = new Set();
  const chs = [...d.chapters].sort((a, b) => a.start - b.start);
  chs.forEach((c, i) => {
    if (c.end != null) out.add(c.end);
    if (i + 1 < chs.length) out.add(chs[i + 1].start);
  });
  return [...out].filter((t) => t > 0).sort((a, b) => a - b);
}
let lastTickPos = 0;

function emit(payload, event = 'player') {
  if (!eventsEnabled) return;
  // Goes through the mocked event plugin to every `listen('player', …)` handler.
  void window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload });
}

const libraryEvents = [];
function emitLibrary(payload) {
  libraryEvents.push({ ...payload, at: now() });
  emit(payload, 'library');
}

/** Emit after the command has returned, like events crossing the real IPC bridge. */
function emitSoon(payload, event = 'player') {
  setTimeout(() => {
    const p = typeof payload === 'function' ? payload() : payload;
    if (event === 'library') emitLibrary(p);
    else emit(p, event);
  }, 5);
}

function setStatus(status) {
  anchorSleep();
  setPosition(position());
  st.status = status;
}

function stateEvent() {
  return { type: 'state', snapshot: snapshot() };
}

setInterval(() => {
  if (st.status !== 'playing') {
    lastTickPos = st.base;
    return;
  }
  const p = position();
  const from = lastTickPos;
  lastTickPos = p;
  if (st.sleep?.kind === 'minutes' && sleepRemaining() <= 0) {
    fireSleep();
    return;
  }
  if (st.sleep?.kind === 'chapter') {
    const end = chapterEnds().find((t) => t > from && t <= p && (st.duration == null || t < st.duration));
    if (end != null) {
      fireSleep(end);
      return;
    }
  }
  if (st.duration != null && p >= st.duration) {
    anchorSleep();
    setPosition(st.duration);
    st.status = 'ended';
    const next = queue.find((id) => episodeById.has(id));
    if (st.sleep?.kind === 'episode' || st.sleep?.kind === 'chapter' || next == null) {
      // An "end of episode" (or chapter) timer stops here: no advance.
      if (st.sleep?.kind !== 'minutes') st.sleep = null;
      emit(stateEvent());
      return;
    }
    emit(stateEvent());
    loadEpisode(next, true);
    return;
  }
  emit({ type: 'position', position: p, playing: flowing(), speed: st.speed });
}, cfg.tickMs);

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
      return clone([...podcasts.values()]);
    case 'library_episodes': {
      const eps = episodesOf.get(args.podcastId);
      if (!eps) throw { kind: 'notFound', message: `no podcast ${args.podcastId}` };
      return clone(eps).map((e) => withDownload({ ...e, positionSecs: progress.get(e.id) ?? e.positionSecs }));
    }
    case 'episode_detail': {
      const d = detailOf(args.episodeId);
      if (!d) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      d.episode.positionSecs = progress.get(args.episodeId) ?? d.episode.positionSecs;
      withDownload(d.episode);
      return d;
    }
    case 'episode_mark_seen': {
      const ep = episodeById.get(args.episodeId);
      if (!ep) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      if (ep.isNew) {
        ep.isNew = false;
        recount(ep.podcastId);
        emitSoon({ type: 'changed' }, 'library');
      }
      return null;
    }
    case 'feed_subscribe': {
      const url = String(args.url ?? '').trim();
      return wait(cfg.subscribeMs).then(() => {
        const feed = findFeed(url);
        if (!feed) throw { kind: 'feed', message: subscribeError(url) };
        const { podcast, added } = subscribeFeed(feed);
        if (added) emitLibrary({ type: 'changed' });
        return clone(podcast);
      });
    }
    case 'feed_unsubscribe': {
      if (!podcasts.has(args.podcastId)) throw { kind: 'notFound', message: `no podcast ${args.podcastId}` };
      podcasts.delete(args.podcastId);
      for (const e of episodesOf.get(args.podcastId) ?? []) episodeById.delete(e.id);
      episodesOf.delete(args.podcastId);
      emitSoon({ type: 'changed' }, 'library');
      return null;
    }
    case 'feed_refresh':
      return refreshFeeds(args.podcastId ?? null);
    case 'opml_import':
      return importOpml(args.text);
    case 'opml_export':
      return { path: '/home/listener/Downloads/earshot-subscriptions.opml', count: podcasts.size };
    case 'open_external': {
      const url = String(args.url ?? '');
      if (!/^(https?|mailto):/i.test(url)) throw { kind: 'invalidUrl', message: `refusing to open ${url}` };
      return null;
    }
    case 'chapter_set_skipped': {
      const d = detailOf(args.episodeId);
      if (!d) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      if (!d.chapters.some((c) => c.start === args.start)) {
        throw { kind: 'notFound', message: `no chapter at ${args.start} in episode ${args.episodeId}` };
      }
      const set = skippedOf(args.episodeId);
      if (args.skipped) set.add(args.start);
      else set.delete(args.start);
      return null;
    }
    case 'library_search':
      return librarySearch(args.query, args.limit ?? 50);
    case 'transcript_import': {
      if (!episodeById.has(args.episodeId)) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      const name = String(args.name ?? 'transcript');
      const segments = parseVtt(name, args.text);
      importedTranscripts.set(args.episodeId, { segments, format: 'vtt' });
      return clone(segments);
    }
    case 'transcript_align': {
      if (!episodeById.has(args.episodeId)) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      const u = alignmentUpdate(args.episodeId, { state: 'queued', progress: 0, error: null });
      emitSoon(clone(u), 'alignment');
      return clone(u);
    }
    case 'transcript_align_cancel': {
      const prev = alignments.get(args.episodeId);
      if (prev && (prev.state === 'queued' || prev.state === 'running')) {
        const u = alignmentUpdate(args.episodeId, { state: 'cancelled', progress: 0 });
        emitSoon(clone(u), 'alignment');
      }
      return null;
    }
    case 'player_snapshot':
      return snapshot();
    case 'player_set_speed': {
      setPosition(position());
      st.speed = clampSpeed(Number(args.speed));
      if (st.episodeId != null) speedOf.set(episodeById.get(st.episodeId)?.podcastId, st.speed);
      // The next position event carries the new rate.
      emitSoon(() => ({ type: 'position', position: position(), playing: st.status === 'playing' && flowing(), speed: st.speed }));
      return st.speed;
    }
    case 'player_set_volume': {
      const v = Number(args.volume);
      if (!Number.isFinite(v)) throw { kind: 'invalid', message: `volume ${args.volume} is not a number` };
      st.volume = Math.min(1, Math.max(0, v));
      return null;
    }
    case 'settings_get':
      return clone(settingsState);
    case 'settings_set': {
      if (!args.settings || typeof args.settings !== 'object') throw { kind: 'invalid', message: 'settings missing' };
      settingsState = clampSettings({ ...settingsState, ...args.settings });
      scheduleDownloads();
      return clone(settingsState);
    }
    case 'download_list':
      return downloadList();
    case 'download_episode': {
      if (!episodeById.has(args.episodeId)) throw { kind: 'notFound', message: `no episode ${args.episodeId}` };
      queueDownload(args.episodeId);
      return null;
    }
    case 'download_pause': {
      const d = dlOf(args.episodeId);
      if (d.state === 'queued' || d.state === 'running') {
        d.state = 'paused';
        d.rate = 0;
        d.retryLeft = 0;
        emitDownloadSoon(d);
        scheduleDownloads();
      }
      return null;
    }
    case 'download_resume': {
      const d = dlOf(args.episodeId);
      if (d.state === 'paused' || d.state === 'failed') {
        d.state = 'queued';
        d.error = null;
        d.failAt = null; // a retry gets through
        d.order = nextDownloadOrder++;
        emitDownloadSoon(d);
        scheduleDownloads();
      }
      return null;
    }
    case 'download_cancel': {
      const d = dlOf(args.episodeId);
      if (d.state !== 'done') {
        dls.delete(d.episodeId);
        emitDownloadSoon(noneUpdate(d.episodeId));
        scheduleDownloads();
      }
      return null;
    }
    case 'download_delete': {
      const d = dlOf(args.episodeId);
      dls.delete(d.episodeId);
      emitDownloadSoon(noneUpdate(d.episodeId));
      scheduleDownloads();
      return null;
    }
    case 'player_load': {
      const reply = loadEpisode(args.episodeId, args.autoplay);
      // Like the real bridge, the reply (taken while loading) can arrive after the events.
      if (cfg.loadReplyDelayMs) return new Promise((r) => setTimeout(() => r(reply), cfg.loadReplyDelayMs));
      return snapshot();
    }
    case 'player_next': {
      const next = queue.find((id) => episodeById.has(id));
      if (next == null) throw { kind: 'queueEmpty', message: 'Up Next is empty' };
      loadEpisode(next, true);
      return snapshot();
    }
    case 'queue_list':
      return queueList();
    case 'queue_add': {
      needEpisode(args.episodeId);
      const rest = queue.filter((id) => id !== args.episodeId);
      queue = args.next ? [args.episodeId, ...rest] : [...rest, args.episodeId];
      queueChanged();
      return queueList();
    }
    case 'queue_move': {
      const from = queue.indexOf(args.episodeId);
      if (from < 0) throw { kind: 'notFound', message: `episode ${args.episodeId} is not in Up Next` };
      const to = Number(args.to);
      if (!Number.isInteger(to) || to < 0 || to >= queue.length) throw { kind: 'invalid', message: `no place ${args.to} in Up Next` };
      queue.splice(from, 1);
      queue.splice(to, 0, args.episodeId);
      queueChanged();
      return queueList();
    }
    case 'queue_remove': {
      if (!queue.includes(args.episodeId)) throw { kind: 'notFound', message: `episode ${args.episodeId} is not in Up Next` };
      queue = queue.filter((id) => id !== args.episodeId);
      queueChanged();
      return queueList();
    }
    case 'queue_clear':
      if (queue.length) {
        queue = [];
        queueChanged();
      }
      return [];
    case 'sleep_timer_set': {
      anchorSleep();
      setSleep(args.timer ?? null);
      return sleepTimer();
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

// ---- downloads ---------------------------------------------------------------------

/** episodeId → the download's record (what `download_list` returns, plus the fake's own fields). */
const dls = new Map();
let nextDownloadOrder = 1;
const downloadEvents = [];

function newDownload(episodeId, state = 'queued') {
  const ep = episodeById.get(episodeId);
  const failure = cfg.downloadFailures?.[episodeId] ?? null;
  const retry = cfg.downloadRetries?.[episodeId] ?? null;
  return {
    episodeId,
    podcastId: ep.podcastId,
    state,
    bytes: 0,
    total: null,
    rate: 0,
    error: null,
    localFile: null,
    size: null,
    hash: null,
    downloadedAt: null,
    // the fake's own
    order: nextDownloadOrder++,
    fullSize: downloadSize(ep.durationSecs),
    failAt: failure ? failure.at : null,
    failMessage: failure?.message ?? null,
    retryAt: retry ? retry.at : null,
    retryMessage: retry?.message ?? null,
    retryTicks: retry?.ticks ?? 3,
    retryLeft: 0,
  };
}

function rowOf(d) {
  const ep = episodeById.get(d.episodeId);
  const pod = podcasts.get(d.podcastId);
  return {
    episodeId: d.episodeId,
    podcastId: d.podcastId,
    podcastTitle: pod?.title ?? '',
    title: ep?.title ?? '',
    state: d.state,
    bytes: d.bytes,
    total: d.total,
    rate: d.state === 'running' ? d.rate : 0,
    error: d.error,
    localFile: d.localFile,
    size: d.size,
    hash: d.hash,
    downloadedAt: d.downloadedAt,
    played: ep?.played ?? false,
  };
}

function downloadList() {
  const all = [...dls.values()].filter((d) => episodeById.has(d.episodeId));
  const open = all.filter((d) => d.state !== 'done').sort((a, b) => a.order - b.order);
  const done = all.filter((d) => d.state === 'done').sort((a, b) => b.downloadedAt - a.downloadedAt || b.order - a.order);
  return [...open, ...done].map(rowOf);
}

function withDownload(e) {
  const d = dls.get(e.id);
  e.downloaded = d?.state === 'done';
  e.downloadState = d && d.state !== 'done' ? d.state : null;
  return e;
}

function dlOf(episodeId) {
  const d = dls.get(episodeId);
  if (!d) throw { kind: 'notFound', message: `episode ${episodeId} has no download` };
  return d;
}

function updateOf(d, state = d.state, message = null) {
  return {
    episodeId: d.episodeId,
    state,
    bytes: d.bytes,
    total: d.total,
    rate: state === 'running' ? d.rate : 0,
    message: message ?? (state === 'failed' ? d.error : null),
  };
}

const noneUpdate = (episodeId) => ({ episodeId, state: 'none', bytes: 0, total: null, rate: 0, message: null });

function emitDownload(u) {
  downloadEvents.push({ ...u, at: now() });
  emit(u, 'download');
}

function emitDownloadSoon(dOrUpdate) {
  const u = 'fullSize' in dOrUpdate ? updateOf(dOrUpdate) : dOrUpdate;
  setTimeout(() => emitDownload(u), 5);
}

function queueDownload(episodeId) {
  const d = dls.get(episodeId);
  if (d && d.state !== 'paused' && d.state !== 'failed') return; // downloaded or under way: no-op
  if (d) {
    d.state = 'queued';
    d.error = null;
    d.failAt = null;
    d.order = nextDownloadOrder++;
    emitDownloadSoon(d);
  } else {
    const n = newDownload(episodeId);
    dls.set(episodeId, n);
    emitDownloadSoon(n);
  }
  scheduleDownloads();
}

/** Start queued downloads while fewer than `downloadConcurrency` run. */
function scheduleDownloads() {
  const running = [...dls.values()].filter((d) => d.state === 'running').length;
  let free = settingsState.downloadConcurrency - running;
  const queued = [...dls.values()].filter((d) => d.state === 'queued').sort((a, b) => a.order - b.order);
  for (const d of queued) {
    if (free <= 0) break;
    free--;
    d.state = 'running';
    d.rate = 0;
    if (!cfg.unknownTotal.includes(d.episodeId)) d.total = d.fullSize; // the server said
    emitDownloadSoon(d);
  }
}

/** One tick of every running download: progress, a retry, a failure or the end. */
function stepDownloads(ms = cfg.downloadTickMs || 250) {
  for (const d of [...dls.values()]) {
    if (d.state !== 'running') continue;
    if (d.retryLeft > 0) {
      d.retryLeft--;
      if (d.retryLeft === 0) emitDownload(updateOf(d, 'running'));
      continue;
    }
    const step = Math.max(1, Math.round((cfg.downloadRate * ms) / 1000));
    const before = d.bytes;
    d.bytes = Math.min(d.fullSize, d.bytes + step);
    d.rate = cfg.downloadRate;
    const f = d.bytes / d.fullSize;
    if (d.retryAt != null && f >= d.retryAt) {
      d.retryAt = null;
      d.retryLeft = d.retryTicks;
      d.rate = 0;
      emitDownload(updateOf(d, 'retrying', d.retryMessage ?? 'The connection was reset; retrying in 2 s'));
      continue;
    }
    if (d.failAt != null && f >= d.failAt) {
      d.bytes = Math.max(before, Math.round(d.fullSize * d.failAt));
      d.state = 'failed';
      d.rate = 0;
      d.error = d.failMessage ?? 'The download failed.';
      emitDownload(updateOf(d));
      continue;
    }
    if (d.bytes >= d.fullSize) {
      d.state = 'done';
      d.total = d.fullSize;
      d.size = d.fullSize;
      d.rate = 0;
      d.localFile = `/home/listener/.local/share/earshot/downloads/p${d.podcastId}/episode-${d.episodeId}.mp3`;
      d.hash = `blake3:${String(d.episodeId).padStart(64, '0')}`;
      d.downloadedAt = Math.floor(Date.now() / 1000);
      emitDownload(updateOf(d));
      continue;
    }
    emitDownload(updateOf(d));
  }
  scheduleDownloads();
}

if (cfg.downloadTickMs > 0) setInterval(() => stepDownloads(cfg.downloadTickMs), cfg.downloadTickMs);

if (cfg.downloads === 'some') {
  for (const p of DOWNLOAD_PRESET) {
    if (!episodeById.has(p.episodeId)) continue;
    const d = newDownload(p.episodeId, p.state);
    d.failAt = null;
    d.retryAt = null;
    if (p.state !== 'queued') d.total = d.fullSize;
    d.bytes = Math.round(d.fullSize * p.fraction);
    if (p.state === 'running') d.rate = cfg.downloadRate;
    if (p.state === 'failed') d.error = p.error;
    if (p.state === 'done') {
      d.size = d.fullSize;
      d.localFile = `/home/listener/.local/share/earshot/downloads/p${d.podcastId}/episode-${d.episodeId}.mp3`;
      d.hash = `blake3:${String(d.episodeId).padStart(64, '0')}`;
      d.downloadedAt = p.downloadedAt;
    }
    dls.set(p.episodeId, d);
  }
}

mockWindows('main');
mockIPC(handle, { shouldMockEvents: true });

window.__fake = {
  calls,
  /** An `alignment` event (merged into the episode's last update) as the backend sends it. */
  emitAlignment(episodeId, patch) {
    emit(clone(alignmentUpdate(episodeId, patch)), 'alignment');
  },
  /** The job finished: `segments` are stored (what `episode_detail` returns), then `done`. */
  finishAlignment(episodeId, segments, patch = {}) {
    if (segments) alignedSegments.set(episodeId, clone(segments));
    emit(clone(alignmentUpdate(episodeId, { state: 'done', progress: 1, error: null, ...patch })), 'alignment');
  },
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
  /** `library` events emitted so far (with `at`, performance.now()). */
  libraryEvents,
  emitLibrary,
  /** Change a podcast behind the UI's back and announce it with `changed`. */
  renamePodcast(id, title) {
    podcasts.get(id).title = title;
    emitLibrary({ type: 'changed' });
  },
  podcastIds: () => [...podcasts.keys()],
  /** Starts of the chapters marked skipped in an episode. */
  skippedChapters: (episodeId) => [...skippedOf(episodeId)].sort((a, b) => a - b),
  /** Make the next call of `cmd` reject with `{kind, message}`. */
  failNext(cmd, kind, message) {
    failures.set(cmd, { kind, message });
  },
  /** `download` events emitted so far (with `at`). */
  downloadEvents,
  /** The fake's download records (as `download_list` rows). */
  downloads: () => downloadList(),
  /** Move every running download on by one tick (with `downloadTickMs: 0`, the only way). */
  stepDownloads(n = 1) {
    for (let i = 0; i < n; i++) stepDownloads();
  },
  /** Emit a `download` event as the backend would (e.g. for an episode the list doesn't have). */
  emitDownload,
  get settings() {
    return clone(settingsState);
  },
  get speed() {
    return st.speed;
  },
  get volume() {
    return st.volume;
  },
  /** Emit a `position` event by hand (with events off, the UI only sees these). */
  emitPosition(position, playing = true, speed = st.speed) {
    void window.__TAURI_INTERNALS__.invoke('plugin:event|emit', {
      event: 'player',
      payload: { type: 'position', position, playing, speed },
    });
  },
  /** Up Next as the fake keeps it (episode ids in order). */
  queue: () => [...queue],
  /** `queue` events emitted so far: `{ ids, at }`. */
  queueEvents,
  /** Change the queue behind the UI's back (another window, the CLI) and announce it. */
  setQueue(ids) {
    queue = ids.filter((id) => episodeById.has(id));
    queueChanged();
  },
  /** The sleep timer as a snapshot would carry it. */
  get sleepTimer() {
    return sleepTimer();
  },
  /**
   * Let `seconds` of listening pass on a minutes timer (sleepClock 'manual'); it fires (pause,
   * state event with `sleepTimer: null`) when it reaches 0. No event otherwise.
   */
  stepSleep(seconds) {
    if (st.sleep?.kind !== 'minutes') return;
    anchorSleep();
    st.sleep.base = Math.max(0, st.sleep.base - seconds);
    if (st.sleep.base <= 0 && st.status === 'playing') fireSleep();
  },
  /** Set the timer behind the UI's back; `announce` sends a state event with it. */
  setSleep(timer, announce = true) {
    anchorSleep();
    setSleep(timer);
    if (announce) emit(stateEvent());
  },
  /** Stop/resume emitting events (to observe pure interpolation). */
  setEvents(on) {
    eventsEnabled = on;
  },
};
