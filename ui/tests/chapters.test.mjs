// Chapters from every source (issue 6): the chapter list (durations, images, links, where the
// chapters came from), chapter marks on the seek bar, previous/next chapter, skipping chapters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHAPTER_IMG, DETAILS } from './support/fixture.js';
import {
  artifactPath,
  browserSuite,
  eventually,
  fakeArgs,
  openDemoEpisode,
  seconds,
} from './support/harness.mjs';

const demo = DETAILS[1];
const DURATION = 132;

const suite = browserSuite();
let ctx;

const label = (page) => page.locator('[data-testid="play-pause"]').getAttribute('aria-label');

/** Open an episode and pause it, so positions only change when we say so. */
async function openPaused(page, episodeId = 1) {
  await openDemoEpisode(page, episodeId);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await label(page)) === 'Play', 'paused');
}

/** Backend-side jump, then wait for the UI to follow. */
async function jump(page, to) {
  await page.evaluate((t) => window.__fake.jump(t), to);
  await eventually(async () => Math.abs((await seconds(page)) - to) < 0.05, `at ${to}`);
}

const seeks = async (page) => (await fakeArgs(page, 'player_seek')).map((a) => a.seconds);

test('chapter marks sit on the seek bar at each chapter start and name the chapter', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openPaused(page);
  const marks = page.locator('[data-testid="chapter-mark"]');
  assert.equal(await marks.count(), demo.chapters.length);
  const seek = await page.locator('[data-testid="seek"]').boundingBox();
  const got = await marks.evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { start: Number(e.dataset.start), x: r.left + r.width / 2, title: e.getAttribute('title') };
    }),
  );
  // The range thumb's centre travels from 8 px in to 8 px before the end.
  const travel = seek.width - 16;
  got.forEach((m, i) => {
    assert.equal(m.start, demo.chapters[i].start);
    assert.equal(m.title, demo.chapters[i].title);
    const rel = (m.x - seek.x - 8) / travel;
    assert.ok(Math.abs(rel - m.start / DURATION) < 0.01, `mark ${i} at ${rel.toFixed(3)}, want ${(m.start / DURATION).toFixed(3)}`);
  });
  // Hovering the bar shows which chapter is there.
  await page.mouse.move(seek.x + 8 + travel * (80 / DURATION), seek.y + seek.height / 2);
  const tip = page.locator('[data-testid="seek-tooltip"]');
  await eventually(async () => /How chapters work/.test(await tip.innerText()), 'tooltip names the chapter');
  assert.match(await tip.innerText(), /1:(19|20|21)/);
  await page.mouse.move(10, 200);
  await eventually(async () => (await tip.count()) === 0, 'tooltip gone');
  // The seek bar's spoken value names the current chapter too.
  assert.match(await page.locator('[data-testid="seek"]').getAttribute('aria-valuetext'), /chapter: Cold open/);
});

test('each chapter shows its start and its duration (to its end, the next start or the episode end)', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openPaused(page);
  const lens = page.locator('[data-testid="chapter-duration"]');
  assert.deepEqual(
    await lens.evaluateAll((els) => els.map((e) => Number(e.dataset.seconds))),
    [30, 32, 38, 32],
  );
  assert.deepEqual(await lens.allInnerTexts(), ['30 s', '32 s', '38 s', '32 s']);
  const texts = await page.locator('[data-testid="chapter"]').allInnerTexts();
  assert.match(texts[2], /How chapters work[\s\S]*1:02/);
  await ctx.context.close();

  // Episode 2: no explicit ends, so up to the next chapter and, for the last, the episode end.
  ctx = await suite.open();
  await openPaused(ctx.page, 2);
  const lens2 = ctx.page.locator('[data-testid="chapter-duration"]');
  assert.deepEqual(
    await lens2.evaluateAll((els) => els.map((e) => Number(e.dataset.seconds))),
    [1200, 1800, 725],
  );
  assert.deepEqual(await lens2.allInnerTexts(), ['20 min', '30 min', '12 min']);
});

test('previous / next chapter buttons seek to the right starts and disable at the ends', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openPaused(page);
  const prev = page.locator('[data-testid="prev-chapter"]');
  const next = page.locator('[data-testid="next-chapter"]');
  assert.match(await prev.getAttribute('title'), /Shift\+←/);
  assert.match(await next.getAttribute('title'), /Shift\+→/);
  await jump(page, 0);
  assert.ok(await prev.isDisabled(), 'no previous chapter at the very start');
  assert.ok(await next.isEnabled());

  await next.click();
  await eventually(async () => (await seconds(page)) === 30, 'at chapter 2');
  assert.deepEqual(await seeks(page), [30]);
  // Just at a chapter's start, "previous" goes to the chapter before.
  await prev.click();
  await eventually(async () => (await seconds(page)) === 0, 'back at chapter 1');
  assert.deepEqual(await seeks(page), [30, 0]);
  // More than 3 s in, "previous" restarts the current chapter.
  await jump(page, 45);
  await prev.click();
  await eventually(async () => (await seconds(page)) === 30, 'chapter 2 restarted');
  await jump(page, 32);
  await prev.click();
  await eventually(async () => (await seconds(page)) === 0, 'within 3 s: the chapter before');
  assert.deepEqual(await seeks(page), [30, 0, 30, 0]);

  await jump(page, 110);
  assert.ok(await next.isDisabled(), 'no next chapter in the last one');
  await prev.click();
  await eventually(async () => (await seconds(page)) === 100, 'last chapter restarted');
  assert.equal(await page.locator('[data-testid="current-chapter"]').innerText(), 'Wrap-up');
});

