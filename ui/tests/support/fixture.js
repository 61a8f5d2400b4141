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
  },
  {
    id: 2,
    podcastId: 1,
    title: 'An hour of chapters',
    published: T0 - 16 * DAY,
    durationSecs: 3725,
    positionSecs: 1210,
    played: false,
  },
  {
    id: 3,
    podcastId: 1,
    title: 'Pilot: testing, testing',
    published: T0 - 40 * DAY,
    durationSecs: 905,
    positionSecs: 905,
    played: true,
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

const CHAPTERS = [
  { start: 0, end: 30, title: 'Cold open', img: null, url: null },
  { start: 30, end: 62, title: 'Why transcripts matter', img: null, url: null },
  { start: 62, end: 100, title: 'How chapters work', img: null, url: null },
  { start: 100, end: 132, title: 'Wrap-up', img: null, url: null },
];

const seg = ([start, end, speaker, text]) => ({ start, end, speaker, text });

export const DETAILS = {
  1: {
    episode: EPISODES[0],
    podcastTitle: PODCASTS[0].title,
    chapters: CHAPTERS,
    segments: CUES.map(seg),
  },
  2: {
    episode: EPISODES[1],
    podcastTitle: PODCASTS[0].title,
    chapters: [
      { start: 0, end: null, title: 'Intro', img: null, url: null },
      { start: 1200, end: null, title: 'The long middle', img: null, url: null },
      { start: 3000, end: null, title: 'Outro', img: null, url: null },
    ],
    segments: [
      { start: 0, end: 6, speaker: 'Ben', text: 'This one is long, so it shows hours in the time display.' },
      { start: 1200, end: 1230, speaker: 'Ada', text: 'We are somewhere in the middle now.' },
    ],
  },
  3: {
    episode: EPISODES[2],
    podcastTitle: PODCASTS[0].title,
    chapters: [],
    segments: [],
  },
};

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
