import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOWNLOAD_FAILURES, DOWNLOAD_PRESET, downloadSize, EPISODES } from './support/fixture.js';
import { artifactPath, browserSuite, eventually, fakeArgs, sleep } from './support/harness.mjs';

const suite = browserSuite();
let ctx;

// Downloads move only when a test says so (`__fake.stepDownloads()`): no wall-clock races.
const MANUAL = { downloadTickMs: 0 };
/** The fake's rate (bytes/s) and tick: each step moves a running download 500 kB. */
const RATE = 2_000_000;
const STEP = RATE / 4;

/** Like format.ts: decimal MB with one decimal. */
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

const step = (page, n = 1) => page.evaluate((k) => window.__fake.stepDownloads(k), n);
const fakeRow = (page, id) => page.evaluate((i) => window.__fake.downloads().find((d) => d.episodeId === i) ?? null, id);

async function openPodcast(page, podcastId = 1) {
  await page.locator(`[data-testid="podcast"][data-podcast-id="${podcastId}"]`).click();
  await page.locator('[data-testid="episode"]').first().waitFor();
}

async function openDownloads(page) {
  await page.locator('[data-testid="nav-downloads"]').click();
  await page.locator('[data-testid="downloads-view"]').waitFor();
}

const control = (page, id) =>
  page.locator(`li:has([data-testid="episode"][data-episode-id="${id}"]) [data-testid="episode-download"]`);
const ringValue = async (page, id) => {
  const v = await page
    .locator(`li:has([data-testid="episode"][data-episode-id="${id}"]) [data-testid="episode-download-progress"]`)
    .getAttribute('aria-valuenow');
  return v == null ? null : Number(v);
};
const row = (page, id) => page.locator(`[data-testid="download-row"][data-episode-id="${id}"]`);

test('downloading from an episode row: progress rises, then the row is marked downloaded', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await openPodcast(page);
  const ep = EPISODES[0];
  const btn = control(page, ep.id);
  assert.equal(await btn.getAttribute('aria-label'), `Download ${ep.title}`);
  assert.equal(await btn.getAttribute('data-state'), 'none');
  // The existing hooks are still there.
  const epRow = page.locator(`[data-testid="episode"][data-episode-id="${ep.id}"]`);
  assert.equal(await epRow.getAttribute('data-state'), 'new');
  assert.equal(await epRow.getAttribute('data-downloaded'), null);

  await btn.click();
  await eventually(async () => (await fakeArgs(page, 'download_episode')).length === 1, 'download_episode');
  assert.deepEqual((await fakeArgs(page, 'download_episode'))[0], { episodeId: ep.id });
  await eventually(async () => (await btn.getAttribute('data-state')) === 'running', 'running');
  assert.equal((await fakeArgs(page, 'player_load')).length, 0, 'the row did not open');

  const total = downloadSize(ep.durationSecs);
  const seen = [];
  for (let i = 1; i * STEP < total; i++) {
    await step(page);
    const want = Math.floor(((i * STEP) / total) * 100);
    await eventually(async () => (await ringValue(page, ep.id)) === want, `ring at ${want}%`);
    seen.push(want);
  }
  assert.ok(seen.length >= 3 && seen.every((v, i) => i === 0 || v > seen[i - 1]), `progress rises: ${seen}`);
  assert.match(
    await page.locator(`li:has([data-episode-id="${ep.id}"]) [data-testid="episode-download-progress"]`).innerText(),
    new RegExp(`^${seen.at(-1)}%$`),
  );
  // the nav shows one under way
  assert.equal(await page.locator('[data-testid="nav-downloads-count"]').innerText().then((t) => t.replace(/\D/g, '')), '1');

  await step(page);
  await eventually(async () => (await epRow.getAttribute('data-downloaded')) === 'true', 'row marked downloaded');
  assert.equal(await control(page, ep.id).getAttribute('data-state'), 'done');
  assert.equal(await control(page, ep.id).getAttribute('aria-label'), `${ep.title} is downloaded`);
  assert.equal(await page.locator('[data-testid="nav-downloads-count"]').count(), 0);
  // played / in-progress display unchanged on the other rows
  assert.equal(await page.locator('[data-testid="episode"][data-episode-id="3"]').getAttribute('data-state'), 'played');
  assert.equal(await page.locator('[data-testid="episode"][data-episode-id="2"] progress').count(), 1);

  // The Downloads view lists it as done, with its size.
  await openDownloads(page);
  const r = row(page, ep.id);
  await r.waitFor();
  assert.equal(await r.getAttribute('data-state'), 'done');
  assert.equal(await r.locator('[data-testid="download-size"]').innerText(), mb(total));
  assert.match(await r.innerText(), /The Earshot Demo/i);
  assert.match(await r.innerText(), /Welcome to Earshot/);
});

