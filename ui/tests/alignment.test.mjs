// Aligning a transcript to the audio (issue 8): progress with Cancel while the backend works,
// a failure's sentence with Retry, the transcript reloaded when the job is done (the estimated
// note then says the times come from the audio), and the note after drift correction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DETAILS } from './support/fixture.js';
import { artifactPath, browserSuite, eventually, fakeArgs, openDemoEpisode } from './support/harness.mjs';

const suite = browserSuite();
const STATUS = '[data-testid="alignment-status"]';
const BAR = '[data-testid="alignment-progress"]';

/** Episode 2's transcript is untimed (every start an estimate). */
const UNTIMED = 2;

test('while aligning: the share done, a progress bar and Cancel; cancelling says so and keeps the estimates', async () => {
  const { page } = await suite.open({ fake: { alignment: { [UNTIMED]: { state: 'queued' } } } });
  await openDemoEpisode(page, UNTIMED);
  const status = page.locator(STATUS);
  await status.waitFor();
  assert.equal(await status.getAttribute('data-state'), 'queued');
  assert.equal(await status.getAttribute('role'), 'status');

  await page.evaluate((id) => window.__fake.emitAlignment(id, { state: 'running', progress: 0.42 }), UNTIMED);
  await eventually(async () => (await page.locator(BAR).getAttribute('aria-valuenow')) === '42', 'progress 42');
  assert.match(await status.innerText(), /Aligning transcript to the audio… 42 %/);
  const bar = page.locator(BAR);
  assert.equal(await bar.getAttribute('role'), 'progressbar');
  assert.equal(await bar.getAttribute('aria-valuemax'), '100');
  const fill = await page.locator(`${BAR} .align-fill`).evaluate((el) => el.style.width);
  assert.equal(fill, '42%');
  await page.screenshot({ path: artifactPath('alignment-running.png') });

  await page.locator('[data-testid="alignment-cancel"]').click();
  await eventually(async () => (await status.getAttribute('data-state')) === 'cancelled', 'cancelled');
  assert.deepEqual(await fakeArgs(page, 'transcript_align_cancel'), [{ episodeId: UNTIMED }]);
  assert.match(await status.innerText(), /cancelled/i);
  assert.equal(await page.locator('[data-testid="alignment-cancel"]').count(), 0);
  // The estimates stay, marked as such.
  assert.equal(await page.locator('[data-testid="transcript-estimated"]').innerText(), '≈ Estimated times');
  assert.equal(
    await page.locator('[data-testid="transcript-segment"][data-estimated="true"]').count(),
    DETAILS[UNTIMED].segments.length,
  );
  // And it can be started again.
  await page.locator('[data-testid="alignment-retry"]').click();
  await eventually(async () => (await status.getAttribute('data-state')) === 'queued', 'queued again');
  assert.deepEqual(await fakeArgs(page, 'transcript_align'), [{ episodeId: UNTIMED }]);
});

test('a failed alignment shows its sentence and Retry starts it again', async () => {
  const error =
    'Could not line the transcript up with the audio: the file is damaged. Delete the download and download it again, then retry.';
  const { page } = await suite.open({ fake: { alignment: { [UNTIMED]: { state: 'failed', error } } } });
  await openDemoEpisode(page, UNTIMED);
  const status = page.locator(STATUS);
  await status.waitFor();
  assert.equal(await status.getAttribute('data-state'), 'failed');
  assert.ok((await status.innerText()).includes(error));
  assert.equal(await page.locator(BAR).count(), 0);
  await page.screenshot({ path: artifactPath('alignment-failed.png') });

  await page.locator('[data-testid="alignment-retry"]').click();
  await eventually(async () => (await status.getAttribute('data-state')) === 'queued', 'queued');
  assert.deepEqual(await fakeArgs(page, 'transcript_align'), [{ episodeId: UNTIMED }]);
  await page.evaluate((id) => window.__fake.emitAlignment(id, { state: 'running', progress: 0.1 }), UNTIMED);
  await eventually(async () => (await page.locator(BAR).getAttribute('aria-valuenow')) === '10', 'running');
});

test('when the job is done the transcript reloads with the times from the audio', async () => {
  const { page } = await suite.open({ fake: { alignment: { [UNTIMED]: { state: 'running', progress: 0.9 } } } });
  await openDemoEpisode(page, UNTIMED);
  await page.locator(STATUS).waitFor();
  const aligned = DETAILS[UNTIMED].segments.map((s, i) => ({ ...s, start: s.start + 1.5 + i, estimated: false }));
  for (let i = 0; i < aligned.length; i++) aligned[i].end = aligned[i + 1]?.start ?? aligned[i].start + 5;
  await page.evaluate(([id, segs]) => window.__fake.finishAlignment(id, segs), [UNTIMED, aligned]);

  await eventually(async () => (await page.locator(STATUS).count()) === 0, 'status gone');
  await eventually(
    async () =>
      Number(await page.locator('[data-testid="transcript-segment"]').first().getAttribute('data-start')) ===
      aligned[0].start,
    'segments reloaded',
  );
  assert.equal(await page.locator('[data-testid="transcript-segment"][data-estimated="true"]').count(), 0);
  const note = page.locator('[data-testid="transcript-estimated"]');
  assert.equal(await note.getAttribute('data-aligned'), 'true');
  assert.match(await note.innerText(), /from the audio/);
  assert.match(await note.getAttribute('title'), /aligning the text to this audio file/);
  assert.equal(await page.locator('[data-testid="drift-note"]').count(), 0);
});

test('drift corrected for this copy: a note names the ad and where it is', async () => {
  const { page } = await suite.open({
    fake: {
      alignment: {
        1: { kind: 'drift', state: 'done', progress: 1, shifts: [{ from: 724, offset: 27.2 }], chaptersShifted: true },
      },
    },
  });
  await openDemoEpisode(page, 1);
  const note = page.locator('[data-testid="drift-note"]');
  await note.waitFor();
  assert.equal(await note.innerText(), 'Times corrected for this copy (ad of 27 s at 12:04); chapters moved with them');
  assert.equal(await page.locator(STATUS).count(), 0);

  // A second shift (the ad removed again later) reads as a missing stretch.
  await page.evaluate(() =>
    window.__fake.finishAlignment(1, null, {
      kind: 'drift',
      shifts: [
        { from: 60, offset: 30 },
        { from: 100, offset: 10 },
      ],
      chaptersShifted: false,
    }),
  );
  await eventually(
    async () => (await note.innerText()) === 'Times corrected for this copy (ad of 30 s at 1:00, 20 s missing at 2:10)',
    'two shifts',
  );
});
