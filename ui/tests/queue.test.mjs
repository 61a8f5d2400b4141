import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPISODES, PODCASTS } from './support/fixture.js';
import { artifactPath, browserSuite, eventually, fakeArgs, openDemoEpisode, sleep } from './support/harness.mjs';

const suite = browserSuite();
let ctx;

const title = (id) => EPISODES.find((e) => e.id === id).title;

const toggle = (page) => page.locator('[data-testid="queue-toggle"]');
const items = (page) => page.locator('[data-testid="queue-item"]');
/** Episode ids in Up Next, as the panel shows them. */
const shownIds = (page) => items(page).evaluateAll((els) => els.map((e) => Number(e.dataset.episodeId)));
const fakeQueue = (page) => page.evaluate(() => window.__fake.queue());
const item = (page, id) => page.locator(`[data-testid="queue-item"][data-episode-id="${id}"]`);
const epRow = (page, id) => page.locator(`[data-testid="episode"][data-episode-id="${id}"]`);
const rowAction = (page, id, testid) => page.locator(`li:has([data-testid="episode"][data-episode-id="${id}"]) [data-testid="${testid}"]`);
const barTitle = (page) => page.locator('footer .ep-title');
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function openPodcast(page) {
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"]').first().waitFor();
}

async function openQueue(page) {
  if ((await toggle(page).getAttribute('aria-expanded')) !== 'true') await toggle(page).click();
  await page.locator('[data-testid="queue-panel"]').waitFor();
}

async function waitForOrder(page, ids, what = `Up Next ${ids}`) {
  await eventually(async () => same(await shownIds(page), ids) && same(await fakeQueue(page), ids), what);
}

test('Play next / Add to Up Next from an episode row: the order, the count and the marks', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openPodcast(page);

  // Empty to begin with: the toggle says so, the panel shows an empty state.
  assert.equal(await toggle(page).getAttribute('aria-expanded'), 'false');
  assert.equal(await toggle(page).getAttribute('aria-label'), 'Up Next, empty');
  assert.equal(await page.locator('[data-testid="next-episode"]').isDisabled(), true);
  await openQueue(page);
  assert.equal(await toggle(page).getAttribute('aria-expanded'), 'true');
  await page.locator('[data-testid="queue-empty"]').waitFor();
  assert.match(await page.locator('[data-testid="queue-empty"]').innerText(), /Nothing in Up Next/);
  assert.equal(await page.locator('[data-testid="queue-clear"]').isDisabled(), true);

  // Accessible names name the episode.
  assert.equal(await rowAction(page, 2, 'episode-queue-add').getAttribute('aria-label'), `Add ${title(2)} to Up Next`);
  assert.equal(await rowAction(page, 1, 'episode-play-next').getAttribute('aria-label'), `Play ${title(1)} next`);

  await rowAction(page, 2, 'episode-queue-add').click();
  await waitForOrder(page, [2]);
  await rowAction(page, 3, 'episode-queue-add').click();
  await waitForOrder(page, [2, 3]);
  await rowAction(page, 1, 'episode-play-next').click();
  await waitForOrder(page, [1, 2, 3]);
  assert.deepEqual(await fakeArgs(page, 'queue_add'), [
    { episodeId: 2, next: false },
    { episodeId: 3, next: false },
    { episodeId: 1, next: true },
  ]);
  assert.equal((await fakeArgs(page, 'player_load')).length, 0, 'no row opened');

  // "Play next" on a queued one moves it to the front.
  await rowAction(page, 3, 'episode-play-next').click();
  await waitForOrder(page, [3, 1, 2]);

  // Each item: podcast, title and duration / time left / played.
  const texts = await items(page).allInnerTexts();
  assert.match(texts[0], new RegExp(PODCASTS[0].title));
  assert.match(texts[0], new RegExp(title(3).replace(/[:,]/g, '.')));
  assert.match(texts[0], /Played/);
  assert.match(texts[1], /Welcome to Earshot/);
  assert.match(await item(page, 1).locator('[data-testid="queue-meta"]').innerText(), /^2 min$/);
  assert.match(await item(page, 2).locator('[data-testid="queue-meta"]').innerText(), /^42 min left$/);

  // The toggle counts them; the rows are marked; "next episode" is available and says which.
  assert.equal(await page.locator('[data-testid="queue-count"]').innerText(), '3');
  assert.equal(await toggle(page).getAttribute('aria-label'), 'Up Next, 3 episodes');
  for (const id of [1, 2, 3]) {
    assert.equal(await epRow(page, id).getAttribute('data-queued'), 'true');
    assert.match(await epRow(page, id).innerText(), /In Up Next/);
  }
  const next = page.locator('[data-testid="next-episode"]');
  assert.equal(await next.isDisabled(), false);
  assert.equal(await next.getAttribute('aria-label'), `Next episode: ${title(3)}`);
  // …and is not confused with the chapter buttons.
  assert.equal(await page.locator('[data-testid="next-chapter"]').getAttribute('aria-label'), 'Next chapter');
  // The existing row hooks still work.
  assert.equal(await epRow(page, 1).getAttribute('data-state'), 'new');
  assert.equal(await epRow(page, 3).getAttribute('data-state'), 'played');
  assert.equal(await rowAction(page, 1, 'episode-download').getAttribute('data-state'), 'none');
});

