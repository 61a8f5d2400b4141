// Reading along in the transcript: the highlighted line and word follow the clock, follow pauses
// when the listener scrolls ("Back to now" resumes), click to seek / toggle, find, speaker
// colours, chapter headings, quotes, estimated times, a 5,000-line transcript (virtualized) and
// opening a transcript file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DETAILS, EPISODES, LONG_COUNT, LONG_FIND, PODCASTS } from './support/fixture.js';
import { artifactPath, browserSuite, eventually, fakeArgs, openDemoEpisode, seconds, sleep } from './support/harness.mjs';

const suite = browserSuite();
const demo = DETAILS[1];
const SEG = '[data-testid="transcript-segment"]';
const ACTIVE = `${SEG}[aria-current="true"]`;

const label = (page) => page.locator('[data-testid="play-pause"]').getAttribute('aria-label');

async function pause(page) {
  await eventually(async () => ['Pause', 'Play'].includes(await label(page)), 'player ready');
  if ((await label(page)) === 'Pause') await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await label(page)) === 'Play', 'paused');
}

/** The highlighted line (start, end, data-seconds) and word, read in one go with the position. */
const readState = (page) =>
  page.evaluate(() => {
    const pos = Number(document.querySelector('[data-testid="position"]').getAttribute('data-seconds'));
    const active = [...document.querySelectorAll('[data-testid="transcript-segment"][aria-current="true"]')];
    const a = active[0];
    const word = document.querySelector('[data-testid="transcript-word"][data-current="true"]');
    return {
      pos,
      count: active.length,
      start: a ? Number(a.dataset.start) : null,
      end: a ? Number(a.dataset.end) : null,
      seconds: a?.hasAttribute('data-seconds') ? Number(a.dataset.seconds) : null,
      index: a ? Number(a.closest('.row').dataset.index) : null,
      word: word ? { start: Number(word.dataset.start), end: Number(word.dataset.end), text: word.textContent, inActive: !!a?.contains(word) } : null,
      following: document.querySelector('.scroller')?.dataset.following,
    };
  });

/** Is the highlighted line inside the transcript's viewport? */
const activeInView = (page) =>
  page.evaluate(() => {
    const el = document.querySelector('[data-testid="transcript-segment"][aria-current="true"]');
    const sc = el?.closest('.scroller');
    if (!el || !sc) return false;
    const a = sc.getBoundingClientRect();
    const b = el.getBoundingClientRect();
    return b.top >= a.top - 1 && b.bottom <= a.bottom + 1;
  });

const scrollTop = (page) => page.evaluate(() => document.querySelector('.scroller').scrollTop);

/** Set the position by a `position` event (the player is paused: the clock stays there). */
async function emitAt(page, t) {
  await page.evaluate((p) => window.__fake.emitPosition(p, false), t);
  await eventually(async () => Math.abs((await seconds(page)) - t) < 0.01, `position ${t}`);
}

/** What find-in-transcript should count: case- and accent-insensitive occurrences. */
function expectedMatches(segments, query) {
  const f = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const q = f(query);
  const out = [];
  segments.forEach((s, i) => {
    const t = f(s.text);
    for (let k = t.indexOf(q); k >= 0; k = t.indexOf(q, k + q.length)) out.push(i);
  });
  return out;
}

async function mockClipboard(page) {
  await page.evaluate(() => {
    window.__copied = [];
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: (t) => (window.__copied.push(t), Promise.resolve()) },
    });
  });
}

