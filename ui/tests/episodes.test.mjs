// The podcast page's episode list: virtualized (5,000 episodes), filter, row states, "new".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIG_COUNT, BIG_PODCAST_ID, SPACE_PODCAST_ID } from './support/fixture.js';
import {
  artifactPath,
  browserSuite,
  eventually,
  fakeArgs,
} from './support/harness.mjs';

const suite = browserSuite();
let ctx;

const rich = { fake: { library: 'rich' } };
const rows = (page) => page.locator('[data-testid="episode"]');

async function openPodcast(page, id) {
  await page.locator(`[data-testid="podcast"][data-podcast-id="${id}"]`).click();
  await rows(page).first().waitFor();
}

/** Episode rows actually visible in the scroller's viewport, top to bottom. */
const visibleTitles = (page) =>
  page.evaluate(() => {
    const sc = document.querySelector('main .view');
    const box = sc.getBoundingClientRect();
    return [...document.querySelectorAll('[data-testid="episode"]')]
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.bottom > box.top + 1 && r.top < box.bottom - 1)
      .sort((a, b) => a.r.top - b.r.top)
      .map(({ el }) => el.querySelector('.title-text').textContent);
  });

test(`${BIG_COUNT.toLocaleString('en-US')} episodes: virtualized, scrolls to the oldest, stays responsive`, async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  await openPodcast(page, BIG_PODCAST_ID);
  assert.equal(await page.locator('[data-testid="episode-count"]').innerText(), '5,000');
  const rendered = await rows(page).count();
  assert.ok(rendered > 5 && rendered < 100, `rows in the DOM: ${rendered}`);
  assert.deepEqual((await visibleTitles(page)).slice(0, 2), ['Episode 5000: Lighthouses', 'Episode 4999: Glass']);

  // The list is as tall as all its rows: the scrollbar is right.
  const { listHeight, rowHeight } = await page.evaluate(() => {
    const ul = document.querySelector('ul[aria-label="Episodes"]');
    const li = ul.querySelector('li');
    return { listHeight: ul.getBoundingClientRect().height, rowHeight: li.getBoundingClientRect().height };
  });
  assert.equal(listHeight, rowHeight * BIG_COUNT);

  // Scroll to the bottom and time it until the oldest row is painted.
  const ms = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const sc = document.querySelector('main .view');
        const t0 = performance.now();
        sc.scrollTop = sc.scrollHeight;
        const check = () => {
          const last = [...document.querySelectorAll('[data-testid="episode"]')].find((el) =>
            el.textContent.includes('Episode 1: '),
          );
          if (last) requestAnimationFrame(() => resolve(performance.now() - t0));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
  );
  console.log(`# scroll to the bottom of ${BIG_COUNT} episodes + render: ${ms.toFixed(1)} ms`);
  assert.ok(ms < 2000, `scroll + render took ${ms} ms`);
  const bottom = await visibleTitles(page);
  assert.equal(bottom.at(-1), 'Episode 1: Rivers', `the oldest episode is shown last: ${bottom.slice(-3).join(' | ')}`);
  assert.ok((await rows(page).count()) < 100);

  // Jumping around keeps the DOM small and the rows in the right place.
  const times = [];
  for (const f of [0.5, 0.25, 0.8, 0]) {
    const t = await page.evaluate(
      (frac) =>
        new Promise((resolve) => {
          const sc = document.querySelector('main .view');
          const t0 = performance.now();
          sc.scrollTop = (sc.scrollHeight - sc.clientHeight) * frac;
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
        }),
      f,
    );
    times.push(t);
    const titles = await visibleTitles(page);
    assert.ok(titles.length >= 5, `rows visible at ${f}: ${titles.length}`);
    const nums = titles.map((s) => Number(/Episode (\d+)/.exec(s)?.[1]));
    for (let i = 1; i < nums.length; i++) assert.equal(nums[i], nums[i - 1] - 1, `consecutive at ${f}: ${nums.join(',')}`);
    assert.ok((await rows(page).count()) < 100);
  }
  console.log(`# jumps (scroll + 2 frames): ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
});

test('the filter narrows the list by title', async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  await openPodcast(page, BIG_PODCAST_ID);
  const filter = page.locator('[data-testid="episode-filter"]');
  await filter.fill('lighthouses');
  await eventually(async () => (await page.locator('[data-testid="episode-count"]').innerText()) === '500 of 5,000', 'count 500 of 5,000');
  const titles = await rows(page).evaluateAll((els) => els.map((e) => e.querySelector('.title-text').textContent));
  assert.ok(titles.length > 0 && titles.length < 100);
  assert.ok(titles.every((t) => t.includes('Lighthouses')), titles.join(', '));

  await filter.fill('Episode 1234:');
  await eventually(async () => (await rows(page).count()) === 1, 'one match');
  assert.equal(await rows(page).first().locator('.title-text').innerText(), 'Episode 1234: Clockmakers');

  await filter.fill('no such episode');
  await page.getByText('No episode titles match “no such episode”.').waitFor();
  assert.equal(await rows(page).count(), 0);

  await filter.fill('');
  await eventually(async () => (await page.locator('[data-testid="episode-count"]').innerText()) === '5,000', 'all back');
});

for (const scheme of ['light', 'dark']) {
  test(`episode rows show new / in-progress / unplayed / played (${scheme})`, async () => {
    ctx = await suite.open({ ...rich, colorScheme: scheme });
    const { page } = ctx;
    await openPodcast(page, SPACE_PODCAST_ID);
    const states = await rows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    assert.deepEqual(states, ['new', 'new', 'in-progress', 'unplayed', 'played']);
    // visibly marked: a dot for new, a progress bar for in-progress, a check for played
    assert.equal(await rows(page).nth(0).locator('.new-dot').count(), 1);
    assert.equal(await rows(page).nth(3).locator('.new-dot').count(), 0);
    assert.equal(await rows(page).nth(2).locator('progress').count(), 1);
    assert.match(await rows(page).nth(2).innerText(), /min left/);
    assert.match(await rows(page).nth(4).innerText(), /Played/);
    assert.equal(await rows(page).nth(4).locator('svg').count() >= 1, true);
    // the header: artwork, author, counts; the description as text
    assert.equal(await page.locator('.hero [data-artwork="image"]').count(), 1);
    assert.match(await page.locator('.hero').innerText(), /Orbital Radio/);
    assert.match(await page.locator('.hero').textContent(), /5 episodes\s*·\s*2 new/);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: artifactPath(scheme === 'dark' ? 'ui-podcast-dark.png' : 'ui-podcast.png') });
  });
}

test('opening a new episode marks it seen', async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  await openPodcast(page, SPACE_PODCAST_ID);
  await rows(page).first().click();
  await eventually(async () => (await fakeArgs(page, 'episode_mark_seen')).length === 1, 'episode_mark_seen');
  assert.deepEqual(await fakeArgs(page, 'episode_mark_seen'), [{ episodeId: 200 }]);
  await page.locator('[data-testid="show-notes"]').waitFor();
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('button', { name: 'Deep Space Dispatch' }).click();
  await rows(page).first().waitFor();
  assert.equal(await rows(page).first().getAttribute('data-state'), 'in-progress');
  assert.equal(await rows(page).nth(1).getAttribute('data-state'), 'new');
  // opening it again doesn't ask again
  await rows(page).first().click();
  await page.locator('[data-testid="show-notes"]').waitFor();
  assert.equal((await fakeArgs(page, 'episode_mark_seen')).length, 1);
});

test('keyboard: arrows, Home and End move through the virtualized rows', async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  await openPodcast(page, BIG_PODCAST_ID);
  await rows(page).first().focus();
  await page.keyboard.press('ArrowDown');
  const focused = () => page.evaluate(() => document.activeElement?.querySelector('.title-text')?.textContent ?? null);
  assert.equal(await focused(), 'Episode 4999: Glass');
  await page.keyboard.press('End');
  await eventually(async () => (await focused()) === 'Episode 1: Rivers', 'End → oldest');
  assert.ok((await visibleTitles(page)).includes('Episode 1: Rivers'));
  await page.keyboard.press('ArrowUp');
  await eventually(async () => (await focused()) === 'Episode 2: Old Maps', 'ArrowUp');
  await page.keyboard.press('Home');
  await eventually(async () => (await focused()) === 'Episode 5000: Lighthouses', 'Home → newest');
  assert.ok((await rows(page).count()) < 100);
  // Enter opens the focused episode
  await page.keyboard.press('Enter');
  await eventually(async () => (await fakeArgs(page, 'player_load')).length === 1, 'player_load');
  assert.deepEqual((await fakeArgs(page, 'player_load'))[0], { episodeId: 105000, autoplay: true });
});
