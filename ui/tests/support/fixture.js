// Fixture data for the fake backend. Plain ESM: loaded by the browser (served by the
// test server) and imported by the node tests for assertions.

export const PODCASTS = [
  {
    id: 1,
    title: 'The Earshot Demo',
    author: 'Earshot Team',
    description:
      'A tiny built-in show that walks through what Earshot does: chapters, transcripts and a player that remembers where you were.',
    episodeCount: 3,
    feedUrl: 'https://earshot.example/demo/feed.xml',
    artwork: null,
    newCount: 1,
    refreshedAt: 1763942400,
    lastError: null,
  },
];

const DAY = 86400;
const T0 = 1763942400; // 2025-11-24T00:00:00Z

/** Newest first, as `library_episodes` returns them. */
export const EPISODES = [
  {
    id: 1,
    podcastId: 1,
    title: 'Welcome to Earshot',
    published: T0 - 2 * DAY,
    durationSecs: 132,
    positionSecs: 0,
    played: false,
    isNew: true,
  },
  {
    id: 2,
    podcastId: 1,
    title: 'An hour of chapters',
    published: T0 - 16 * DAY,
    durationSecs: 3725,
    positionSecs: 1210,
    played: false,
    isNew: false,
  },
  {
    id: 3,
    podcastId: 1,
    title: 'Pilot: testing, testing',
    published: T0 - 40 * DAY,
    durationSecs: 905,
    positionSecs: 905,
    played: true,
    isNew: false,
  },
];

export const SPEAKERS = ['Ada', 'Ben'];

// [start, end, speaker, text] — 20 cues over 132 s, two speakers, one short gap (61.5–62).
const CUES = [
  [0.0, 5.2, 'Ada', 'Hi, and welcome to the Earshot demo. I’m Ada.'],
  [5.2, 11.0, 'Ada', 'This is a short episode that exists mostly so the player has something to play.'],
  [11.0, 16.4, 'Ben', 'And I’m Ben. I’m here to ask the obvious questions.'],
  [16.4, 23.0, 'Ben', 'Like: why would a podcast player care so much about transcripts?'],
  [23.0, 30.0, 'Ada', 'Because a transcript turns audio into something you can skim, search and jump around in.'],
  [30.0, 36.5, 'Ada', 'You can see what’s being said right now, highlighted as we speak.'],
  [36.5, 43.0, 'Ben', 'And if I click a line, the audio jumps right there?'],
  [43.0, 49.5, 'Ada', 'Exactly. Every cue knows where it starts, so clicking it seeks to that moment.'],
  [49.5, 55.0, 'Ben', 'What happens when the highlight scrolls off the screen?'],
  [55.0, 61.5, 'Ada', 'The transcript follows along, gently, but only once the line you’re hearing leaves the view.'],
  [62.0, 68.0, 'Ben', 'Okay. Let’s talk about chapters.'],
  [68.0, 74.5, 'Ada', 'Chapters split an episode into named parts, each with a start time.'],
  [74.5, 81.0, 'Ben', 'So the list on the left is the table of contents.'],
  [81.0, 88.0, 'Ada', 'Right, and the chapter you’re in is marked, so you always know where you are.'],
  [88.0, 94.0, 'Ben', 'Click a chapter and you skip straight to it.'],
  [94.0, 100.0, 'Ada', 'The player bar shows the current chapter title too.'],
  [100.0, 107.0, 'Ben', 'Anything else before we wrap up?'],
  [107.0, 114.5, 'Ada', 'Space plays and pauses, and the arrow keys skip back fifteen or forward thirty seconds.'],
  [114.5, 122.0, 'Ben', 'Handy. Thanks for listening, everyone.'],
  [122.0, 132.0, 'Ada', 'See you in the next episode. Bye!'],
];

/** A tiny inline chapter image (remote ones are never shown: the CSP forbids them). */
export const CHAPTER_IMG =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="#0f766e"/>' +
      '<path d="M8 10h16M8 16h16M8 22h10" stroke="white" stroke-width="3" stroke-linecap="round"/></svg>',
  );

