// Library-wide transcript search: the header's search box (debounced `library_search`), results
// grouped by episode with their lines and times, snippets marked without HTML, the empty and
// no-result states, and choosing a line opens the episode at that second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DETAILS, EPISODES, PODCASTS } from './support/fixture.js';
import { artifactPath, browserSuite, eventually, fakeArgs, seconds } from './support/harness.mjs';

const suite = browserSuite();
const box = (page) => page.locator('[data-testid="search"]');

/** Lines of the fixture whose text contains `q` (case-insensitive), per episode. */
function expectedHits(q) {
  const out = [];
  for (const [id, d] of Object.entries(DETAILS)) {
    for (const s of d.segments) if (s.text.toLowerCase().includes(q.toLowerCase())) out.push({ episodeId: Number(id), start: s.start });
  }
  return out;
}

test('the header search box searches every transcript, debounced, and groups lines by episode', async () => {
  const { page } = await suite.open();
  await page.locator('[data-testid="podcast"]').first().waitFor();
  assert.equal(await page.getByRole('search', { name: 'Search transcripts' }).count(), 1);
  await box(page).click();
  await box(page).pressSequentially('chapters', { delay: 25 });
  await page.locator('[data-testid="search-results"]').waitFor();
  await eventually(async () => (await page.locator('[data-testid="search-hit"]').count()) > 0, 'hits');
  // One search for the whole word (typing faster than the debounce).
  assert.deepEqual(await fakeArgs(page, 'library_search'), [{ query: 'chapters' }]);
  // The caret stayed in the box.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'search');

  const expected = expectedHits('chapters');
  const hits = await page.locator('[data-testid="search-hit"]').evaluateAll((els) =>
    els.map((e) => ({ episodeId: Number(e.dataset.episodeId), start: Number(e.dataset.seconds), text: e.innerText })),
  );
  assert.equal(hits.length, expected.length);
  assert.deepEqual(
    hits.map((h) => `${h.episodeId}@${h.start}`).sort(),
    expected.map((h) => `${h.episodeId}@${h.start}`).sort(),
  );
  // Grouped by episode: podcast and episode title over each group's lines.
  const groups = await page.locator('[data-testid="search-episode"]').evaluateAll((els) =>
    els.map((g) => ({ id: Number(g.dataset.episodeId), head: g.querySelector('h2').textContent, podcast: g.querySelector('.podcast').textContent, n: g.querySelectorAll('[data-testid="search-hit"]').length })),
  );
  assert.equal(groups.length, new Set(expected.map((h) => h.episodeId)).size);
  for (const g of groups) {
    assert.equal(g.head, EPISODES.find((e) => e.id === g.id).title);
    assert.equal(g.podcast, PODCASTS[0].title);
    assert.equal(g.n, expected.filter((h) => h.episodeId === g.id).length);
  }
  // Times on each line (≈ for estimated ones: episode 2's transcript is untimed).
  const ep2 = page.locator('[data-testid="search-hit"][data-episode-id="2"]').first();
  assert.match(await ep2.innerText(), /≈ 20:30/);
  // Snippets: matches in <mark>, nothing else parsed as markup, no control characters left.
  const snippets = await page.locator('[data-testid="search-snippet"]').evaluateAll((els) =>
    els.map((e) => ({ marks: [...e.querySelectorAll('mark')].map((m) => m.textContent), other: e.querySelectorAll(':not(mark)').length, text: e.textContent })),
  );
  for (const s of snippets) {
    assert.ok(s.marks.length >= 1);
    for (const m of s.marks) assert.equal(m.toLowerCase(), 'chapters');
    assert.equal(s.other, 0);
    assert.doesNotMatch(s.text, /[\u0002\u0003]/);
  }
  assert.match(await page.locator('[data-testid="search-summary"]').innerText(), /lines? in \d+ episodes?/);
  await page.screenshot({ path: artifactPath('ui-search.png') });
});

test('choosing a line loads that episode with autoplay and seeks to its second, in the player view', async () => {
  const { page } = await suite.open();
  await box(page).fill('chapters');
  const hit = page.locator('[data-testid="search-hit"][data-episode-id="2"]').first();
  await hit.waitFor();
  const at = Number(await hit.getAttribute('data-seconds'));
  assert.equal(at, 1230);
  await hit.click();
  await eventually(async () => (await page.locator('h1').innerText()) === EPISODES[1].title, 'player view on episode 2');
  assert.deepEqual(await fakeArgs(page, 'player_load'), [{ episodeId: 2, autoplay: true }]);
  await eventually(async () => (await fakeArgs(page, 'player_seek')).at(-1)?.seconds === at, 'seek to the line');
  await eventually(async () => Math.abs((await seconds(page)) - at) < 1.5, `position ~${at}`);
  await eventually(
    async () => (await page.locator('[data-testid="transcript-segment"][aria-current="true"]').getAttribute('data-seconds')) === String(at),
    'the line is highlighted',
  );
  await eventually(async () => (await page.locator('[data-testid="play-pause"]').getAttribute('aria-label')) === 'Pause', 'playing');

  // Another line of the episode that is playing: a seek, no reload.
  await box(page).fill('outro');
  const outro = page.locator('[data-testid="search-hit"][data-episode-id="2"][data-seconds="3000"]');
  await outro.waitFor();
  await outro.click();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).at(-1)?.seconds === 3000, 'seek to the outro');
  assert.equal((await fakeArgs(page, 'player_load')).length, 1);
});

test('empty and no-result states; Escape clears the box; a failed search is reported', async () => {
  const { page } = await suite.open();
  await box(page).fill('xylophone quartet');
  await page.locator('[data-testid="search-none"]').waitFor();
  assert.match(await page.locator('[data-testid="search-none"]').innerText(), /No transcript mentions “xylophone quartet”/);
  await box(page).press('Escape');
  assert.equal(await box(page).inputValue(), '');
  await page.locator('[data-testid="search-empty"]').waitFor();
  assert.equal(await page.locator('[data-testid="search-hit"]').count(), 0);

  // Ctrl+F away from the player focuses the search box.
  await page.locator('h1').click();
  await page.keyboard.press('Control+f');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'search');

  await page.evaluate(() => window.__fake.failNext('library_search', 'db', 'the search index is locked'));
  await box(page).fill('chapters');
  await page.locator('[role="alert"]').waitFor();
  assert.match(await page.locator('[role="alert"]').innerText(), /Could not search the library: the search index is locked/);
});
