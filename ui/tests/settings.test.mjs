import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS } from './support/fixture.js';
import { artifactPath, browserSuite, eventually, fakeArgs, openDemoEpisode } from './support/harness.mjs';

const suite = browserSuite();
let ctx;

async function openSettings(page) {
  await page.locator('[data-testid="nav-settings"]').click();
  await page.locator('[data-testid="settings-view"]').waitFor();
}

const field = (page, id) => page.locator(`[data-testid="setting-${id}"]`);
const lastSet = async (page) => (await fakeArgs(page, 'settings_set')).at(-1)?.settings;

/** Type a value into a number field and commit it (change fires on blur). */
async function enter(page, id, value) {
  const before = (await fakeArgs(page, 'settings_set')).length;
  await field(page, id).fill(String(value));
  await field(page, id).press('Tab');
  await eventually(async () => (await fakeArgs(page, 'settings_set')).length === before + 1, `settings_set for ${id}`);
}

test('the settings view shows the stored settings, each field with a real label', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openSettings(page);
  assert.equal(await page.locator('[data-testid="settings-view"] h1').innerText(), 'Settings');
  assert.equal(await page.locator('[data-testid="settings-view"] h1').evaluate((h) => h === document.activeElement), true, 'focus on the heading');
  await eventually(async () => (await fakeArgs(page, 'settings_get')).length >= 1, 'settings_get');

  const byLabel = {
    'download-concurrency': 'Downloads at once',
    'auto-download': 'Download new episodes',
    'cleanup-played': 'Delete played downloads',
    'skip-back': 'Skip back',
    'skip-forward': 'Skip forward',
    'default-speed': 'Default speed',
    'skip-silence': 'Skip silence',
    levelling: 'Loudness levelling',
  };
  for (const [id, name] of Object.entries(byLabel)) {
    const viaLabel = page.getByLabel(name, { exact: false });
    assert.equal(await viaLabel.getAttribute('data-testid'), `setting-${id}`, `label “${name}”`);
  }
  assert.equal(await field(page, 'download-concurrency').inputValue(), String(DEFAULT_SETTINGS.downloadConcurrency));
  assert.equal(await field(page, 'auto-download').isChecked(), false, 'auto-download off by default');
  assert.equal(await field(page, 'cleanup-played').isChecked(), false);
  assert.equal(await field(page, 'skip-back').inputValue(), '15');
  assert.equal(await field(page, 'skip-forward').inputValue(), '30');
  assert.equal(await field(page, 'default-speed').inputValue(), '1');
  assert.equal(await field(page, 'skip-silence').isChecked(), false);
  assert.equal(await field(page, 'levelling').isChecked(), false);
  await page.screenshot({ path: artifactPath('ui-settings.png') });
});

