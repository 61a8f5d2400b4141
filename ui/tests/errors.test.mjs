import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserSuite,
  eventually,
  fakeArgs,
  openDemoEpisode,
} from './support/harness.mjs';

const suite = browserSuite();
let ctx;

const label = (page) => page.locator('[data-testid="play-pause"]').getAttribute('aria-label');

test('an error event shows a dismissable alert and the app keeps working', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  assert.equal(await page.locator('[role="alert"]').count(), 0);

  await page.evaluate(() => window.__fake.emitError('Audio device disappeared'));
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Audio device disappeared/);

  // still usable while the alert is up
  await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await label(page)) === 'Play', 'paused while alert shown');

  await page.locator('[data-testid="dismiss-error"]').click();
  await eventually(async () => (await page.locator('[role="alert"]').count()) === 0, 'alert dismissed');

  await page.locator('[data-testid="chapter"]').nth(1).click();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).length === 1, 'seek after error');
});

test('a rejected command shows its message in an alert', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await page.evaluate(() => window.__fake.failNext('player_seek', 'decode', 'cannot seek in this stream'));
  await page.locator('[data-testid="chapter"]').nth(2).click();
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /cannot seek in this stream/);
  // the next seek works again
  await page.locator('[data-testid="chapter"]').nth(1).click();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).length === 2, 'second seek');
  await eventually(
    async () => (await page.locator('[data-testid="chapter"]').nth(1).getAttribute('aria-current')) === 'true',
    'chapter 2 current',
  );
});

test('a failing library load shows an alert and can be retried', async () => {
  ctx = await suite.open({ fake: { failLibrary: true } });
  const { page } = ctx;
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /database is locked/);
  assert.equal(await page.locator('[data-testid="podcast"]').count(), 0);
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.locator('[data-testid="podcast"]').first().waitFor();
  // Escape dismisses the alert too.
  await page.keyboard.press('Escape');
  await eventually(async () => (await alert.count()) === 0, 'alert dismissed with Escape');
});

test('a failed load reports the error and leaves the player usable', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().click();
  await page.evaluate(() => window.__fake.failNext('player_load', 'io', 'file not found: welcome.mp3'));
  await page.locator('[data-testid="episode"]').first().click();
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /file not found: welcome\.mp3/);
  // Go back and pick another episode: that works.
  await page.getByRole('button', { name: 'The Earshot Demo' }).first().click();
  await page.locator('[data-testid="episode"][data-episode-id="2"]').click();
  await eventually(async () => (await label(page)) === 'Pause', 'other episode plays');
});