test('the row actions are keyboard reachable; arrows still move between rows', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openPodcast(page);
  await epRow(page, 2).focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'episode-play-next');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'episode-queue-add');
  await page.keyboard.press('Enter');
  await eventually(async () => same(await fakeQueue(page), [2]), 'queued');
  await eventually(async () => (await epRow(page, 2).getAttribute('data-queued')) === 'true', 'row marked');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.episodeId), '3');
});

test('reorder with the move up / down buttons, keeping keyboard focus on the moved item', async () => {
  ctx = await suite.open({ fake: { queue: [1, 2, 3] } });
  const { page } = ctx;
  await openQueue(page);
  await waitForOrder(page, [1, 2, 3]);
  assert.equal(await item(page, 1).locator('[data-testid="queue-move-up"]').isDisabled(), true);
  assert.equal(await item(page, 3).locator('[data-testid="queue-move-down"]').isDisabled(), true);
  assert.equal(await item(page, 1).locator('[data-testid="queue-move-down"]').getAttribute('aria-label'), `Move ${title(1)} down`);

  await item(page, 1).locator('[data-testid="queue-move-down"]').focus();
  await page.keyboard.press('Enter');
  await waitForOrder(page, [2, 1, 3]);
  const focused = () =>
    page.evaluate(() => {
      const a = document.activeElement;
      return `${a?.closest('[data-testid="queue-item"]')?.dataset.episodeId}/${a?.dataset.testid}`;
    });
  assert.equal(await focused(), '1/queue-move-down');
  await page.keyboard.press('Enter');
  await waitForOrder(page, [2, 3, 1]);
  // At the bottom "down" is disabled: focus went to "up" on the same item.
  assert.equal(await focused(), '1/queue-move-up');
  await page.keyboard.press('Enter');
  await waitForOrder(page, [2, 1, 3]);
  assert.deepEqual(await fakeArgs(page, 'queue_move'), [
    { episodeId: 1, to: 1 },
    { episodeId: 1, to: 2 },
    { episodeId: 1, to: 1 },
  ]);
  // A screen reader hears where it went.
  assert.match(await page.locator('[data-testid="queue-panel"] [role="status"]').innerText(), /moved to position 2 of 3/);
});