const CHAPTERS = [
  { start: 0, end: 30, title: 'Cold open', img: null, url: null },
  {
    start: 30,
    end: 62,
    title: 'Why transcripts matter',
    img: CHAPTER_IMG,
    url: 'https://earshot.example/docs/transcripts',
  },
  { start: 62, end: 100, title: 'How chapters work', img: null, url: null },
  { start: 100, end: 132, title: 'Wrap-up', img: 'https://cdn.example/wrap-up.jpg', url: null },
];

const seg = ([start, end, speaker, text]) => ({ start, end, speaker, text, estimated: false });

/**
 * Word timings spread over a segment by the length of each word (as a forced aligner might give).
 * Words are the text split on spaces, punctuation kept with them.
 */
export function wordsOf(s) {
  const parts = s.text.split(/\s+/).filter(Boolean);
  const total = parts.reduce((n, w) => n + w.length + 1, 0);
  const span = s.end - s.start;
  let t = s.start;
  return parts.map((text) => {
    const d = (span * (text.length + 1)) / total;
    const w = { start: Math.round(t * 1000) / 1000, end: Math.round((t + d) * 1000) / 1000, text };
    t += d;
    return w;
  });
}
const withWords = (s) => ({ ...s, words: wordsOf(s) });

/** Show notes as the backend sends them (sanitized): time stamps seek, other links are absolute. */
export const DEMO_NOTES =
  '<p>A short tour of Earshot, recorded for the demo podcast.</p>' +
  '<ul>' +
  '<li><a href="#" data-seek="30">00:00:30</a> Why transcripts matter</li>' +
  '<li><a href="#" data-seek="62">00:01:02</a> How chapters work</li>' +
  '<li><a href="#" data-seek="100">00:01:40</a> Wrap-up and keyboard shortcuts</li>' +
  '</ul>' +
  '<p>Read more in the <a href="https://earshot.example/docs/player" rel="noopener noreferrer">player guide</a>, ' +
  'or write to <a href="mailto:hello@earshot.example" rel="noopener noreferrer">hello@earshot.example</a>.</p>';

/** What a buggy backend might let through. None of it may run, load or navigate. */
export const EVIL_NOTES =
  '<p>Before <a href="#" data-seek="12">00:00:12</a> after.</p>' +
  '<img src=x onerror="window.__pwned=1">' +
  '<script>window.__pwned=2</script>' +
  '<svg><script>window.__pwned=3</script><circle onload="window.__pwned=4" r="2"></circle></svg>' +
  '<iframe srcdoc="<script>parent.__pwned=5</script>"></iframe>' +
  '<p style="color:red" onclick="window.__pwned=6">styled</p>' +
  '<a href="javascript:window.__pwned=7" data-testid="js-link">javascript link</a> ' +
  '<a href="https://evil.example/" onmouseover="window.__pwned=8" data-testid="evil-link">evil link</a>' +
  '<form action="https://evil.example/"><button>Submit</button></form>' +
  '<style>body{display:none}</style><object data="x"></object><embed src="x">' +
  '<math><mi xlink:href="javascript:window.__pwned=9">x</mi></math>';