test('tapping the ring pauses; tapping again resumes', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await openPodcast(page);
  const id = 2;
  const btn = control(page, id);
  await btn.click();
  await eventually(async () => (await btn.getAttribute('data-state')) === 'running', 'running');
  await step(page, 3);
  await eventually(async () => (await ringValue(page, id)) > 0, 'some progress');
  assert.match(await btn.getAttribute('aria-label'), /^Pause download of An hour of chapters/);

  await btn.click();
  await eventually(async () => (await fakeArgs(page, 'download_pause')).length === 1, 'download_pause');
  await eventually(async () => (await btn.getAttribute('data-state')) === 'paused', 'paused');
  const at = await ringValue(page, id);
  await step(page, 2);
  await sleep(100);
  assert.equal(await ringValue(page, id), at, 'no progress while paused');
  assert.equal(await btn.getAttribute('aria-label'), 'Resume download of An hour of chapters');

  await btn.click();
  await eventually(async () => (await fakeArgs(page, 'download_resume')).length === 1, 'download_resume');
  await eventually(async () => (await btn.getAttribute('data-state')) === 'running', 'running again');
  await step(page);
  await eventually(async () => (await ringValue(page, id)) > at, 'moving again from where it stopped');
});

test('the Downloads view: a progress bar matching bytes of total, the rate, a summary line', async () => {
  ctx = await suite.open({ fake: { ...MANUAL, library: 'rich', downloads: 'some' } });
  const { page } = ctx;
  await openDownloads(page);
  assert.equal(await page.locator('[data-testid="downloads-view"] h1').innerText(), 'Downloads');
  const rows = page.locator('[data-testid="download-row"]');
  await rows.first().waitFor();
  const ids = await rows.evaluateAll((els) => els.map((e) => Number(e.dataset.episodeId)));
  assert.deepEqual(ids, (await page.evaluate(() => window.__fake.downloads())).map((d) => d.episodeId), 'in the backend’s order');
  assert.equal(ids.length, DOWNLOAD_PRESET.length);

  const summary = page.locator('[data-testid="downloads-summary"]');
  assert.match(await summary.innerText(), /2 downloading, 1 queued, 1 paused, 1 failed/);
  assert.match(await summary.innerText(), /2 episodes downloaded/);

  const check = async (id) => {
    const f = await fakeRow(page, id);
    const bar = row(page, id).locator('[role="progressbar"]');
    const now = Number(await bar.getAttribute('aria-valuenow'));
    const max = Number(await bar.getAttribute('aria-valuemax'));
    return now === f.bytes && max === f.total && (await row(page, id).innerText()).includes(`${mb(f.bytes)} of ${mb(f.total)}`);
  };
  const r2 = row(page, 2);
  assert.equal(await r2.getAttribute('data-state'), 'running');
  assert.ok(await check(2), 'bar and text match the backend');
  assert.match(await r2.locator('[data-testid="download-rate"]').innerText(), /^2\.0 MB\/s$/);
  // The bar's fill is as wide as the fraction done.
  const ratio = await r2.locator('[role="progressbar"]').evaluate((bar) => {
    const fill = bar.firstElementChild.getBoundingClientRect();
    return fill.width / bar.getBoundingClientRect().width;
  });
  const f2 = await fakeRow(page, 2);
  assert.ok(Math.abs(ratio - f2.bytes / f2.total) < 0.03, `fill ${ratio.toFixed(3)} vs ${(f2.bytes / f2.total).toFixed(3)}`);

  // Live: the row moves in place with each event (no re-read of the list).
  const lists = (await fakeArgs(page, 'download_list')).length;
  const rowEl = await r2.elementHandle();
  await step(page);
  await eventually(() => check(2), 'bar follows the events');
  await step(page);
  await eventually(() => check(2), 'and again');
  assert.equal((await fakeArgs(page, 'download_list')).length, lists, 'updated in place');
  assert.ok(await rowEl.evaluate((el) => el.isConnected), 'the same row element');

  // paused, failed, queued, done rows
  assert.equal(await row(page, 201).getAttribute('data-state'), 'paused');
  assert.match(await row(page, 201).innerText(), /Paused/);
  assert.equal(await row(page, 300).getAttribute('data-state'), 'failed');
  assert.equal(
    await row(page, 300).locator('[data-testid="download-error"]').innerText(),
    DOWNLOAD_PRESET.find((p) => p.episodeId === 300).error,
  );
  assert.equal(await row(page, 202).getAttribute('data-state'), 'queued');
  const done = row(page, 3);
  assert.equal(await done.getAttribute('data-state'), 'done');
  assert.equal(await done.locator('[data-testid="download-size"]').innerText(), mb(downloadSize(EPISODES[2].durationSecs)));
  assert.match(await done.innerText(), /Played/);
  assert.equal(await done.locator('[data-testid="download-delete"]').getAttribute('aria-label'), 'Delete the download of Pilot: testing, testing');
  assert.equal(await done.locator('[role="progressbar"]').count(), 0);
  // every action button names its episode
  const labels = await page.locator('[data-testid^="download-"]:is(button)').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  assert.ok(labels.length >= 10 && labels.every((l) => /\b(of|Play) \S/.test(l)), labels.join(' | '));

  await page.screenshot({ path: artifactPath('ui-downloads.png') });
});