test('reorder by dragging an item by its grip', async () => {
  ctx = await suite.open({ fake: { queue: [1, 2, 3] } });
  const { page } = ctx;
  await openQueue(page);
  await waitForOrder(page, [1, 2, 3]);

  /** Drag item `id`'s grip to the vertical centre of item `overId` (in small steps, like a hand). */
  async function drag(id, overId, { release = true } = {}) {
    const g = await item(page, id).locator('[data-testid="queue-grip"]').boundingBox();
    const target = await item(page, overId).boundingBox();
    const x = g.x + g.width / 2;
    const y0 = g.y + g.height / 2;
    const y1 = target.y + target.height / 2 + (target.y > g.y ? 4 : -4);
    await page.mouse.move(x, y0);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(x, y0 + ((y1 - y0) * i) / 8);
    if (release) await page.mouse.up();
  }

  // While dragging, nothing is sent yet and the dragged item follows the pointer.
  await drag(3, 1, { release: false });
  assert.equal((await fakeArgs(page, 'queue_move')).length, 0);
  assert.ok(await item(page, 3).evaluate((el) => el.classList.contains('lifted')));
  await page.mouse.up();
  await waitForOrder(page, [3, 1, 2]);
  assert.deepEqual(await fakeArgs(page, 'queue_move'), [{ episodeId: 3, to: 0 }]);

  await drag(3, 2);
  await waitForOrder(page, [1, 2, 3]);
  assert.deepEqual((await fakeArgs(page, 'queue_move')).at(-1), { episodeId: 3, to: 2 });

  // A drag that ends where it started sends nothing; a click on the grip doesn't play.
  await drag(2, 2);
  await sleep(100);
  assert.equal((await fakeArgs(page, 'queue_move')).length, 2);
  assert.equal((await fakeArgs(page, 'player_load')).length, 0);
});

test('remove one, then clear them all', async () => {
  ctx = await suite.open({ fake: { queue: [1, 2, 3] } });
  const { page } = ctx;
  await openPodcast(page);
  await openQueue(page);
  await waitForOrder(page, [1, 2, 3]);
  const remove = item(page, 2).locator('[data-testid="queue-remove"]');
  assert.equal(await remove.getAttribute('aria-label'), `Remove ${title(2)} from Up Next`);
  await remove.focus();
  await page.keyboard.press('Enter');
  await waitForOrder(page, [1, 3]);
  assert.deepEqual(await fakeArgs(page, 'queue_remove'), [{ episodeId: 2 }]);
  assert.equal(await epRow(page, 2).getAttribute('data-queued'), null, 'the row lost its mark');
  // focus moved to the item that took its place
  assert.equal(
    await page.evaluate(() => document.activeElement?.closest('[data-testid="queue-item"]')?.dataset.episodeId),
    '3',
  );
  assert.equal(await page.locator('[data-testid="queue-count"]').innerText(), '2');

  await page.locator('[data-testid="queue-clear"]').click();
  await page.locator('[data-testid="queue-empty"]').waitFor();
  assert.deepEqual(await fakeQueue(page), []);
  assert.equal((await fakeArgs(page, 'queue_clear')).length, 1);
  assert.equal(await page.locator('[data-testid="queue-count"]').count(), 0);
  assert.equal(await page.locator('[data-testid="next-episode"]').isDisabled(), true);
  for (const id of [1, 3]) assert.equal(await epRow(page, id).getAttribute('data-queued'), null);
});