test('the highlight follows the clock: the line (with data-seconds) and the word contain the position', async () => {
  const { page } = await suite.open();
  await openDemoEpisode(page);
  await pause(page);
  for (const t of [3, 12.5, 40.2, 58, 75, 101.3, 125]) {
    await emitAt(page, t);
    const s = await eventually(async () => {
      const r = await readState(page);
      return r.count === 1 && r.start <= t && t < r.end ? r : null;
    }, `highlighted line at ${t}`);
    assert.equal(s.seconds, s.start, 'the highlighted line carries data-seconds = its start');
    const expected = demo.segments.findIndex((x) => x.start <= t && t < x.end);
    assert.equal(s.index, expected, `line ${expected} at ${t}`);
    // Word by word: the word being spoken is marked, inside the highlighted line.
    const words = demo.segments[expected].words;
    const w = words.findLast((x) => x.start <= t);
    assert.ok(s.word, `a current word at ${t}`);
    assert.ok(s.word.inActive, 'the current word is in the highlighted line');
    assert.equal(s.word.start, w.start, `word "${w.text}" at ${t}`);
    assert.equal(s.word.text, w.text);
    assert.equal(await page.locator('[data-testid="transcript-word"][data-current="true"]').count(), 1);
    await eventually(() => activeInView(page), `highlighted line in view at ${t}`);
  }
  // In the short gap between lines (61.5–62) no line is highlighted; the follow stays put.
  await emitAt(page, 61.7);
  await eventually(async () => (await readState(page)).count === 0, 'no line in the gap');
});

test('while playing, the highlighted word moves with the interpolated clock', async () => {
  const { page } = await suite.open();
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  await eventually(async () => (await seconds(page)) > 0.5, 'clock moving');
  const seen = new Set();
  const end = Date.now() + 2500;
  while (Date.now() < end) {
    const s = await readState(page);
    if (s.word) {
      seen.add(s.word.start);
      assert.ok(s.word.start <= s.pos + 0.05, `word starting ${s.word.start} at ${s.pos}`);
      assert.ok(s.pos < s.word.end + 0.35, `word ending ${s.word.end} at ${s.pos}`);
      assert.ok(s.start <= s.pos + 0.05 && s.pos < s.end + 0.05, 'line contains the position');
    }
    await sleep(60);
  }
  assert.ok(seen.size >= 4, `the highlight moved word by word (${seen.size} words)`);
});

test('follow pauses when the listener scrolls; our own scrolls do not; "Back to now" resumes', async () => {
  const { page } = await suite.open();
  await openDemoEpisode(page);
  await pause(page);
  // A jump far down (a chapter): the transcript scrolls by itself and keeps following.
  await page.locator('[data-testid="chapter"]').nth(3).click();
  await eventually(async () => (await readState(page)).start === 100, 'line at 100 s');
  await eventually(() => activeInView(page), 'line at 100 s in view');
  await sleep(500);
  assert.equal(await page.locator('[data-testid="transcript-follow"]').count(), 0, 'no "Back to now" after our own scroll');
  assert.equal((await readState(page)).following, 'true');

  // The listener scrolls up with the wheel: follow pauses and the button shows.
  const box = await page.locator('.scroller').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -2000);
  await page.locator('[data-testid="transcript-follow"]').waitFor();
  assert.match(await page.locator('[data-testid="transcript-follow"]').innerText(), /Back to now/);
  await eventually(async () => !(await activeInView(page)), 'scrolled away from the line');
  const top = await scrollTop(page);
  // The clock moves on (a backend event): the view stays where the listener put it.
  await emitAt(page, 125);
  await eventually(async () => (await readState(page)).start === 122, 'line at 122 s');
  await sleep(500);
  assert.equal(await scrollTop(page), top, 'no follow while paused by the listener');

  // "Back to now" brings the line back and follows again.
  await page.locator('[data-testid="transcript-follow"]').click();
  await eventually(() => activeInView(page), 'line back in view');
  assert.equal(await page.locator('[data-testid="transcript-follow"]').count(), 0);
  assert.equal((await readState(page)).following, 'true');

  // Keyboard scrolling (PageUp in the transcript) pauses follow too.
  await page.locator(SEG).nth(19).focus();
  await page.keyboard.press('PageUp');
  await page.locator('[data-testid="transcript-follow"]').waitFor();
});

test('clicking a line seeks to it; clicking the current line toggles play/pause', async () => {
  const { page } = await suite.open();
  await openDemoEpisode(page);
  await pause(page);
  const line = page.locator(SEG).nth(5);
  await line.click();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).at(-1)?.seconds === demo.segments[5].start, 'seek to line 5');
  await eventually(async () => (await line.getAttribute('aria-current')) === 'true', 'line 5 current');
  const toggles = (await fakeArgs(page, 'player_toggle')).length;
  await line.click();
  await eventually(async () => (await fakeArgs(page, 'player_toggle')).length === toggles + 1, 'toggle');
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  assert.equal((await fakeArgs(page, 'player_seek')).length, 1, 'no second seek');
  await line.click();
  await eventually(async () => (await label(page)) === 'Play', 'paused again');
  // Keyboard: Enter on a focused line does the same as a click.
  await page.locator(SEG).nth(8).focus();
  await page.keyboard.press('Enter');
  await eventually(async () => (await fakeArgs(page, 'player_seek')).at(-1)?.seconds === demo.segments[8].start, 'Enter seeks');
});