test('Shift+← / Shift+→ go to the previous / next chapter; plain arrows still skip', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openPaused(page);
  await jump(page, 45);
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Shift+ArrowRight');
  await eventually(async () => (await seconds(page)) === 62, 'next chapter');
  await page.keyboard.press('Shift+ArrowRight');
  await eventually(async () => (await seconds(page)) === 100, 'next chapter again');
  await page.keyboard.press('Shift+ArrowLeft');
  await eventually(async () => (await seconds(page)) === 62, 'previous chapter');
  assert.deepEqual(await seeks(page), [62, 100, 62]);
  assert.deepEqual(await fakeArgs(page, 'player_skip'), [], 'no plain skips');
  await page.keyboard.press('ArrowRight');
  await eventually(async () => (await fakeArgs(page, 'player_skip')).length === 1, 'plain → skips');
  assert.deepEqual(await fakeArgs(page, 'player_skip'), [{ delta: 30 }]);
});

test('unticking a chapter skips it: the command is sent, the row and its mark show it', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openPaused(page);
  const rows = page.locator('[data-testid="chapter-row"]');
  const box = page.locator('[data-testid="chapter-skip"]');
  const mark = page.locator('[data-testid="chapter-mark"]');
  assert.equal(await box.count(), demo.chapters.length);
  for (let i = 0; i < demo.chapters.length; i++) assert.ok(await box.nth(i).isChecked(), `chapter ${i} will play`);

  await box.nth(2).uncheck();
  await eventually(async () => (await fakeArgs(page, 'chapter_set_skipped')).length === 1, 'command sent');
  assert.deepEqual(await fakeArgs(page, 'chapter_set_skipped'), [{ episodeId: 1, start: 62, skipped: true }]);
  assert.deepEqual(await page.evaluate(() => window.__fake.skippedChapters(1)), [62]);
  assert.match(await rows.nth(2).getAttribute('class'), /\bskipped\b/);
  assert.match(await rows.nth(2).innerText(), /Skipped/i);
  const deco = await rows.nth(2).locator('.title').evaluate((e) => getComputedStyle(e).textDecorationLine);
  assert.equal(deco, 'line-through');
  assert.match(await mark.nth(2).getAttribute('class'), /\bskipped\b/);
  assert.doesNotMatch(await mark.nth(1).getAttribute('class'), /\bskipped\b/);
  // Still a chapter you can click to.
  assert.equal(await page.locator('[data-testid="chapter"]').count(), demo.chapters.length);

  await box.nth(2).check();
  await eventually(async () => (await fakeArgs(page, 'chapter_set_skipped')).length === 2, 'second command');
  assert.deepEqual((await fakeArgs(page, 'chapter_set_skipped'))[1], { episodeId: 1, start: 62, skipped: false });
  assert.doesNotMatch(await rows.nth(2).getAttribute('class'), /\bskipped\b/);
});

test('skipped chapters from the backend show unticked; a failed change is undone and reported', async () => {
  ctx = await suite.open({ fake: { skipped: { 1: [30] } } });
  const { page } = ctx;
  await openPaused(page);
  const box = page.locator('[data-testid="chapter-skip"]');
  assert.equal(await box.nth(1).isChecked(), false);
  assert.match(await page.locator('[data-testid="chapter-row"]').nth(1).getAttribute('class'), /\bskipped\b/);

  await page.evaluate(() => window.__fake.failNext('chapter_set_skipped', 'db', 'database is locked'));
  await box.nth(3).click(); // (not uncheck(): it would complain that the state bounced back)
  await page.locator('[role="alert"]').filter({ hasText: 'database is locked' }).waitFor();
  await eventually(async () => await box.nth(3).isChecked(), 'ticked again');
  assert.doesNotMatch(await page.locator('[data-testid="chapter-row"]').nth(3).getAttribute('class'), /\bskipped\b/);
});

test('where the chapters came from; inline images only; chapter links open externally', async () => {
  ctx = await suite.open({ fake: { skipped: { 1: [62] } } });
  const { page } = ctx;
  await openPaused(page);
  assert.equal(await page.locator('[data-testid="chapters-from"]').innerText(), 'From the chapters file');
  const rows = page.locator('[data-testid="chapter-row"]');
  assert.equal(await rows.nth(1).locator('img').getAttribute('src'), CHAPTER_IMG);
  assert.equal(await rows.nth(3).locator('img').count(), 0, 'a remote image is not shown');
  assert.equal(await page.locator('[data-testid="chapter-link"]').count(), 1);
  await rows.nth(1).locator('[data-testid="chapter-link"]').click();
  await eventually(async () => (await fakeArgs(page, 'open_external')).length === 1, 'opened');
  assert.deepEqual(await fakeArgs(page, 'open_external'), [{ url: 'https://earshot.example/docs/transcripts' }]);
  assert.deepEqual(await seeks(page), [], 'the link does not seek');
  // Screenshot: a skipped chapter, and the seek bar's tooltip over it.
  const seek = await page.locator('[data-testid="seek"]').boundingBox();
  await page.mouse.move(seek.x + 8 + (seek.width - 16) * (70 / DURATION), seek.y + seek.height / 2);
  await page.locator('[data-testid="seek-tooltip"]').waitFor();
  await page.screenshot({ path: artifactPath('ui-chapters.png') });
  await ctx.context.close();

  ctx = await suite.open();
  await openPaused(ctx.page, 2);
  assert.equal(await ctx.page.locator('[data-testid="chapters-from"]').innerText(), 'From the audio file');
});
