// Subscriptions and library (issue 3): subscribe, refresh with progress, OPML, unsubscribe,
// and re-fetching on `library` `changed` events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEEDS, PODCASTS, RICH_PODCASTS, subscribeError } from './support/fixture.js';
import {
  artifactPath,
  browserSuite,
  eventually,
  fakeArgs,
  sleep,
} from './support/harness.mjs';

const suite = browserSuite();
let ctx;

const rich = { fake: { library: 'rich' } };
const card = (page, id) => page.locator(`[data-testid="podcast"][data-podcast-id="${id}"]`);
const alertText = (page) => page.locator('[role="alert"]').innerText();

for (const scheme of ['light', 'dark']) {
  test(`library grid shows artwork, episode and new counts, and last errors (${scheme})`, async () => {
    ctx = await suite.open({ ...rich, colorScheme: scheme });
    const { page } = ctx;
    await page.locator('[data-testid="podcast"]').first().waitFor();
    assert.equal(await page.locator('[data-testid="podcast"]').count(), 1 + RICH_PODCASTS.length);

    // artwork where the podcast has one (loaded), the generated tile otherwise
    const space = card(page, 2);
    await eventually(
      () => space.locator('img').evaluate((img) => img.complete && img.naturalWidth > 0),
      'artwork loaded',
    );
    assert.equal(await card(page, 1).locator('img').count(), 0);
    assert.equal(await card(page, 1).locator('[data-artwork="generated"]').count(), 1);

    assert.match(await card(page, 3).innerText(), /5,000 episodes/);
    assert.equal(await space.locator('[data-testid="new-count"]').innerText(), '2 new');
    assert.equal(await card(page, 4).locator('[data-testid="new-count"]').count(), 0);
    // description markup is shown as text, tags stripped
    assert.match(await space.innerText(), /outer solar system & beyond/);
    assert.doesNotMatch(await space.innerText(), /<b>|&amp;/);

    // the last error, subtly: text + tooltip with the whole message
    const problem = card(page, 4).locator('[data-testid="podcast-error"]');
    assert.equal(await problem.getAttribute('title'), RICH_PODCASTS[2].lastError);
    assert.match(await problem.innerText(), /404 Not Found/);
    assert.equal(await page.locator('[data-testid="podcast-error"]').count(), 1);

    // the subscribe box and the tools
    assert.equal(await page.locator('[data-testid="subscribe-url"]').getAttribute('placeholder'), 'Feed or website URL');
    assert.equal(await page.locator('[data-testid="opml-import"]').getAttribute('type'), 'file');
    assert.equal(await page.locator('[data-testid="opml-import"]').getAttribute('accept'), '.opml,.xml,text/xml');
    await page.locator('[data-testid="refresh"]').waitFor();
    await page.locator('[data-testid="opml-export"]').waitFor();
    await page.screenshot({ path: artifactPath(scheme === 'dark' ? 'ui-library-dark.png' : 'ui-library.png') });
  });
}

test('subscribing shows a busy state, then opens the new podcast with its episodes', async () => {
  ctx = await suite.open({ fake: { subscribeMs: 500 } });
  const { page } = ctx;
  const feed = FEEDS[0];
  const submit = page.locator('[data-testid="subscribe-submit"]');
  assert.equal(await submit.isDisabled(), true, 'nothing to subscribe to yet');
  await page.locator('[data-testid="subscribe-url"]').fill(feed.urls[1]); // the web page, not the feed
  await submit.click();
  await eventually(async () => /Subscribing/.test(await submit.innerText()), 'busy label');
  assert.equal(await submit.isDisabled(), true, 'no double submit while busy');
  assert.equal(await page.locator('form[aria-busy="true"]').count(), 1);

  await eventually(async () => (await page.locator('h1').innerText()) === feed.podcast.title, 'the new podcast page');
  assert.deepEqual(await fakeArgs(page, 'feed_subscribe'), [{ url: feed.urls[1] }]);
  const rows = page.locator('[data-testid="episode"]');
  await rows.first().waitFor();
  assert.deepEqual(
    (await rows.allInnerTexts()).map((t) => t.split('\n')[0].trim()),
    feed.episodes,
  );
  // the description is plain text: tags stripped, markup never run
  const desc = await page.locator('[data-testid="podcast-description"]').innerText();
  assert.match(desc, /Walks, birds & weather\./);
  assert.match(desc, /Recorded outdoors\./);
  assert.doesNotMatch(desc, /<|script|pwned/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // and it is in the library now
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('button', { name: 'Library' }).click();
  await page.getByRole('button', { name: new RegExp(feed.podcast.title) }).waitFor();
  assert.equal(await page.locator('[data-testid="podcast"]').count(), 2);
});

test('a failed subscription shows the backend message in the alert', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  const url = 'https://example.com/blog/';
  await page.locator('[data-testid="subscribe-url"]').fill(url);
  await page.locator('[data-testid="subscribe-url"]').press('Enter');
  await page.locator('[role="alert"]').waitFor();
  assert.equal((await alertText(page)).trim(), subscribeError(url));
  // still in the library, the text kept for a correction, the button usable again
  assert.equal(await page.locator('h1').innerText(), 'Library');
  assert.equal(await page.locator('[data-testid="subscribe-url"]').inputValue(), url);
  await eventually(async () => !(await page.locator('[data-testid="subscribe-submit"]').isDisabled()), 'button enabled');
});

