import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath, browserSuite, eventually, fakeArgs, openDemoEpisode, sleep } from './support/harness.mjs';

const suite = browserSuite();
let ctx;

// The fake's minutes timer moves only on `__fake.stepSleep(s)`: what the UI shows after a state
// event is exactly the backend's remainingSecs, and its own countdown is what moves otherwise.
const MANUAL = { sleepClock: 'manual' };

const button = (page) => page.locator('[data-testid="sleep-timer"]');
const remaining = (page) => page.locator('[data-testid="sleep-remaining"]');
const option = (page, value) => page.locator(`[data-testid="sleep-option"][data-value="${value}"]`);
const label = (page) => page.locator('[data-testid="play-pause"]').getAttribute('aria-label');
const shownSecs = async (page) => {
  const [m, s] = (await remaining(page).innerText()).split(':').map(Number);
  return m * 60 + s;
};

async function choose(page, value) {
  await button(page).click();
  await option(page, value).click();
  await page.locator('[role="menu"]').waitFor({ state: 'detached' });
}

async function playPause(page, want) {
  await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await label(page)) === (want === 'paused' ? 'Play' : 'Pause'), want);
}

test('the menu offers Off, 5–60 minutes, end of chapter and end of episode', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  assert.equal(await button(page).isDisabled(), true, 'nothing loaded');
  await openDemoEpisode(page);
  assert.equal(await button(page).getAttribute('aria-haspopup'), 'menu');
  assert.equal(await button(page).getAttribute('aria-expanded'), 'false');
  assert.equal(await remaining(page).count(), 0, 'no timer: nothing shown');
  await button(page).click();
  assert.equal(await button(page).getAttribute('aria-expanded'), 'true');
  const values = await page.locator('[data-testid="sleep-option"]').evaluateAll((els) => els.map((e) => e.dataset.value));
  assert.deepEqual(values, ['off', '5', '15', '30', '45', '60', 'chapter', 'episode']);
  const texts = await page.locator('[data-testid="sleep-option"]').allInnerTexts();
  assert.deepEqual(texts.map((t) => t.trim()), ['Off', '5 minutes', '15 minutes', '30 minutes', '45 minutes', '60 minutes', 'End of chapter', 'End of episode']);
  assert.equal(await option(page, 'off').getAttribute('aria-checked'), 'true');
  assert.equal(await option(page, 'off').getAttribute('role'), 'menuitemradio');
  // keyboard: focus is on the chosen item; arrows move; Escape closes and returns to the button
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.value), 'off');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.value), '15');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.value), 'episode');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.value), 'off', 'wraps');
  await page.keyboard.press('Escape');
  await page.locator('[role="menu"]').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'sleep-timer');
  assert.equal((await fakeArgs(page, 'sleep_timer_set')).length, 0);
  // Enter on the button opens it; ArrowDown + Enter picks "5 minutes"
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await eventually(async () => (await fakeArgs(page, 'sleep_timer_set')).length === 1, 'sleep_timer_set');
  assert.deepEqual((await fakeArgs(page, 'sleep_timer_set'))[0], { timer: { kind: 'minutes', minutes: 5 } });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'sleep-timer');
  // a click elsewhere closes the menu without choosing
  await button(page).click();
  await page.mouse.click(640, 300);
  await page.locator('[role="menu"]').waitFor({ state: 'detached' });
  assert.equal((await fakeArgs(page, 'sleep_timer_set')).length, 1);
});

test('minutes: the button counts down while playing and holds still while paused', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  await choose(page, '15');
  assert.deepEqual(await fakeArgs(page, 'sleep_timer_set'), [{ timer: { kind: 'minutes', minutes: 15 } }]);
  await remaining(page).waitFor();
  const first = await shownSecs(page);
  assert.ok(first <= 900 && first >= 898, `starts at 15:00 (${first})`);
  assert.equal(await button(page).getAttribute('data-kind'), 'minutes');
  assert.match(await button(page).getAttribute('aria-label'), /^Sleep timer: 15 minutes left$/);
  // counting down here between events
  await eventually(async () => (await shownSecs(page)) < first, 'counts down while playing');

  // 5 minutes of listening pass in the backend; a pause brings its remainingSecs.
  await page.evaluate(() => window.__fake.stepSleep(300));
  await playPause(page, 'paused');
  await eventually(async () => (await remaining(page).innerText()) === '10:00', 'the backend’s 10:00');
  await sleep(1300);
  assert.equal(await remaining(page).innerText(), '10:00', 'held still while paused');

  // the menu marks the chosen length
  await button(page).click();
  assert.equal(await option(page, '15').getAttribute('aria-checked'), 'true');
  assert.equal(await option(page, 'off').getAttribute('aria-checked'), 'false');
  await page.keyboard.press('Escape');

  await playPause(page, 'playing');
  await eventually(async () => (await shownSecs(page)) < 600, 'counting again');

  // It runs out: the backend pauses and says sleepTimer: null.
  await page.evaluate(() => window.__fake.stepSleep(600));
  await eventually(async () => (await label(page)) === 'Play', 'paused by the timer', 3000);
  await remaining(page).waitFor({ state: 'detached' });
  assert.equal(await button(page).getAttribute('data-kind'), 'off');
  assert.equal(await button(page).getAttribute('aria-label'), 'Sleep timer');
});