test('pause, resume, cancel and delete change the rows; a done one plays', async () => {
  ctx = await suite.open({ fake: { ...MANUAL, library: 'rich', downloads: 'some' } });
  const { page } = ctx;
  await openDownloads(page);
  const r = row(page, 200);
  await r.waitFor();
  const summary = page.locator('[data-testid="downloads-summary"]');

  await r.locator('[data-testid="download-pause"]').click();
  await eventually(async () => (await r.getAttribute('data-state')) === 'paused', 'paused');
  assert.deepEqual((await fakeArgs(page, 'download_pause')).at(-1), { episodeId: 200 });
  // one slot came free: the queued one starts
  await eventually(async () => (await row(page, 202).getAttribute('data-state')) === 'running', 'queued one started');
  await eventually(async () => /2 downloading, 2 paused, 1 failed/.test(await summary.innerText()), 'summary');
  assert.equal(await r.locator('[data-testid="download-pause"]').count(), 0);

  await r.locator('[data-testid="download-resume"]').click();
  await eventually(async () => (await r.getAttribute('data-state')) === 'queued', 'queued again (2 already run)');
  await r.locator('[data-testid="download-cancel"]').click();
  await eventually(async () => (await r.count()) === 0, 'cancelled row gone');
  assert.equal(await fakeRow(page, 200), null);

  // delete a finished one
  await row(page, 204).locator('[data-testid="download-delete"]').click();
  await eventually(async () => (await row(page, 204).count()) === 0, 'deleted row gone');
  assert.deepEqual((await fakeArgs(page, 'download_delete')).at(-1), { episodeId: 204 });

  // play a finished one: loads it and shows the player
  await row(page, 3).locator('[data-testid="download-play"]').click();
  await eventually(async () => (await fakeArgs(page, 'player_load')).length === 1, 'player_load');
  assert.deepEqual((await fakeArgs(page, 'player_load'))[0], { episodeId: 3, autoplay: true });
});

