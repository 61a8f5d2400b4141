import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DETAILS, EPISODES, PODCASTS, speakerChanges } from './support/fixture.js';
import {
  artifactPath,
  browserSuite,
  eventually,
  fakeArgs,
} from './support/harness.mjs';

const suite = browserSuite();
let ctx;

test('library shows the demo podcast', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  const rows = page.locator('[data-testid="podcast"]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  const text = await rows.first().innerText();
  assert.match(text, new RegExp(PODCASTS[0].title));
  assert.match(text, /Earshot Team/);
  assert.match(text, /3 episodes/);
  // Nothing loaded yet: transport disabled, bar says so.
  assert.equal(await page.locator('[data-testid="play-pause"]').getAttribute('aria-label'), 'Play');
  assert.equal(await page.locator('[data-testid="play-pause"]').isDisabled(), true);
  await page.screenshot({ path: artifactPath('ui-library-demo.png') });
});

test('podcast page lists episodes with date, duration and progress', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().click();
  const rows = page.locator('[data-testid="episode"]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), EPISODES.length);
  assert.equal(await fakeArgs(page, 'library_episodes').then((a) => a[0].podcastId), 1);

  const texts = await rows.allInnerTexts();
  EPISODES.forEach((ep, i) => assert.match(texts[i], new RegExp(ep.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))));
  // dates rendered (<time datetime>) and durations
  const dates = await page.locator('[data-testid="episode"] time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
  assert.equal(dates.length, EPISODES.length);
  assert.equal(dates[0], new Date(EPISODES[0].published * 1000).toISOString());
  assert.match(texts[0], /2 min/);
  assert.match(texts[1], /1 h 2 min/);
  // in-progress episode shows time left and a progress bar; played one is marked
  assert.match(texts[1], /42 min left/);
  assert.equal(await rows.nth(1).locator('progress').count(), 1);
  assert.match(texts[2], /Played/);
  await page.screenshot({ path: artifactPath('ui-podcast-demo.png') });
});

test('opening an episode loads it with autoplay and shows chapters and transcript', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"]').first().click();

  await eventually(async () => (await fakeArgs(page, 'player_load')).length === 1, 'player_load');
  assert.deepEqual((await fakeArgs(page, 'player_load'))[0], { episodeId: 1, autoplay: true });

  const detail = DETAILS[1];
  const chapters = page.locator('[data-testid="chapter"]');
  await chapters.first().waitFor();
  assert.equal(await chapters.count(), detail.chapters.length);
  const starts = await chapters.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-start'))));
  assert.deepEqual(starts, detail.chapters.map((c) => c.start));
  const chapterTexts = await chapters.allInnerTexts();
  assert.match(chapterTexts[1], /Why transcripts matter/);
  assert.match(chapterTexts[1], /0:30/);

  const cues = page.locator('[data-testid="transcript-segment"]');
  assert.equal(await cues.count(), detail.segments.length);
  const spans = await cues.evaluateAll((els) =>
    els.map((e) => [Number(e.getAttribute('data-start')), Number(e.getAttribute('data-end'))]),
  );
  assert.deepEqual(spans, detail.segments.map((s) => [s.start, s.end]));
  assert.match(await cues.nth(2).innerText(), /I’m Ben/);

  // Speaker names shown where the speaker changes, in order.
  const speakers = await page.locator('[data-testid="speaker"]').allInnerTexts();
  assert.equal(speakers.length, speakerChanges(detail.segments));
  assert.deepEqual(
    speakers.slice(0, 3).map((s) => s.trim().toLowerCase()),
    ['ada', 'ben', 'ada'],
  );

  // Player bar knows the episode.
  assert.equal(await page.locator('[data-testid="duration"]').innerText(), '2:12');
  await eventually(
    async () => (await page.locator('[data-testid="play-pause"]').getAttribute('aria-label')) === 'Pause',
    'Pause label while playing',
  );
  assert.equal(await page.locator('[data-testid="current-chapter"]').innerText(), 'Cold open');
  assert.equal(await page.locator('h1').innerText(), 'Welcome to Earshot');
});

test('hour-long episode shows h:mm:ss and resumes at saved progress', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"][data-episode-id="2"]').click();
  await eventually(async () => (await page.locator('[data-testid="duration"]').innerText()) === '1:02:05', 'duration 1:02:05');
  await eventually(async () => /^0?:?20:1\d$/.test(await page.locator('[data-testid="position"]').innerText()), 'position ~20:10');
  assert.equal(await page.locator('[data-testid="current-chapter"]').innerText(), 'The long middle');
});

test('navigation: breadcrumbs and back buttons', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"]').first().click();
  await page.locator('[data-testid="chapter"]').first().waitFor();
  await page.getByRole('button', { name: 'The Earshot Demo' }).first().click();
  await page.locator('[data-testid="episode"]').first().waitFor();
  // the playing episode is marked in the list
  assert.equal(await page.locator('[data-testid="episode"]').first().getAttribute('aria-current'), 'true');
  // the bar's title re-opens the player view without reloading the episode
  await page.getByRole('button', { name: /Welcome to Earshot/ }).last().click();
  await page.locator('[data-testid="chapter"]').first().waitFor();
  assert.equal((await fakeArgs(page, 'player_load')).length, 1);
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('button', { name: 'Library' }).click();
  await page.locator('[data-testid="podcast"]').first().waitFor();
});