test('"Next episode" plays the first queued one, which leaves the queue', async () => {
  ctx = await suite.open({ fake: { queue: [2, 3] } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await openQueue(page);
  await waitForOrder(page, [2, 3]);
  assert.equal(await barTitle(page).innerText(), title(1));

  await page.locator('[data-testid="next-episode"]').click();
  await eventually(async () => (await fakeArgs(page, 'player_next')).length === 1, 'player_next');
  await eventually(async () => (await barTitle(page).innerText()) === title(2), 'episode 2 in the player bar');
  await waitForOrder(page, [3]);
  const events = await page.evaluate(() => window.__fake.queueEvents.map((e) => e.ids));
  assert.deepEqual(events.at(-1), [3], 'a queue event said so');
  assert.equal(await page.locator('[data-testid="play-pause"]').getAttribute('aria-label'), 'Pause');
  assert.match(await page.locator('[data-testid="queue-panel"]').innerText(), new RegExp(`Now playing\\s+${title(2)}`, 'i'));
  // the chapters shown are episode 2's
  await eventually(async () => (await page.locator('[data-testid="chapter-mark"]').count()) === 3, "episode 2's chapter marks");

  await page.locator('[data-testid="next-episode"]').click();
  await eventually(async () => (await barTitle(page).innerText()) === title(3), 'episode 3');
  await page.locator('[data-testid="queue-empty"]').waitFor();
  assert.equal(await page.locator('[data-testid="next-episode"]').isDisabled(), true);
});

test('"Play now" from Up Next loads the episode with autoplay', async () => {
  ctx = await suite.open({ fake: { queue: [1, 2, 3] } });
  const { page } = ctx;
  await openQueue(page);
  await waitForOrder(page, [1, 2, 3]);
  const play = item(page, 2).locator('[data-testid="queue-play"]');
  assert.equal(await play.getAttribute('aria-label'), `Play ${title(2)} now`);
  await item(page, 2).click();
  await eventually(async () => (await fakeArgs(page, 'player_load')).length === 1, 'player_load');
  assert.deepEqual((await fakeArgs(page, 'player_load'))[0], { episodeId: 2, autoplay: true });
  await waitForOrder(page, [1, 3]);
  await eventually(async () => (await barTitle(page).innerText()) === title(2), 'playing episode 2');
});

test('Up Next follows the backend: playback moving on by itself, changes from elsewhere', async () => {
  ctx = await suite.open({ fake: { queue: [3, 2] } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await openQueue(page);
  await waitForOrder(page, [3, 2]);

  // Episode 1 ends: the backend takes the first queued one and plays it.
  await page.evaluate(() => window.__fake.jump(131.6));
  await eventually(async () => (await barTitle(page).innerText()) === title(3), 'episode 3 plays next', 8000);
  await waitForOrder(page, [2]);
  assert.equal((await fakeArgs(page, 'player_next')).length, 0, 'the UI did not ask');
  assert.equal((await fakeArgs(page, 'queue_list')).length, 1, 'no re-reading: the event carries the queue');

  // Another window / the CLI changes the queue.
  await page.evaluate(() => window.__fake.setQueue([1, 2]));
  await waitForOrder(page, [1, 2]);
  assert.equal(await page.locator('[data-testid="queue-count"]').innerText(), '2');
});

test('the panel: Escape closes it and gives focus back to the toggle; errors are shown', async () => {
  ctx = await suite.open({ fake: { queue: [1, 2] } });
  const { page } = ctx;
  await toggle(page).click();
  await page.locator('[data-testid="queue-panel"]').waitFor();
  // focus went into the panel
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'queue-title');
  assert.equal(await toggle(page).getAttribute('aria-controls'), 'queue-panel');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid="queue-panel"]').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'queue-toggle');
  assert.equal(await toggle(page).getAttribute('aria-expanded'), 'false');

  // A refused move is put back and reported.
  await openQueue(page);
  await page.evaluate(() => window.__fake.failNext('queue_move', 'db', 'database is locked'));
  await item(page, 1).locator('[data-testid="queue-move-down"]').click();
  await page.locator('[role="alert"]').waitFor();
  assert.match(await page.locator('[role="alert"]').innerText(), /Could not move “Welcome to Earshot”: database is locked/);
  await waitForOrder(page, [1, 2]);
  await page.locator('[data-testid="dismiss-error"]').click();
});

test('screenshot: the player bar with Up Next open', async () => {
  ctx = await suite.open({ fake: { queue: [2, 3] } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await page.locator('[data-testid="play-pause"]').getAttribute('aria-label')) === 'Play', 'paused');
  await page.locator('nav[aria-label="Breadcrumb"] li:nth-child(2) button').click();
  await page.locator('[data-testid="episode"]').first().waitFor();
  await openQueue(page);
  await waitForOrder(page, [2, 3]);
  await page.evaluate(() => document.activeElement?.blur());
  await epRow(page, 1).hover();
  await sleep(200);
  await page.screenshot({ path: artifactPath('ui-queue.png') });
});