export const DETAILS = {
  1: {
    episode: EPISODES[0],
    podcastTitle: PODCASTS[0].title,
    chapters: CHAPTERS,
    segments: CUES.map(seg).map(withWords),
    showNotesHtml: DEMO_NOTES,
    link: 'https://earshot.example/demo/welcome',
    chaptersFrom: 'podcasting20-json',
    transcriptFrom: { source: 'demo', format: 'json' },
  },
  2: {
    episode: EPISODES[1],
    podcastTitle: PODCASTS[0].title,
    chapters: [
      { start: 0, end: null, title: 'Intro', img: null, url: null },
      { start: 1200, end: null, title: 'The long middle', img: null, url: null },
      { start: 3000, end: null, title: 'Outro', img: null, url: null },
    ],
    // A plain-text transcript without timings: every start is an estimate.
    segments: [
      { start: 0, end: 6, speaker: 'Ben', text: 'This one is long, so it shows hours in the time display.', estimated: true },
      { start: 1200, end: 1230, speaker: 'Ada', text: 'We are somewhere in the middle now.', estimated: true },
      { start: 1230, end: 1300, speaker: 'Ben', text: 'Chapters make a long episode easy to find your way around.', estimated: true },
      { start: 3000, end: 3060, speaker: 'Ada', text: 'And that is the outro. Thanks for sticking with us.', estimated: true },
    ],
    showNotesHtml: '<p>The long one. Skip to <a href="#" data-seek="3000">00:50:00</a> for the outro.</p>',
    link: null,
    chaptersFrom: 'id3',
    transcriptFrom: { source: 'https://earshot.example/demo/long.txt', format: 'text' },
  },
  3: {
    episode: EPISODES[2],
    podcastTitle: PODCASTS[0].title,
    chapters: [],
    segments: [],
    showNotesHtml: null,
    link: null,
    chaptersFrom: null,
    transcriptFrom: null,
  },
};

// ---- a 3-hour transcript of 5,000 lines (`fake: { transcript: 'long' }`, episode 2) ---------

export const LONG_EPISODE_ID = 2;
export const LONG_COUNT = 5000;
export const LONG_DURATION = 3 * 3600;
export const LONG_SPEAKERS = ['Mara', 'Tomás', 'Li Wei'];
/** Lines of the long transcript that mention a zeppelin (spelt three ways: find ignores case and accents). */
export const LONG_FIND = { query: 'zeppelin', at: [37, 2600, 4800], spellings: ['zeppelin', 'Zéppelin', 'ZEPPELIN'] };
export const LONG_CHAPTERS = Array.from({ length: 6 }, (_, k) => ({
  start: k * 1800,
  end: null,
  title: `Hour ${Math.floor(k / 2) + 1}, part ${(k % 2) + 1}`,
  img: null,
  url: null,
}));

const PHRASES = [
  'The archive opens at nine, and by ten the reading room is full.',
  'Nobody planned it this way.',
  'We went back through the ledgers one page at a time, and the numbers simply did not add up the way the official history says they should.',
  'That is the part people forget.',
  'Imagine the harbour at dawn, the fog lifting off the water, the first boats already out past the breakwater.',
  'Right.',
  'I asked the same question three times before anyone gave me a straight answer.',
  'It was a small town with a very long memory, and every family had its own version of the story.',
  'Exactly so.',
  'Let me read you a letter from eighteen ninety-two.',
  'The bell rang twice, which meant a ship was coming in, and the whole street emptied towards the quay.',
  'Hmm, I am not sure about that.',
];

/** Deterministic: the same 5,000 lines every time. */
export function longTranscript() {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const step = LONG_DURATION / LONG_COUNT;
  const out = [];
  let speaker = 0;
  for (let i = 0; i < LONG_COUNT; i++) {
    if (rnd() < 0.3) speaker = (speaker + 1 + Math.floor(rnd() * 2)) % LONG_SPEAKERS.length;
    const n = 1 + Math.floor(rnd() * 2);
    const parts = [];
    for (let k = 0; k < n; k++) parts.push(PHRASES[Math.floor(rnd() * PHRASES.length)]);
    const z = LONG_FIND.at.indexOf(i);
    if (z >= 0) parts.push(`Then the ${LONG_FIND.spellings[z]} came over the hill.`);
    const start = Math.round(i * step * 100) / 100;
    const end = Math.round((i + 1) * step * 100) / 100;
    const s = { start, end, speaker: LONG_SPEAKERS[speaker], text: `Line ${i + 1}. ${parts.join(' ')}`, estimated: false };
    out.push(withWords(s));
  }
  return out;
}

// ---- the richer library (`fake: { library: 'rich' }`) ------------------------------

export const BIG_PODCAST_ID = 3;
export const BIG_COUNT = 5000;
export const BROKEN_PODCAST_ID = 4;
export const SPACE_PODCAST_ID = 2;