test('find in transcript: count, next / previous (buttons, Enter, Shift+Enter), marks, Ctrl+F', async () => {
  const { page } = await suite.open();
  await openDemoEpisode(page);
  await pause(page);
  await page.locator('h1').click();
  await page.keyboard.press('Control+f');
  await eventually(() => page.evaluate(() => document.activeElement?.dataset.testid === 'transcript-find'), 'Ctrl+F focuses find');
  const expected = expectedMatches(demo.segments, 'CHAPTER');
  assert.ok(expected.length >= 4);
  await page.keyboard.type('CHAPTER');
  const count = page.locator('[data-testid="transcript-find-count"]');
  await eventually(async () => (await count.innerText()) === `1 of ${expected.length}`, `1 of ${expected.length}`);
  const marks = () => page.locator('.scroller mark').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.match))].length);
  assert.equal(await marks(), expected.length);
  assert.match(await page.locator('.scroller mark').first().innerText(), /^chapter$/i);
  const current = () =>
    page.evaluate(() => {
      const m = document.querySelector('.scroller mark[data-current="true"]');
      return m ? Number(m.closest('.row').dataset.index) : -1;
    });
  assert.equal(await current(), expected[0]);
  await page.locator('[data-testid="transcript-find-next"]').click();
  await eventually(async () => (await count.innerText()) === `2 of ${expected.length}`, 'next');
  assert.equal(await current(), expected[1]);
  await page.locator('[data-testid="transcript-find"]').press('Enter');
  await eventually(async () => (await count.innerText()) === `3 of ${expected.length}`, 'Enter');
  await page.locator('[data-testid="transcript-find"]').press('Shift+Enter');
  await page.locator('[data-testid="transcript-find"]').press('Shift+Enter');
  await page.locator('[data-testid="transcript-find-prev"]').click();
  await eventually(async () => (await count.innerText()) === `${expected.length} of ${expected.length}`, 'wraps to the last');
  assert.equal(await current(), expected.at(-1));
  // Accent- and case-insensitive; no match says so.
  await page.locator('[data-testid="transcript-find"]').fill('TRÁNSCRIPT');
  await eventually(async () => (await count.innerText()) === `1 of ${expectedMatches(demo.segments, 'transcript').length}`, 'accent-insensitive');
  await page.locator('[data-testid="transcript-find"]').fill('xylophone');
  await eventually(async () => (await count.innerText()) === 'No matches', 'no matches');
  assert.equal(await page.locator('.scroller mark').count(), 0);
});

test('speaker names: shown on each change, a stable colour per name with good contrast', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page } = await suite.open({ colorScheme });
    await openDemoEpisode(page);
    const read = () =>
      page.locator('[data-testid="speaker"]').evaluateAll((els) =>
        els.map((e) => ({ name: e.textContent.trim(), color: getComputedStyle(e).color })),
      );
    const labels = await read();
    const byName = new Map();
    for (const l of labels) {
      if (byName.has(l.name)) assert.equal(l.color, byName.get(l.name), `${l.name} keeps one colour`);
      byName.set(l.name, l.color);
    }
    assert.deepEqual([...byName.keys()], ['Ada', 'Ben']);
    assert.notEqual(byName.get('Ada'), byName.get('Ben'), 'different names, different colours');
    const bg = await page.locator('.transcript-panel').evaluate((e) => getComputedStyle(e).backgroundColor);
    for (const [name, color] of byName) {
      const c = contrast(color, bg);
      assert.ok(c >= 4.5, `${name} on the panel (${colorScheme}): ${c.toFixed(2)}`);
    }
    // The same names in another episode get the same colours.
    await page.getByRole('button', { name: 'The Earshot Demo' }).first().click();
    await page.locator('[data-testid="episode"][data-episode-id="2"]').click();
    await eventually(async () => (await page.locator('h1').innerText()) === EPISODES[1].title, 'episode 2');
    await page.locator('[data-testid="speaker"]').first().waitFor();
    for (const l of await read()) assert.equal(l.color, byName.get(l.name), `${l.name} in episode 2`);
    await suite.ctx.context.close();
    suite.ctx = null;
  }
});

