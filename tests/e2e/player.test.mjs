// End to end, in the real Earshot window (WebKitGTK through tauri-driver), with real audio
// output on a PulseAudio null sink: play the demo episode, follow the transcript, jump by
// chapter, pause, quit, relaunch and resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Builder, By, until } from "selenium-webdriver";
import { armStartProbe, pollUntil, readStartProbe } from "./lib.mjs";

const APP = process.env.EARSHOT_APP;
const URL = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const ARTIFACTS = process.env.EARSHOT_ARTIFACTS ?? "test-artifacts";
// run.sh gives the app (through tauri-driver's environment) a fresh, private data directory.
assert.ok(process.env.EARSHOT_DATA_DIR, "run through tests/e2e/run.sh");

async function launch() {
  const caps = {
    browserName: "wry",
    "tauri:options": { application: APP },
  };
  const driver = await new Builder().usingServer(URL).withCapabilities(caps).build();
  await driver.manage().setTimeouts({ implicit: 0, script: 10_000 });
  return driver;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What the person sees: the whole X screen, after the window has painted. */
async function screenshot(name) {
  await sleep(400);
  execFileSync("import", ["-window", "root", join(ARTIFACTS, name)]);
}
const $ = (d, testid) => d.findElement(By.css(`[data-testid="${testid}"]`));

/** Position, active cue and active chapter read in one go, so they belong together. */
async function readState(d) {
  return d.executeScript(() => {
    const pos = document.querySelector('[data-testid="position"]');
    const cue = document.querySelector('[data-testid="transcript-segment"][aria-current="true"]');
    const ch = document.querySelector('[data-testid="chapter"][aria-current="true"]');
    const pp = document.querySelector('[data-testid="play-pause"]');
    return {
      position: pos ? Number(pos.getAttribute("data-seconds")) : null,
      cue: cue ? { start: Number(cue.dataset.start), end: Number(cue.dataset.end) } : null,
      chapter: ch ? Number(ch.dataset.start) : null,
      label: pp ? pp.getAttribute("aria-label") : null,
      alert: [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent.trim()).join(" | "),
      now: performance.now(),
    };
  });
}

const waitFor = (d, what, cond, timeout = 15_000) => pollUntil(() => readState(d), what, cond, timeout);

/** The highlighted cue must contain the position (retrying across the short gaps between lines). */
async function assertCueFollows(d) {
  const s = await waitFor(d, "a highlighted cue containing the position", (s) =>
    s.cue && s.cue.start - 0.15 <= s.position && s.position < s.cue.end + 0.15);
  return s;
}

test("demo episode plays, transcript follows, chapters jump, progress survives a relaunch", async () => {
  let d = await launch();
  let paused;
  try {
    await d.wait(until.elementLocated(By.css('[data-testid="podcast"]')), 20_000);
    await d.findElement(By.xpath('//*[@data-testid="podcast"][contains(., "Earshot Demo")]')).click();
    await d.wait(until.elementLocated(By.css('[data-testid="episode"]')), 10_000);
    await armStartProbe(d);
    await $(d, "episode").click();
    await d.wait(until.elementLocated(By.css('[data-testid="transcript-segment"]')), 10_000);
    const chapters = await d.findElements(By.css('[data-testid="chapter"]'));
    assert.ok(chapters.length >= 4, `demo has ≥ 4 chapters, saw ${chapters.length}`);

    // Playing: the label flips and the position starts to move (output start-up measured).
    const t0 = Date.now();
    await waitFor(d, "playback to start", (s) => s.label === "Pause" && s.position > 0.3, 20_000);
    console.log(`# first movement of the position after ${Date.now() - t0} ms (WebDriver's view); in the page, click → position moving: ${await readStartProbe(d)} ms`);

    // Real-time rate, ±10 %, measured over ~4 s of the window's own clock.
    const a = await readState(d);
    await sleep(4000);
    const b = await readState(d);
    const rate = (b.position - a.position) / ((b.now - a.now) / 1000);
    console.log(`# playback rate seen in the window: ${rate.toFixed(3)}× real time`);
    assert.ok(rate > 0.9 && rate < 1.1, `rate ${rate}`);
    await assertCueFollows(d);

    // Third chapter: position jumps to its start and the highlight follows.
    const third = Number(await chapters[2].getAttribute("data-start"));
    await chapters[2].click();
    const j = await waitFor(d, "the jump to chapter 3", (s) => Math.abs(s.position - third) < 0.5 && s.chapter === third);
    console.log(`# jumped to ${j.position.toFixed(2)} s (chapter starts at ${third} s)`);
    await sleep(1500);
    const s = await assertCueFollows(d);
    assert.ok(s.position >= third && s.position < third + 3, `still playing from the chapter: ${s.position}`);


    // Next chapter from the player bar.
    const fourth = Number(await chapters[3].getAttribute("data-start"));
    await $(d, "next-chapter").click();
    await waitFor(d, "the jump to chapter 4", (s) => Math.abs(s.position - fourth) < 0.5 && s.chapter === fourth);
    const marks = await d.findElements(By.css('[data-testid="chapter-mark"]'));
    assert.equal(marks.length, chapters.length, "a mark on the seek bar per chapter");

    await screenshot("e2e-player.png");

    // 2× with the pitch kept (the backend's time-stretch): the window's clock runs at 2×, and
    // the transcript still follows.
    await d.findElement(By.css('[data-testid="speed"] option[value="2"]')).click();
    await sleep(600);
    const a2 = await readState(d);
    await sleep(3000);
    const b2 = await readState(d);
    const rate2 = (b2.position - a2.position) / ((b2.now - a2.now) / 1000);
    console.log(`# playback rate at 2×: ${rate2.toFixed(3)}× real time`);
    assert.ok(rate2 > 1.6 && rate2 < 2.4, `rate at 2×: ${rate2}`);
    await assertCueFollows(d);
    await d.findElement(By.css('[data-testid="speed"] option[value="1"]')).click();
    await sleep(300);

    await $(d, "play-pause").click();
    const p = await waitFor(d, "pause", (s) => s.label === "Play");
    await sleep(500);
    paused = (await readState(d)).position;
    assert.ok(Math.abs(paused - p.position) < 0.3, "the position stays put while paused");
    assert.equal((await readState(d)).alert, "", "no error shown");
  } finally {
    await d.quit();
  }

  // Relaunch: the episode is back where the listener paused.
  await sleep(500);
  d = await launch();
  try {
    const s = await waitFor(d, "the restored position", (s) => s.position !== null && s.position > 0, 20_000);
    console.log(`# paused at ${paused.toFixed(2)} s, restored at ${s.position.toFixed(2)} s`);
    assert.ok(Math.abs(s.position - paused) <= 2, `restored ${s.position}, paused at ${paused}`);
    assert.equal(s.label, "Play", "restored paused, not playing");
    await sleep(500); // let the window paint before the screenshot
    await screenshot("e2e-restored.png");
  } finally {
    await d.quit();
  }
});