const TOPICS = ['Lighthouses', 'Rivers', 'Old Maps', 'Bridges', 'Clockmakers', 'Salt', 'Bells', 'Canals', 'Paper', 'Glass'];

/** Newest first: "Episode 5000 …" down to "Episode 1 …". */
export function bigEpisodes() {
  const out = [];
  for (let i = 0; i < BIG_COUNT; i++) {
    const n = BIG_COUNT - i;
    out.push({
      id: 100000 + n,
      podcastId: BIG_PODCAST_ID,
      title: `Episode ${n}: ${TOPICS[n % TOPICS.length]}`,
      published: T0 - i * DAY,
      durationSecs: 1800 + ((n * 37) % 1800),
      positionSecs: i < 3 ? 0 : i % 7 === 0 ? 600 : 0,
      played: i >= 3 && i % 3 === 0 && i % 7 !== 0,
      isNew: i < 3,
    });
  }
  return out;
}

const art = (name) => `/__mock__/art/${name}.svg`;

export const RICH_PODCASTS = [
  {
    id: SPACE_PODCAST_ID,
    title: 'Deep Space Dispatch',
    author: 'Orbital Radio',
    description:
      '<p>Weekly news from the <b>outer solar system</b> &amp; beyond: probes, telescopes and the people who fly them.</p>',
    episodeCount: 5,
    feedUrl: 'https://orbital.example/dispatch.xml',
    artwork: art('space'),
    newCount: 2,
    refreshedAt: T0 - 3600,
    lastError: null,
  },
  {
    id: BIG_PODCAST_ID,
    title: 'The Long Archive',
    author: 'Archivists’ Guild',
    description: 'Every episode since the very first: a daily show about the history of ordinary things.',
    episodeCount: BIG_COUNT,
    feedUrl: 'https://archive.example/feed.xml',
    artwork: art('archive'),
    newCount: 3,
    refreshedAt: T0 - 7200,
    lastError: null,
  },
  {
    id: BROKEN_PODCAST_ID,
    title: 'Kitchen Chemistry',
    author: 'Dr. Basil Thyme',
    description: 'Why bread rises, why onions sting, and other questions from the kitchen.',
    episodeCount: 2,
    feedUrl: 'https://kitchen.example/feed.xml',
    artwork: null,
    newCount: 0,
    refreshedAt: T0 - 9 * DAY,
    lastError: 'https://kitchen.example/feed.xml answered 404 Not Found',
  },
];

export const RICH_EPISODES = [
  ...[
    ['Voyager at the edge', 0, false, true],
    ['A telescope the size of Earth', 0, false, true],
    ['Europa Clipper, one year out', 1500, false, false],
    ['The quiet sun', 0, false, false],
    ['Pluto, revisited', 2400, true, false],
  ].map(([title, positionSecs, played, isNew], i) => ({
    id: 200 + i,
    podcastId: SPACE_PODCAST_ID,
    title,
    published: T0 - (i * 7 + 1) * DAY,
    durationSecs: 2400 + i * 300,
    positionSecs,
    played,
    isNew,
  })),
  ...['Why bread rises', 'Onions, tears and sulfur'].map((title, i) => ({
    id: 300 + i,
    podcastId: BROKEN_PODCAST_ID,
    title,
    published: T0 - (i * 14 + 20) * DAY,
    durationSecs: 1500,
    positionSecs: 0,
    played: false,
    isNew: false,
  })),
];

/** How `feed_refresh` treats each podcast: new episodes it finds, or why it fails. */
export const REFRESH_BEHAVIOUR = {
  1: { add: 0 },
  [SPACE_PODCAST_ID]: { add: 2 },
  [BIG_PODCAST_ID]: { add: 1 },
  [BROKEN_PODCAST_ID]: { fail: 'https://kitchen.example/feed.xml answered 404 Not Found' },
};