test('chapter titles are headings before the first line at or after each chapter start', async () => {
  const { page } = await suite.open();
  await openDemoEpisode(page);
  const placed = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="transcript-chapter"]')].map((h) => {
      let next = h.nextElementSibling;
      while (next && !next.querySelector('[data-testid="transcript-segment"]')) next = next.nextElementSibling;
      const seg = next?.querySelector('[data-testid="transcript-segment"]');
      return { tag: h.tagName, start: Number(h.dataset.start), title: h.textContent, next: seg ? Number(seg.dataset.start) : null };
    }),
  );
  assert.equal(placed.length, demo.chapters.length);
  placed.forEach((p, k) => {
    const ch = demo.chapters[k];
    assert.equal(p.tag, 'H3');
    assert.equal(p.start, ch.start);
    assert.match(p.title, new RegExp(ch.title));
    const first = demo.segments.find((s) => s.start >= ch.start);
    assert.equal(p.next, first.start, `"${ch.title}" before the line at ${first.start}`);
  });
});

test('copy a quote: per line and from a selection, with a "Copied" toast', async () => {
  const { page } = await suite.open();
  await openDemoEpisode(page);
  await pause(page);
  await mockClipboard(page);
  const line = page.locator('.scroller .row').nth(2);
  await line.hover();
  await line.locator('[data-testid="transcript-copy"]').click();
  await eventually(() => page.evaluate(() => window.__copied.length === 1), 'copied');
  const s2 = demo.segments[2];
  assert.equal(
    (await page.evaluate(() => window.__copied))[0],
    `“${s2.text}” — ${s2.speaker}, ${EPISODES[0].title} (${PODCASTS[0].title}) at 0:11`,
  );
  await page.locator('[data-testid="transcript-copied"]').waitFor();
  assert.match(await page.locator('[data-testid="transcript-copied"]').innerText(), /Copied/);

  // Select lines 3 and 4 (across a speaker label and the time stamps): only their text is quoted.
  await page.evaluate(() => {
    const texts = document.querySelectorAll('[data-testid="transcript-segment"] .text');
    const r = document.createRange();
    r.setStartBefore(texts[3].firstChild);
    r.setEndAfter(texts[4].lastChild);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
  });
  await page.locator('[data-testid="transcript-copy-selection"]').click();
  await eventually(() => page.evaluate(() => window.__copied.length === 2), 'copied the selection');
  const [s3, s4] = [demo.segments[3], demo.segments[4]];
  assert.equal(
    (await page.evaluate(() => window.__copied))[1],
    `“${s3.text} ${s4.text}” — ${s3.speaker}, ${EPISODES[0].title} (${PODCASTS[0].title}) at 0:16`,
  );
  // Selecting text is not a click on the line: no seek.
  assert.equal((await fakeArgs(page, 'player_seek')).length, 0);
});

test('estimated times show as "≈ m:ss" with a tooltip, and the source is named', async () => {
  const { page } = await suite.open();
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"][data-episode-id="2"]').click();
  await page.locator(SEG).first().waitFor();
  const times = await page.locator('[data-testid="transcript-time"]').evaluateAll((els) =>
    els.map((e) => ({ text: e.textContent, est: e.dataset.estimated, title: e.title })),
  );
  assert.equal(times.length, DETAILS[2].segments.length);
  assert.equal(times[1].text, '≈ 20:00');
  for (const t of times) {
    assert.equal(t.est, 'true');
    assert.match(t.title, /estimate/i);
    assert.match(t.text, /^≈ /);
  }
  assert.equal(await page.locator(`${SEG}[data-estimated="true"]`).count(), DETAILS[2].segments.length);
  assert.match(await page.locator('[data-testid="transcript-estimated"]').getAttribute('title'), /until the audio is aligned/);
  assert.equal(await page.locator('[data-testid="transcript-from"]').innerText(), 'From the feed');
  // Timed lines (episode 1) have no ≈.
  await page.getByRole('button', { name: 'The Earshot Demo' }).first().click();
  await page.locator('[data-testid="episode"][data-episode-id="1"]').click();
  await eventually(async () => (await page.locator('[data-testid="transcript-time"]').first().innerText()) === '0:00', 'timed');
  assert.equal(await page.locator('[data-testid="transcript-time"][data-estimated]').count(), 0);
  assert.equal(await page.locator('[data-testid="transcript-from"]').innerText(), 'Demo transcript');
});