test('a failed download shows the backend’s sentence; retry finishes it', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await openPodcast(page);
  const id = 3;
  await control(page, id).click();
  await eventually(async () => (await control(page, id).getAttribute('data-state')) === 'running', 'running');
  await step(page, 10);
  await eventually(async () => (await control(page, id).getAttribute('data-state')) === 'failed', 'failed in the list');
  assert.equal(await control(page, id).getAttribute('aria-label'), 'Retry download of Pilot: testing, testing');

  await openDownloads(page);
  const r = row(page, id);
  await r.waitFor();
  assert.equal(await r.getAttribute('data-state'), 'failed');
  assert.equal(await r.locator('[data-testid="download-error"]').innerText(), DOWNLOAD_FAILURES[id].message);
  assert.match(await page.locator('[data-testid="downloads-summary"]').innerText(), /1 failed/);

  await r.locator('[data-testid="download-resume"]').click();
  await eventually(async () => (await r.getAttribute('data-state')) === 'running', 'running after retry');
  assert.equal(await r.locator('[data-testid="download-error"]').count(), 0);
  await step(page, 40);
  await eventually(async () => (await r.getAttribute('data-state')) === 'done', 'done');
});

test('a retry in progress shows a note, then the download carries on', async () => {
  const message = 'Connection reset by peer; retrying in 2 s';
  ctx = await suite.open({ fake: { ...MANUAL, downloadRetries: { 1: { at: 0.2, message, ticks: 2 } } } });
  const { page } = ctx;
  await openPodcast(page);
  await control(page, 1).click();
  await openDownloads(page);
  const r = row(page, 1);
  await r.waitFor();
  await eventually(async () => (await r.getAttribute('data-state')) === 'running', 'running');
  await step(page);
  await eventually(async () => (await r.locator('[data-testid="download-retrying"]').count()) === 1, 'retry note');
  assert.match(await r.locator('[data-testid="download-retrying"]').innerText(), new RegExp(message));
  assert.equal(await r.getAttribute('data-retrying'), 'true');
  await step(page, 2);
  await eventually(async () => (await r.locator('[data-testid="download-retrying"]').count()) === 0, 'note gone');
  await step(page, 10);
  await eventually(async () => (await r.getAttribute('data-state')) === 'done', 'done');
});

test('empty state; a download started elsewhere appears live', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await openDownloads(page);
  const empty = page.locator('[data-testid="downloads-empty"]');
  await empty.waitFor();
  assert.match(await empty.innerText(), /No downloads/);
  // e.g. an auto-download after a refresh: the UI only hears the event for an episode it doesn't list
  await page.evaluate(() => window.__TAURI_INTERNALS__.invoke('download_episode', { episodeId: 2 }));
  await row(page, 2).waitFor();
  assert.equal(await empty.count(), 0);
  await eventually(async () => (await row(page, 2).getAttribute('data-state')) === 'running', 'running');
  assert.match(await page.locator('[data-testid="downloads-summary"]').innerText(), /1 downloading/);
});

test('a refused download shows an alert and the button is back', async () => {
  ctx = await suite.open({ fake: MANUAL });
  const { page } = ctx;
  await openPodcast(page);
  await page.evaluate(() => window.__fake.failNext('download_episode', 'io', 'the disk is full (2 MB free)'));
  await control(page, 1).click();
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Could not download “Welcome to Earshot”: the disk is full/);
  await eventually(async () => (await control(page, 1).getAttribute('data-state')) === 'none', 'button back');
});

test('concurrency from the settings: only that many run at once', async () => {
  ctx = await suite.open({ fake: { ...MANUAL, settings: { downloadConcurrency: 1 } } });
  const { page } = ctx;
  await openPodcast(page);
  await control(page, 1).click();
  await control(page, 2).click();
  await eventually(async () => (await control(page, 2).getAttribute('data-state')) === 'queued', 'second waits');
  assert.equal(await control(page, 1).getAttribute('data-state'), 'running');
  await step(page, 6);
  await eventually(async () => (await control(page, 2).getAttribute('data-state')) === 'running', 'second runs after the first');
  assert.equal(await control(page, 1).getAttribute('data-state'), 'done');
});
