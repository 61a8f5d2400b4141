import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DETAILS } from './support/fixture.js';
import {
  browserSuite,
  eventually,
  fakeArgs,
  openDemoEpisode,
  seconds,
  sleep,
} from './support/harness.mjs';

const detail = DETAILS[1];

const suite = browserSuite();
let ctx;

const label = (page) => page.locator('[data-testid="play-pause"]').getAttribute('aria-label');

/** Index of the element carrying aria-current="true" among `selector`, or -1. */
const currentIndex = (page, selector) =>
  page.locator(selector).evaluateAll((els) => els.findIndex((e) => e.getAttribute('aria-current') === 'true'));

async function pause(page) {
  if ((await label(page)) === 'Pause') await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await label(page)) === 'Play', 'paused');
}

test('position advances while playing, in step with the backend', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  const read = () =>
    page.evaluate(() => ({
      pos: Number(document.querySelector('[data-testid="position"]').getAttribute('data-seconds')),
      now: performance.now(),
    }));
  const a = await read();
  await sleep(1200);
  const b = await read();
  const rate = (b.pos - a.pos) / ((b.now - a.now) / 1000);
  assert.ok(rate > 0.85 && rate < 1.15, `position moves at real time (rate ${rate.toFixed(3)})`);
  const fakePos = await page.evaluate(() => window.__fake.position());
  assert.ok(Math.abs((await seconds(page)) - fakePos) < 0.5, 'UI position tracks the backend');
  // the text agrees with data-seconds
  const text = await page.locator('[data-testid="position"]').innerText();
  assert.match(text, /^0:0\d$/);
  // the seek bar follows too
  const seek = Number(await page.locator('[data-testid="seek"]').inputValue());
  assert.ok(Math.abs(seek - (await seconds(page))) < 0.5, `seek bar ${seek}`);
});

test('between position events the position is interpolated smoothly', async () => {
  // The fake emits a position event only once per second.
  ctx = await suite.open({ fake: { tickMs: 1000 } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  // The clock holds still until the backend says audio flows (first position event).
  await eventually(async () => (await seconds(page)) > 0.5, 'first position event');
  const samples = [];
  for (let i = 0; i < 10; i++) {
    samples.push(await seconds(page));
    await sleep(90);
  }
  const distinct = new Set(samples).size;
  assert.ok(distinct >= 7, `expected a smoothly moving clock, got ${samples.join(', ')}`);
  for (let i = 1; i < samples.length; i++) assert.ok(samples[i] >= samples[i - 1] - 0.05, 'monotonic');
});

test('the clock holds still until the output starts taking audio', async () => {
  // A real device can take a second to start; the UI must not run ahead and jump back.
  ctx = await suite.open({ fake: { tickMs: 100, startupMs: 900 } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'the button says Pause at once');
  const early = [];
  for (let i = 0; i < 5; i++) {
    early.push(await seconds(page));
    await sleep(80);
  }
  assert.ok(early.every((s) => s === early[0]), `held still during start-up: ${early.join(', ')}`);
  await eventually(async () => (await seconds(page)) > early[0] + 0.3, 'moving once audio flows');
});

test('a load reply that arrives after the state events does not undo them', async () => {
  ctx = await suite.open({ fake: { loadReplyDelayMs: 150 } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await sleep(400);
  assert.equal(await label(page), 'Pause', 'still playing after the late reply');
  await eventually(async () => (await seconds(page)) > 0.3, 'the clock runs');
});

test('pausing stops the clock; Space toggles play/pause', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');

  await page.keyboard.press('Space');
  await eventually(async () => (await label(page)) === 'Play', 'Play label after Space');
  const a = await seconds(page);
  await sleep(500);
  assert.equal(await seconds(page), a, 'clock stopped while paused');

  await page.keyboard.press('Space');
  await eventually(async () => (await label(page)) === 'Pause', 'Pause label after second Space');
  await eventually(async () => (await seconds(page)) > a + 0.2, 'clock running again');
  assert.equal((await fakeArgs(page, 'player_toggle')).length, 2);
});

test('Space after clicking a chapter toggles playback instead of re-clicking it', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await page.locator('[data-testid="chapter"]').nth(2).click();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).length === 1, 'seek');
  await page.keyboard.press('Space');
  await eventually(async () => (await fakeArgs(page, 'player_toggle')).length === 1, 'toggle');
  await sleep(150);
  assert.equal((await fakeArgs(page, 'player_seek')).length, 1, 'no second seek');
});

test('Space inside the seek bar does not toggle', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await page.locator('[data-testid="seek"]').focus();
  await page.keyboard.press('Space');
  await sleep(200);
  assert.equal((await fakeArgs(page, 'player_toggle')).length, 0);
});