test('a 5,000-line transcript: few rows in the DOM, follow deep into it, find beyond the rendered rows', async () => {
  const { page } = await suite.open({ fake: { transcript: 'long' } });
  await openDemoEpisode(page, 2);
  await pause(page);
  const rows = () => page.locator(SEG).count();
  const n0 = await rows();
  console.log(`# 5,000-line transcript: ${n0} lines in the DOM`);
  assert.ok(n0 > 5 && n0 < 150, `${n0} rows rendered`);
  assert.equal(await page.locator('.scroller').getAttribute('data-virtual'), 'true');

  // Deep into the episode: the line at the position is highlighted and in view.
  for (const t of [9000.5, 2400.3, 10750]) {
    await page.evaluate((p) => window.__fake.jump(p), t);
    await eventually(async () => {
      const s = await readState(page);
      return s.count === 1 && s.start <= t && t < s.end;
    }, `line at ${t}`);
    await eventually(() => activeInView(page), `line at ${t} in view`);
    const n = await rows();
    assert.ok(n < 150, `${n} rows rendered at ${t}`);
  }

  // How long the highlight takes to move (information only): a position event to the DOM.
  const timings = [];
  for (let k = 0; k < 8; k++) {
    const t = 10500 + k * 13.1;
    const ms = await page.evaluate(async (p) => {
      const t0 = performance.now();
      window.__fake.emitPosition(p, false);
      return await new Promise((resolve) => {
        const done = () => {
          const el = document.querySelector('[data-testid="transcript-segment"][aria-current="true"]');
          if (el && Number(el.dataset.start) <= p && p < Number(el.dataset.end)) {
            obs.disconnect();
            resolve(performance.now() - t0);
            return true;
          }
          return false;
        };
        const obs = new MutationObserver(done);
        obs.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-current'] });
        if (!done()) setTimeout(() => resolve(-1), 3000);
      });
    }, t);
    timings.push(ms);
  }
  console.log(`# highlight update (position event → aria-current moved), 5,000 lines: ${timings.map((m) => m.toFixed(1)).join(', ')} ms`);

  // Playing deep in the episode: the highlight keeps up and stays in view.
  await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  for (let k = 0; k < 6; k++) {
    await sleep(400);
    const s = await readState(page);
    if (s.count === 1) assert.ok(s.start <= s.pos + 0.1 && s.pos < s.end + 0.1, `line ${s.start}–${s.end} at ${s.pos}`);
  }
  await eventually(() => activeInView(page), 'highlight in view while playing');
  await pause(page);

  // Find reaches lines that are not in the DOM, and scrolls to them.
  await page.locator('[data-testid="transcript-find"]').fill(LONG_FIND.query);
  const count = page.locator('[data-testid="transcript-find-count"]');
  await eventually(async () => (await count.innerText()) === `1 of ${LONG_FIND.at.length}`, 'three spellings found');
  const currentRow = () =>
    page.evaluate(() => {
      const m = document.querySelector('.scroller mark[data-current="true"]');
      if (!m) return null;
      const sc = m.closest('.scroller').getBoundingClientRect();
      const b = m.getBoundingClientRect();
      return { index: Number(m.closest('.row').dataset.index), text: m.textContent, inView: b.top >= sc.top && b.bottom <= sc.bottom };
    });
  for (let k = 0; k < LONG_FIND.at.length; k++) {
    if (k > 0) await page.locator('[data-testid="transcript-find-next"]').click();
    await eventually(async () => (await count.innerText()) === `${k + 1} of ${LONG_FIND.at.length}`, `match ${k + 1}`);
    const r = await eventually(async () => {
      const c = await currentRow();
      return c?.index === LONG_FIND.at[k] && c.inView ? c : null;
    }, `match ${k + 1} (line ${LONG_FIND.at[k]}) scrolled into view`);
    assert.equal(r.text, LONG_FIND.spellings[k]);
    assert.ok((await rows()) < 150);
  }
  // Back to now: the highlighted line again (far from the last match).
  await page.locator('[data-testid="transcript-follow"]').click();
  await eventually(() => activeInView(page), 'back to the highlighted line');
  assert.ok(LONG_COUNT === 5000);
});