test('refresh all shows the progress bar moving, then a summary and the failures', async () => {
  ctx = await suite.open({ ...rich, fake: { library: 'rich', refreshStepMs: 300 } });
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().waitFor();
  // Record every state of the progress bar, in the page.
  await page.evaluate(() => {
    window.__samples = [];
    const seen = () => {
      const el = document.querySelector('[data-testid="refresh-progress"]');
      if (!el) return;
      const s = [el.getAttribute('role'), el.getAttribute('aria-valuenow'), el.getAttribute('aria-valuemax')].join('|');
      if (window.__samples.at(-1) !== s) window.__samples.push(s);
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await page.locator('[data-testid="refresh"]').click();
  const bar = page.locator('[data-testid="refresh-progress"]');
  await bar.waitFor({ state: 'visible' });
  assert.equal(await page.locator('[data-testid="refresh"]').isDisabled(), true, 'one refresh at a time');
  await eventually(async () => Number(await bar.getAttribute('aria-valuenow')) >= 1, 'progress moves', 4000);
  const mid = Number(await bar.getAttribute('aria-valuenow'));
  assert.ok(mid >= 1 && mid < 4, `part-way: ${mid}`);

  const summary = page.locator('[data-testid="refresh-summary"]');
  await summary.waitFor({ timeout: 8000 });
  assert.equal(await bar.count(), 0, 'the bar goes away when done');
  assert.equal(await summary.innerText(), 'Refreshed 4 podcasts · 3 new episodes · 1 failed');
  assert.deepEqual(await fakeArgs(page, 'feed_refresh'), [{ podcastId: null }]);

  const samples = await page.evaluate(() => window.__samples);
  const values = samples.map((s) => s.split('|')).filter(([role, now]) => role === 'progressbar' && now !== '');
  const nows = values.map(([, now]) => Number(now));
  assert.ok(values.every(([, , max]) => max === '4'), `aria-valuemax 4: ${samples.join(', ')}`);
  assert.ok(new Set(nows).size >= 3, `moved through several values: ${nows.join(', ')}`);
  for (let i = 1; i < nows.length; i++) assert.ok(nows[i] >= nows[i - 1], `never backwards: ${nows.join(', ')}`);

  // the failure, naming the podcast
  const alert = await alertText(page);
  assert.match(alert, /Kitchen Chemistry/);
  assert.match(alert, /404 Not Found/);
  // re-fetched: the new episodes are counted on the cards
  await eventually(async () => (await card(page, 2).locator('[data-testid="new-count"]').innerText()) === '4 new', 'new count');
  assert.match(await card(page, 3).innerText(), /5,001 episodes/);
});

test('refreshing one podcast from its page', async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  await card(page, 2).click();
  await page.locator('[data-testid="episode"]').first().waitFor();
  const before = await page.locator('[data-testid="episode"]').count();
  await page.locator('[data-testid="refresh"]').click();
  await page.locator('[data-testid="refresh-progress"]').waitFor();
  const summary = page.locator('[data-testid="refresh-summary"]');
  await summary.waitFor();
  assert.equal(await summary.innerText(), '2 new episodes');
  assert.deepEqual(await fakeArgs(page, 'feed_refresh'), [{ podcastId: 2 }]);
  await eventually(async () => (await page.locator('[data-testid="episode"]').count()) === before + 2, 'list re-fetched');
  const states = await page.locator('[data-testid="episode"]').evaluateAll((els) => els.map((e) => e.dataset.state));
  assert.deepEqual(states.slice(0, 4), ['new', 'new', 'new', 'new']);
  assert.equal(await page.locator('[role="alert"]').count(), 0);
});

test('unsubscribe asks first (in the page), then removes the podcast', async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await card(page, 4).click();
  await page.locator('[data-testid="episode"]').first().waitFor();

  await page.locator('[data-testid="unsubscribe"]').click();
  const confirm = page.locator('[data-testid="unsubscribe-confirm"]');
  await confirm.waitFor();
  assert.match(await page.getByRole('group').innerText(), /Unsubscribe from “Kitchen Chemistry”\?/);
  await sleep(100);
  assert.equal((await fakeArgs(page, 'feed_unsubscribe')).length, 0, 'nothing removed before confirming');
  // Cancel keeps it
  await page.locator('[data-testid="unsubscribe-cancel"]').click();
  assert.equal(await confirm.count(), 0);
  assert.equal(await page.locator('h1').innerText(), 'Kitchen Chemistry');

  await page.locator('[data-testid="unsubscribe"]').click();
  await confirm.click();
  await eventually(async () => (await page.locator('h1').innerText()) === 'Library', 'back in the library');
  assert.deepEqual(await fakeArgs(page, 'feed_unsubscribe'), [{ podcastId: 4 }]);
  await page.locator('[data-testid="podcast"]').first().waitFor();
  assert.equal(await card(page, 4).count(), 0);
  assert.equal(await page.locator('[data-testid="podcast"]').count(), RICH_PODCASTS.length);
  assert.equal(await page.getByRole('navigation', { name: 'Breadcrumb' }).getByText('Kitchen Chemistry').count(), 0);
  assert.match(await page.locator('[data-testid="refresh-summary"]').innerText(), /Unsubscribed from “Kitchen Chemistry”/);
  assert.equal(dialogs, 0, 'no window.confirm');
});

test('OPML import reports added, existing and failed feeds', async () => {
  ctx = await suite.open({ fake: { refreshStepMs: 150 } });
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().waitFor();
  const broken = 'https://gone.example/feed.xml';
  const opml = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My podcasts</title></head><body>
  <outline text="Field Notes" type="rss" xmlUrl="${FEEDS[0].podcast.feedUrl}"/>
  <outline text="Demo" type="rss" xmlUrl="${PODCASTS[0].feedUrl}"/>
  <outline text="Gone" type="rss" xmlUrl="${broken}"/>
</body></opml>`;
  await page.locator('[data-testid="opml-import"]').setInputFiles({
    name: 'podcasts.opml',
    mimeType: 'text/xml',
    buffer: Buffer.from(opml, 'utf8'),
  });
  await page.locator('[data-testid="refresh-progress"]').waitFor();
  const summary = page.locator('[data-testid="refresh-summary"]');
  await summary.waitFor();
  assert.equal(await summary.innerText(), 'Imported 1 podcast · 1 already subscribed · 1 failed');
  assert.deepEqual(await fakeArgs(page, 'opml_import'), [{ text: opml }]);
  const alert = await alertText(page);
  assert.match(alert, /Could not import 1 feed from podcasts\.opml/);
  assert.ok(alert.includes(`${broken}: ${subscribeError(broken)}`), alert);
  await page.getByRole('button', { name: /Field Notes/ }).waitFor();
  assert.equal(await page.locator('[data-testid="podcast"]').count(), 2);
});

test('a file that is not OPML is reported', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().waitFor();
  await page.locator('[data-testid="opml-import"]').setInputFiles({
    name: 'notes.xml',
    mimeType: 'text/xml',
    buffer: Buffer.from('<notes><note>hi</note></notes>'),
  });
  await page.locator('[role="alert"]').waitFor();
  assert.match(await alertText(page), /Could not import notes\.xml: not an OPML file/);
});

test('OPML export says where the file went', async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  await page.locator('[data-testid="opml-export"]').click();
  const summary = page.locator('[data-testid="refresh-summary"]');
  await summary.waitFor();
  assert.equal(
    await summary.innerText(),
    `Saved ${1 + RICH_PODCASTS.length} subscriptions to /home/listener/Downloads/earshot-subscriptions.opml`,
  );
  assert.equal((await fakeArgs(page, 'opml_export')).length, 1);
});

test('a library `changed` event re-fetches the visible lists', async () => {
  ctx = await suite.open(rich);
  const { page } = ctx;
  await card(page, 2).waitFor();
  await page.evaluate(() => window.__fake.renamePodcast(2, 'Deep Space Dispatch (Weekly)'));
  await eventually(async () => /Deep Space Dispatch \(Weekly\)/.test(await card(page, 2).innerText()), 'library card re-fetched');

  await card(page, 2).click();
  await page.locator('[data-testid="episode"]').first().waitFor();
  const fetched = (await fakeArgs(page, 'library_episodes')).length;
  await page.evaluate(() => window.__fake.renamePodcast(2, 'Deep Space Dispatch'));
  await eventually(async () => (await page.locator('h1').innerText()) === 'Deep Space Dispatch', 'podcast header re-fetched');
  await eventually(async () => (await fakeArgs(page, 'library_episodes')).length > fetched, 'episodes re-fetched');
  // the breadcrumb follows, and the page kept its focus/scroll (no navigation)
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('button', { name: 'Deep Space Dispatch' }).waitFor();
});