test('end of episode / end of chapter: the labels, and the end of a chapter pauses and clears it', async () => {
  ctx = await suite.open({ fake: { ...MANUAL, queue: [2] } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await choose(page, 'episode');
  assert.deepEqual((await fakeArgs(page, 'sleep_timer_set')).at(-1), { timer: { kind: 'episode' } });
  await eventually(async () => (await remaining(page).innerText()) === 'End of episode', 'End of episode');
  assert.match(await button(page).getAttribute('aria-label'), /end of this episode/);

  await choose(page, 'chapter');
  assert.deepEqual((await fakeArgs(page, 'sleep_timer_set')).at(-1), { timer: { kind: 'chapter' } });
  await eventually(async () => (await remaining(page).innerText()) === 'End of chapter', 'End of chapter');
  // Playing into the end of "Cold open" (0–30 s): the backend pauses there.
  await page.evaluate(() => window.__fake.jump(29.4));
  await eventually(async () => (await label(page)) === 'Play', 'paused at the end of the chapter', 4000);
  await remaining(page).waitFor({ state: 'detached' });
  assert.ok(Math.abs((await page.evaluate(() => window.__fake.position())) - 30) < 0.01);

  // End of episode: it stops there and does not move on to Up Next.
  await playPause(page, 'playing');
  await choose(page, 'episode');
  await page.evaluate(() => window.__fake.jump(131.6));
  await eventually(async () => (await page.evaluate(() => window.__fake.status)) === 'ended', 'ended', 4000);
  await remaining(page).waitFor({ state: 'detached' });
  await sleep(300);
  assert.deepEqual(await page.evaluate(() => window.__fake.queue()), [2], 'still queued');
  assert.equal(await page.locator('footer .ep-title').innerText(), 'Welcome to Earshot');
});

test('a state event with sleepTimer null clears it; Off turns it off', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await openDemoEpisode(page);
  await choose(page, '30');
  await remaining(page).waitFor();
  // Turned off elsewhere (the tray, the CLI): the next state event says null.
  await page.evaluate(() => window.__fake.setSleep(null));
  await remaining(page).waitFor({ state: 'detached' });

  // Set from elsewhere: shown from the state event.
  await page.evaluate(() => window.__fake.setSleep({ kind: 'minutes', minutes: 45 }));
  await eventually(async () => (await shownSecs(page)) > 2690, 'about 45:00 from the event');

  await choose(page, 'off');
  assert.deepEqual((await fakeArgs(page, 'sleep_timer_set')).at(-1), { timer: null });
  await remaining(page).waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => window.__fake.sleepTimer), null);
});

test('end of chapter is not offered for an episode without chapters; a refusal is reported', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"][data-episode-id="3"]').click();
  await page.locator('[data-testid="show-notes"]').waitFor();
  await button(page).click();
  assert.equal(await option(page, 'chapter').isDisabled(), true);
  await page.evaluate(() => window.__fake.failNext('sleep_timer_set', 'player', 'nothing is playing'));
  await option(page, '5').click();
  await page.locator('[role="alert"]').waitFor();
  assert.match(await page.locator('[role="alert"]').innerText(), /Could not set the sleep timer: nothing is playing/);
  assert.equal(await remaining(page).count(), 0);
  await page.locator('[data-testid="dismiss-error"]').click();
});

test('screenshot: the player bar with the sleep menu open', async () => {
  ctx = await suite.open({ fake: { ...MANUAL, queue: [2] } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await choose(page, '30');
  await playPause(page, 'paused');
  await eventually(async () => (await remaining(page).innerText()) === '30:00', '30:00');
  await button(page).click();
  await page.mouse.move(640, 400);
  await sleep(150);
  await page.screenshot({ path: artifactPath('ui-sleep.png') });
});