test('open a transcript file for an episode without one; a broken file is reported', async () => {
  const { page } = await suite.open();
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator('[data-testid="episode"][data-episode-id="3"]').click();
  await eventually(async () => (await page.locator('h1').innerText()) === EPISODES[2].title, 'episode 3');
  await page.getByText('No transcript for this episode.').waitFor();
  await page.getByRole('button', { name: 'Open transcript…' }).waitFor();
  const input = page.locator('[data-testid="transcript-open"]');
  assert.equal(await input.getAttribute('accept'), '.vtt,.srt,.json,.txt,.html');

  // Garbage: the backend's message is shown, nothing changes.
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some notes') });
  await page.locator('[role="alert"]').waitFor();
  assert.match(await page.locator('[role="alert"]').innerText(), /Could not open notes\.txt: .*not a transcript/);
  assert.equal(await page.locator(SEG).count(), 0);
  await page.locator('[data-testid="dismiss-error"]').click();

  const vtt = [
    'WEBVTT',
    '',
    '00:00:01.000 --> 00:00:04.500',
    '<v Pilot>Testing, testing, one two three.',
    '',
    '00:04.500 --> 00:09.000',
    '<v Tower>Loud and <i>clear</i>.',
    '',
  ].join('\n');
  await input.setInputFiles({ name: 'pilot.vtt', mimeType: 'text/vtt', buffer: Buffer.from(vtt) });
  await eventually(async () => (await page.locator(SEG).count()) === 2, 'two lines');
  const args = await fakeArgs(page, 'transcript_import');
  assert.deepEqual(args, [
    { episodeId: 3, name: 'notes.txt', text: 'just some notes' },
    { episodeId: 3, name: 'pilot.vtt', text: vtt },
  ]);
  assert.match(await page.locator(SEG).nth(1).innerText(), /Loud and clear\./);
  assert.deepEqual(await page.locator('[data-testid="speaker"]').allInnerTexts().then((t) => t.map((x) => x.toLowerCase())), ['pilot', 'tower']);
  assert.equal(await page.locator('[data-testid="transcript-from"]').innerText(), 'From a file you opened');
  // It sticks: the episode's detail now has it.
  await page.getByRole('button', { name: 'The Earshot Demo' }).first().click();
  await page.locator('[data-testid="episode"][data-episode-id="3"]').click();
  await eventually(async () => (await page.locator(SEG).count()) === 2, 'still two lines');
});

test('screenshots: the transcript reading along (light and dark)', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, context } = await suite.open({ colorScheme });
    await openDemoEpisode(page);
    await pause(page);
    await page.locator(SEG).nth(13).click();
    await eventually(async () => (await readState(page)).start === demo.segments[13].start, 'line 13');
    // Only a picture: place the clock mid-line (the fake's own seek reply may land after it,
    // which changes nothing worth failing over).
    await page.evaluate((p) => window.__fake.emitPosition(p, false), 84.6);
    await sleep(200);
    await page.locator('[data-testid="transcript-find"]').fill('chapter');
    await page.locator('[data-testid="transcript-find-next"]').click();
    await page.locator('[data-testid="transcript-follow"]').click();
    await page.mouse.move(0, 400);
    await sleep(600);
    await page.screenshot({ path: artifactPath(colorScheme === 'dark' ? 'ui-transcript-dark.png' : 'ui-transcript.png') });
    await context.close();
    suite.ctx = null;
  }
});

/** Contrast ratio of two computed `rgb(...)` colours. */
function contrast(a, b) {
  const lum = (rgb) => {
    const [r, g, bl] = rgb.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