test('changes round-trip through settings_set and show the stored (clamped) value', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openSettings(page);
  await eventually(async () => (await fakeArgs(page, 'settings_get')).length >= 1, 'settings_get');

  await enter(page, 'download-concurrency', 4);
  assert.equal((await lastSet(page)).downloadConcurrency, 4);
  assert.equal(await field(page, 'download-concurrency').inputValue(), '4');

  // Out of range: the backend clamps, the field shows what it stored.
  await enter(page, 'download-concurrency', 9);
  assert.equal((await lastSet(page)).downloadConcurrency, 9, 'sent as typed');
  await eventually(async () => (await field(page, 'download-concurrency').inputValue()) === '6', 'shows 6');
  assert.equal(await page.evaluate(() => window.__fake.settings.downloadConcurrency), 6);
  assert.match(await page.locator('[data-testid="settings-status"]').innerText(), /6/);

  // Clamped to the value it already had: the typed text must not linger.
  await enter(page, 'download-concurrency', 12);
  await eventually(async () => (await field(page, 'download-concurrency').inputValue()) === '6', 'still shows 6');

  await enter(page, 'skip-back', 0);
  await eventually(async () => (await field(page, 'skip-back').inputValue()) === '1', 'skip back clamped to 1 s');
  await enter(page, 'skip-forward', 45);
  assert.equal(await field(page, 'skip-forward').inputValue(), '45');

  await field(page, 'default-speed').selectOption('1.5');
  await eventually(async () => (await lastSet(page))?.defaultSpeed === 1.5, 'default speed sent');
  assert.equal(await field(page, 'default-speed').inputValue(), '1.5');

  for (const id of ['auto-download', 'cleanup-played', 'skip-silence', 'levelling']) {
    const n = (await fakeArgs(page, 'settings_set')).length;
    await field(page, id).check();
    await eventually(async () => (await fakeArgs(page, 'settings_set')).length === n + 1, `settings_set for ${id}`);
  }
  const stored = await page.evaluate(() => window.__fake.settings);
  assert.deepEqual(stored, {
    ...DEFAULT_SETTINGS,
    downloadConcurrency: 6,
    skipBackSecs: 1,
    skipForwardSecs: 45,
    defaultSpeed: 1.5,
    autoDownload: true,
    cleanupPlayed: true,
    skipSilence: true,
    loudnessLevelling: true,
  });
  // every call sent the whole object
  for (const s of await fakeArgs(page, 'settings_set')) assert.deepEqual(Object.keys(s.settings).sort(), Object.keys(DEFAULT_SETTINGS).sort());

  // A fresh visit shows the same.
  await page.locator('[data-testid="nav-downloads"]').click();
  await openSettings(page);
  assert.equal(await field(page, 'skip-forward').inputValue(), '45');
  assert.equal(await field(page, 'levelling').isChecked(), true);
});

test('a refused change shows an alert and the field keeps the stored value', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openSettings(page);
  await eventually(async () => (await fakeArgs(page, 'settings_get')).length >= 1, 'settings_get');
  await page.evaluate(() => window.__fake.failNext('settings_set', 'db', 'database is locked'));
  await field(page, 'auto-download').click(); // (check() would insist it stays checked)
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Could not save the settings: database is locked/);
  await eventually(async () => (await field(page, 'auto-download').isChecked()) === false, 'unchecked again');
});

test('the skip buttons and arrow keys use the configured lengths', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openSettings(page);
  await eventually(async () => (await fakeArgs(page, 'settings_get')).length >= 1, 'settings_get');
  await enter(page, 'skip-back', 10);
  await enter(page, 'skip-forward', 45);

  await page.locator('[data-testid="nav-settings"]').evaluate((b) => b.blur());
  await page.locator('.brand').click();
  await openDemoEpisode(page);
  const back = page.locator('[data-testid="skip-back"]');
  const fwd = page.locator('[data-testid="skip-forward"]');
  assert.equal(await back.getAttribute('aria-label'), 'Back 10 seconds');
  assert.equal(await fwd.getAttribute('aria-label'), 'Forward 45 seconds');
  assert.equal(await back.locator('text').textContent(), '10');
  await page.locator('[data-testid="play-pause"]').click();
  await fwd.click();
  await back.click();
  await page.locator('main').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  await eventually(async () => (await fakeArgs(page, 'player_skip')).length === 4, 'four skips');
  assert.deepEqual(await fakeArgs(page, 'player_skip'), [{ delta: 45 }, { delta: -10 }, { delta: 45 }, { delta: -10 }]);
});

test('settings stored before start-up apply at once', async () => {
  ctx = await suite.open({ fake: { settings: { skipBackSecs: 5, skipForwardSecs: 60 } } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(
    async () => (await page.locator('[data-testid="skip-forward"]').getAttribute('aria-label')) === 'Forward 60 seconds',
    'forward 60',
  );
  assert.equal(await page.locator('[data-testid="skip-back"]').getAttribute('aria-label'), 'Back 5 seconds');
});
