// Show notes in the episode view: time stamps seek, links open outside, nothing runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserSuite,
  eventually,
  fakeArgs,
  openDemoEpisode,
  seconds,
  sleep,
} from './support/harness.mjs';

const suite = browserSuite();
let ctx;

const notes = (page) => page.locator('[data-testid="show-notes"]');
const label = (page) => page.locator('[data-testid="play-pause"]').getAttribute('aria-label');

test('show notes: clicking a time stamp seeks there', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await notes(page).waitFor();
  assert.match(await notes(page).innerText(), /How chapters work/);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  const url = page.url();
  await notes(page).locator('a[data-seek="62"]').click();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).length === 1, 'player_seek');
  assert.deepEqual(await fakeArgs(page, 'player_seek'), [{ seconds: 62 }]);
  await eventually(async () => Math.abs((await seconds(page)) - 62) < 0.6, 'position ~62');
  assert.equal(await page.locator('[data-testid="current-chapter"]').innerText(), 'How chapters work');
  assert.equal(page.url(), url, 'no navigation (href="#")');
  assert.equal((await fakeArgs(page, 'open_external')).length, 0);
});

test('show notes: links open in the system browser, never in the app window', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  const url = page.url();
  let popups = 0;
  page.on('popup', () => popups++);
  await notes(page).getByRole('link', { name: 'player guide' }).click();
  await eventually(async () => (await fakeArgs(page, 'open_external')).length === 1, 'open_external');
  assert.deepEqual(await fakeArgs(page, 'open_external'), [{ url: 'https://earshot.example/docs/player' }]);
  await notes(page).getByRole('link', { name: 'hello@earshot.example' }).click();
  await eventually(async () => (await fakeArgs(page, 'open_external')).length === 2, 'mailto');
  assert.equal((await fakeArgs(page, 'open_external'))[1].url, 'mailto:hello@earshot.example');
  // the episode's own page
  await page.locator('[data-testid="episode-link"]').click();
  await eventually(async () => (await fakeArgs(page, 'open_external')).length === 3, 'episode page');
  assert.equal((await fakeArgs(page, 'open_external'))[2].url, 'https://earshot.example/demo/welcome');
  await sleep(200);
  assert.equal(page.url(), url, 'the window stayed on the app');
  assert.equal(popups, 0);
  assert.equal((await fakeArgs(page, 'player_seek')).length, 0);
  // the player is still there and playing
  await page.locator('[data-testid="transcript-segment"]').first().waitFor();
});

test('show notes: script and inline handlers a buggy backend lets through do not run', async () => {
  ctx = await suite.open({ fake: { notes: 'evil' } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await notes(page).waitFor();
  await sleep(400); // time for an image error / load handler to fire, if there were one
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const left = await notes(page).evaluate((el) => ({
    html: el.innerHTML,
    bad: el.querySelectorAll('script, img, iframe, svg, math, style, form, button, object, embed, [style]').length,
    handlers: [...el.querySelectorAll('*')].flatMap((n) => [...n.attributes].map((a) => a.name)).filter((a) => a.startsWith('on')),
  }));
  assert.equal(left.bad, 0, left.html);
  assert.deepEqual(left.handlers, [], left.html);
  assert.doesNotMatch(left.html, /javascript:/i);

  // The javascript: link became inert text-ish; clicking it runs nothing and opens nothing.
  const url = page.url();
  await notes(page).getByText('javascript link').click();
  await page.getByText('evil link').hover();
  await sleep(150);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal((await fakeArgs(page, 'open_external')).length, 0);
  assert.equal(page.url(), url);
  // What is left still works: the time stamp seeks, the https link goes to the browser.
  await notes(page).locator('a[data-seek="12"]').click();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).at(-1)?.seconds === 12, 'seek 12');
  await page.getByText('evil link').click();
  await eventually(async () => (await fakeArgs(page, 'open_external')).length === 1, 'open_external');
  assert.equal((await fakeArgs(page, 'open_external'))[0].url, 'https://evil.example/');
  assert.equal(page.url(), url);
});

test('an episode without show notes says so', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"][data-episode-id="3"]').click();
  await eventually(async () => /No show notes/.test(await notes(page).innerText()), 'no notes');
  assert.equal(await page.locator('[data-testid="episode-link"]').count(), 0);
});