test('arrow keys skip -15 / +30 seconds', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await pause(page);
  await page.keyboard.press('ArrowRight');
  await eventually(async () => (await fakeArgs(page, 'player_skip')).length === 1, 'skip +30');
  const p1 = await seconds(page);
  await page.keyboard.press('ArrowLeft');
  await eventually(async () => (await fakeArgs(page, 'player_skip')).length === 2, 'skip -15');
  assert.deepEqual(await fakeArgs(page, 'player_skip'), [{ delta: 30 }, { delta: -15 }]);
  await eventually(async () => Math.abs((await seconds(page)) - (p1 - 15)) < 0.3, 'position moved back 15 s');
  assert.ok(p1 >= 30 && p1 < 32, `after +30: ${p1}`);
  // and the on-screen buttons do the same
  await page.locator('[data-testid="skip-forward"]').click();
  await page.locator('[data-testid="skip-back"]').click();
  await eventually(async () => (await fakeArgs(page, 'player_skip')).length === 4, 'button skips');
  assert.deepEqual((await fakeArgs(page, 'player_skip')).slice(2), [{ delta: 30 }, { delta: -15 }]);
});

test('clicking a chapter seeks to its start and the highlight follows', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await pause(page);
  assert.equal(await currentIndex(page, '[data-testid="chapter"]'), 0);

  for (const i of [2, 1, 3]) {
    const ch = page.locator('[data-testid="chapter"]').nth(i);
    await ch.click();
    const start = detail.chapters[i].start;
    await eventually(async () => (await fakeArgs(page, 'player_seek')).at(-1)?.seconds === start, `seek to ${start}`);
    await eventually(async () => (await currentIndex(page, '[data-testid="chapter"]')) === i, `chapter ${i} current`);
    assert.equal(await ch.getAttribute('aria-current'), 'true');
    const others = await page
      .locator('[data-testid="chapter"]')
      .evaluateAll((els) => els.filter((e) => e.getAttribute('aria-current') === 'true').length);
    assert.equal(others, 1, 'exactly one current chapter');
    assert.equal(await page.locator('[data-testid="current-chapter"]').innerText(), detail.chapters[i].title);
    assert.ok(Math.abs((await seconds(page)) - start) < 0.3);
  }
});

test('the active cue contains the position and is scrolled into view', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);

  const check = async () => {
    const t = await seconds(page);
    const active = page.locator('[data-testid="transcript-segment"][aria-current="true"]');
    if ((await active.count()) !== 1) return false;
    const s = Number(await active.getAttribute('data-start'));
    const e = Number(await active.getAttribute('data-end'));
    return s <= t + 0.15 && t < e + 0.15;
  };
  await eventually(check, 'active cue contains position (start)');

  // Jump near the end via the last chapter: the cue far down must scroll into view.
  await page.locator('[data-testid="chapter"]').nth(3).click();
  await eventually(check, 'active cue contains position (after jump)');
  const inView = () =>
    page.evaluate(() => {
      const el = document.querySelector('[data-testid="transcript-segment"][aria-current="true"]');
      const sc = el?.closest('.scroller');
      if (!el || !sc) return false;
      const a = sc.getBoundingClientRect();
      const b = el.getBoundingClientRect();
      return b.top >= a.top - 1 && b.bottom <= a.bottom + 1;
    });
  await eventually(inView, 'active cue visible in the transcript panel', 4000);
  const scrolled = await page.evaluate(() => document.querySelector('.scroller').scrollTop);
  assert.ok(scrolled > 100, `transcript scrolled (${scrolled}px)`);

  // Exactly one active cue, and it is the one whose [start, end) holds the position.
  await pause(page);
  const t = await seconds(page);
  const expected = detail.segments.findIndex((s) => s.start <= t && t < s.end);
  assert.equal(await currentIndex(page, '[data-testid="transcript-segment"]'), expected);
});

test('the transcript does not scroll while the active cue is visible', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  // cue 1 → cue 2 at 5.2 s / 11 s: both are near the top and visible.
  await page.locator('[data-testid="transcript-segment"]').nth(1).click();
  await eventually(async () => (await currentIndex(page, '[data-testid="transcript-segment"]')) === 1, 'cue 1 active');
  const before = await page.evaluate(() => document.querySelector('.scroller').scrollTop);
  await eventually(async () => (await currentIndex(page, '[data-testid="transcript-segment"]')) === 2, 'cue 2 active', 8000);
  await sleep(300);
  assert.equal(await page.evaluate(() => document.querySelector('.scroller').scrollTop), before);
});