/** Feeds `feed_subscribe` / `opml_import` can find (by feed URL or by their web page). */
export const FEEDS = [
  {
    urls: ['https://fieldnotes.example/feed.xml', 'https://fieldnotes.example/'],
    podcast: {
      title: 'Field Notes',
      author: 'Mara Quill',
      description:
        '<p>Walks, birds &amp; <b>weather</b>.</p><p>Recorded outdoors.<script>window.__pwned="desc"</script><img src=x onerror="window.__pwned=\'desc\'"></p>',
      feedUrl: 'https://fieldnotes.example/feed.xml',
      artwork: art('field'),
    },
    episodes: ['Dawn chorus', 'A heron at the weir', 'Fog on the moor', 'Counting swifts'],
  },
  {
    urls: ['https://tinkerers.example/rss'],
    podcast: {
      title: 'Tinkerers',
      author: 'Sam & Lee',
      description: 'Things we took apart this week.',
      feedUrl: 'https://tinkerers.example/rss',
      artwork: null,
    },
    episodes: ['The toaster', 'A music box'],
  },
];

/** What `feed_subscribe` says about a URL it can't use (names the feed and the cause). */
export function subscribeError(url) {
  return `No feed at ${url}: the page is HTML and links no RSS or Atom feed`;
}

/** Number of speaker labels the transcript should show (one per change of speaker). */
export function speakerChanges(segments) {
  let n = 0;
  let prev = null;
  for (const s of segments) {
    if (s.speaker != null && s.speaker !== prev) n++;
    prev = s.speaker;
  }
  return n;
}

// ---- downloads and settings (issues 4, 5) ------------------------------------------

/** Bytes of an episode's audio in the fake: 128 kb/s (16,000 bytes a second). */
export const BYTES_PER_SEC = 16000;
export const downloadSize = (durationSecs) => Math.round((durationSecs ?? 1800) * BYTES_PER_SEC);

/** Downloads that fail part-way: episodeId → where (fraction) and the backend's sentence. */
export const DOWNLOAD_FAILURES = {
  3: { at: 0.3, message: 'The server answered 403 Forbidden for https://earshot.example/demo/pilot.mp3.' },
};

/** What `fake: { downloads: 'some' }` starts with (episodes missing from the library are left out). */
export const DOWNLOAD_PRESET = [
  { episodeId: 2, state: 'running', fraction: 0.35 },
  { episodeId: 200, state: 'running', fraction: 0.72 },
  { episodeId: 201, state: 'paused', fraction: 0.6 },
  { episodeId: 300, state: 'failed', fraction: 0.18, error: 'The connection to kitchen.example was reset 5 times; giving up.' },
  { episodeId: 202, state: 'queued', fraction: 0 },
  { episodeId: 3, state: 'done', fraction: 1, downloadedAt: T0 - 3 * DAY },
  { episodeId: 204, state: 'done', fraction: 1, downloadedAt: T0 - 5 * DAY },
];

export const DEFAULT_SETTINGS = {
  downloadConcurrency: 2,
  autoDownload: false,
  cleanupPlayed: false,
  skipBackSecs: 15,
  skipForwardSecs: 30,
  defaultSpeed: 1,
  volume: 1,
  skipSilence: false,
  loudnessLevelling: false,
};

/** Like the backend's `Settings::clamped` (src/settings.rs). */
export function clampSettings(s) {
  const num = (v, d) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const secs = (v, d) => Math.round(Math.min(600, Math.max(1, num(v, d))));
  return {
    downloadConcurrency: Math.round(Math.min(6, Math.max(1, num(s.downloadConcurrency, 2)))),
    autoDownload: !!s.autoDownload,
    cleanupPlayed: !!s.cleanupPlayed,
    skipBackSecs: secs(s.skipBackSecs, 15),
    skipForwardSecs: secs(s.skipForwardSecs, 30),
    defaultSpeed: clampSpeed(num(s.defaultSpeed, 1)),
    volume: Math.min(1, Math.max(0, num(s.volume, 1))),
    skipSilence: !!s.skipSilence,
    loudnessLevelling: !!s.loudnessLevelling,
  };
}

/** 0.5–3 in 0.1 steps. */
export function clampSpeed(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 1;
  return Math.min(3, Math.max(0.5, Math.round(Math.min(3, Math.max(0.5, v)) * 10) / 10));
}