test('clicking a cue seeks to its start', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await pause(page);
  const cue = page.locator('[data-testid="transcript-segment"]').nth(12);
  await cue.scrollIntoViewIfNeeded();
  await cue.click();
  await eventually(
    async () => (await fakeArgs(page, 'player_seek')).at(-1)?.seconds === detail.segments[12].start,
    'seek to cue start',
  );
  await eventually(async () => (await cue.getAttribute('aria-current')) === 'true', 'clicked cue active');
  assert.equal(await page.locator('[data-testid="current-chapter"]').innerText(), 'How chapters work');
});

test('dragging the seek bar commits player_seek on change', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await pause(page);
  const seek = page.locator('[data-testid="seek"]');
  assert.equal(await seek.getAttribute('step'), '0.1');
  assert.equal(Number(await seek.getAttribute('max')), 132);

  // A real pointer drag across the bar: the value follows the pointer, not the clock.
  const box = await seek.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 8, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
  const during = Number(await seek.inputValue());
  assert.ok(during > 60, `thumb follows the drag (${during})`);
  assert.equal((await fakeArgs(page, 'player_seek')).length, 0, 'no seek until released');
  await page.mouse.up();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).length === 1, 'seek on release');
  const target = (await fakeArgs(page, 'player_seek'))[0].seconds;
  assert.ok(Math.abs(target - during) < 3, `seeked to ${target}`);
  await eventually(async () => Math.abs((await seconds(page)) - target) < 0.2, 'position at target');
  const chapter = detail.chapters.findLast((c) => c.start <= target);
  assert.equal(await page.locator('[data-testid="current-chapter"]').innerText(), chapter.title);

  // keyboard on the focused range seeks too (and does not trigger the global skip)
  await seek.focus();
  await page.keyboard.press('ArrowRight');
  await eventually(async () => (await fakeArgs(page, 'player_seek')).length === 2, 'keyboard seek');
  assert.equal((await fakeArgs(page, 'player_skip')).length, 0);
});

test('while dragging during playback the thumb stays with the pointer', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  const seek = page.locator('[data-testid="seek"]');
  const box = await seek.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 8, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
  const v1 = Number(await seek.inputValue());
  await sleep(700); // several position events and frames go by
  const v2 = Number(await seek.inputValue());
  assert.equal(v2, v1, 'thumb not moved by playback while held');
  // the clock itself keeps running underneath
  assert.ok((await seconds(page)) > 0.5);
  await page.mouse.up();
  await eventually(async () => (await fakeArgs(page, 'player_seek')).length === 1, 'seek on release');
  await eventually(async () => Math.abs(Number(await seek.inputValue()) - v1) < 1.5, 'thumb continues from target');
});

test('in a gap between cues no cue is active, the chapter still is', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await pause(page);
  await page.evaluate(() => window.__fake.jump(61.7)); // cues end at 61.5 and start again at 62
  await eventually(async () => Math.abs((await seconds(page)) - 61.7) < 0.01, 'position 61.7');
  await eventually(async () => (await currentIndex(page, '[data-testid="transcript-segment"]')) === -1, 'no active cue');
  assert.equal(await currentIndex(page, '[data-testid="chapter"]'), 1);
  await page.evaluate(() => window.__fake.jump(62));
  await eventually(async () => (await currentIndex(page, '[data-testid="transcript-segment"]')) === 10, 'cue 10 at 62 s');
  assert.equal(await currentIndex(page, '[data-testid="chapter"]'), 2);
});

test('on start-up an already loaded episode is shown where it was left', async () => {
  ctx = await suite.open({ fake: { preload: { episodeId: 2 } } });
  const { page } = ctx;
  await eventually(async () => (await seconds(page)) === 1210, 'restored position 1210');
  assert.equal(await label(page), 'Play');
  assert.equal(await page.locator('[data-testid="position"]').innerText(), '20:10');
  assert.equal(await page.locator('[data-testid="duration"]').innerText(), '1:02:05');
  await eventually(async () => (await page.locator('[data-testid="current-chapter"]').innerText()) === 'The long middle', 'chapter');
  assert.equal((await fakeArgs(page, 'player_load')).length, 0, 'no reload on start-up');
  // play resumes from there
  await page.locator('[data-testid="play-pause"]').click();
  await eventually(async () => (await seconds(page)) > 1210.3, 'playing on from 1210');
});

/** Rate (seconds of audio per second) at which the shown clock moves, measured in the page. */
async function clockRate(page, ms = 800) {
  const read = () =>
    page.evaluate(() => ({
      pos: Number(document.querySelector('[data-testid="position"]').getAttribute('data-seconds')),
      now: performance.now(),
    }));
  const a = await read();
  await sleep(ms);
  const b = await read();
  return (b.pos - a.pos) / ((b.now - a.now) / 1000);
}

test('the speed control sets the speed and shows what the backend applied', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  const speed = page.locator('[data-testid="speed"]');
  assert.equal(await speed.inputValue(), '1');
  assert.equal(await page.getByLabel('Playback speed').getAttribute('data-testid'), 'speed');
  const options = await speed.locator('option').evaluateAll((els) => els.map((e) => e.value));
  assert.equal(options.length, 26);
  assert.equal(options[0], '0.5');
  assert.equal(options.at(-1), '3');
  assert.ok(options.includes('1.5') && options.includes('2.3'));
  assert.match(await speed.locator('option:checked').innerText(), /^1×$/);

  // keyboard reachable: focus it and pick with the keyboard
  await speed.focus();
  await speed.selectOption('1.5');
  await eventually(async () => (await fakeArgs(page, 'player_set_speed')).length === 1, 'player_set_speed');
  assert.deepEqual((await fakeArgs(page, 'player_set_speed'))[0], { speed: 1.5 });
  assert.equal(await speed.inputValue(), '1.5');
  assert.match(await speed.locator('option:checked').innerText(), /^1\.5×$/);
  assert.equal(await page.evaluate(() => window.__fake.speed), 1.5);
  // Space / arrows in the select do not drive the player
  await page.keyboard.press('Space');
  assert.equal((await fakeArgs(page, 'player_toggle')).length, 0);
});

test('the clock advances at the speed of the position events', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  // From here on the UI hears only the position events the test sends.
  await page.evaluate(() => window.__fake.setEvents(false));
  await page.evaluate(() => window.__fake.emitPosition(10, true, 1.5));
  await eventually(async () => (await seconds(page)) >= 10, 'anchored at 10 s');
  const fast = await clockRate(page);
  assert.ok(Math.abs(fast - 1.5) < 0.12, `1.5× rate: ${fast.toFixed(3)}`);

  await page.evaluate(() => window.__fake.emitPosition(40, true, 0.5));
  await eventually(async () => (await seconds(page)) >= 40 && (await seconds(page)) < 41, 'anchored at 40 s');
  const slow = await clockRate(page);
  assert.ok(Math.abs(slow - 0.5) < 0.08, `0.5× rate: ${slow.toFixed(3)}`);

  // not flowing: the clock holds still whatever the speed
  await page.evaluate(() => window.__fake.emitPosition(50, false, 2));
  await eventually(async () => (await seconds(page)) === 50, 'at 50 s');
  assert.equal(await clockRate(page, 300), 0);
});

test('at 1.5× the clock tracks the backend, which plays 1.5× faster too', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await label(page)) === 'Pause', 'playing');
  await page.locator('[data-testid="speed"]').selectOption('1.5');
  await eventually(async () => (await page.evaluate(() => window.__fake.speed)) === 1.5, 'backend at 1.5×');
  await sleep(300);
  const rate = await clockRate(page, 1000);
  assert.ok(Math.abs(rate - 1.5) < 0.15, `rate ${rate.toFixed(3)}`);
  const fakePos = await page.evaluate(() => window.__fake.position());
  assert.ok(Math.abs((await seconds(page)) - fakePos) < 0.5, 'UI position tracks the backend');
});

test('an episode loads at its podcast’s speed (the default speed from the settings)', async () => {
  ctx = await suite.open({ fake: { settings: { defaultSpeed: 1.2 } } });
  const { page } = ctx;
  await openDemoEpisode(page);
  await eventually(async () => (await page.locator('[data-testid="speed"]').inputValue()) === '1.2', 'speed 1.2 shown');
});

test('the volume slider sets the volume', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await openDemoEpisode(page);
  const vol = page.locator('[data-testid="volume"]');
  assert.equal(await vol.getAttribute('type'), 'range');
  assert.equal(await vol.getAttribute('aria-label'), 'Volume');
  assert.equal(await vol.getAttribute('min'), '0');
  assert.equal(await vol.getAttribute('max'), '1');
  assert.equal(Number(await vol.inputValue()), 1);
  await vol.fill('0.4');
  await eventually(async () => (await page.evaluate(() => window.__fake.volume)) === 0.4, 'backend volume 0.4');
  assert.deepEqual((await fakeArgs(page, 'player_set_volume')).at(-1), { volume: 0.4 });
  // keyboard on the slider changes the volume, not the position
  await vol.focus();
  await page.keyboard.press('ArrowLeft');
  await eventually(async () => (await page.evaluate(() => window.__fake.volume)) < 0.4, 'volume down');
  assert.equal((await fakeArgs(page, 'player_skip')).length, 0);
  // mute and back
  await page.locator('[data-testid="mute"]').click();
  await eventually(async () => (await page.evaluate(() => window.__fake.volume)) === 0, 'muted');
  assert.equal(Number(await vol.inputValue()), 0);
  await page.locator('[data-testid="mute"]').click();
  await eventually(async () => (await page.evaluate(() => window.__fake.volume)) > 0.3, 'unmuted');
});
