// End to end: transcripts without timings read along in step in the real window, once the app
// has aligned them to the audio in the background: the demo's untimed episode (bundled audio),
// and a generated 30-minute episode subscribed from 127.0.0.1 and downloaded, whose transcript
// is plain speaker-labelled paragraphs. The truth (where each paragraph is really spoken) comes
// from the generators.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Builder, By, until } from "selenium-webdriver";
import { pollUntil } from "./lib.mjs";

const APP = process.env.EARSHOT_APP;
const URL = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const ARTIFACTS = process.env.EARSHOT_ARTIFACTS ?? "test-artifacts";
const REPO = new globalThis.URL("../../", import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Paragraph starts within this of the truth count as in step. */
const TOLERANCE = 0.5;

async function screenshot(name) {
  await sleep(400);
  execFileSync("import", ["-window", "root", join(ARTIFACTS, name)]);
}

async function launch() {
  const d = await new Builder()
    .usingServer(URL)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: APP } })
    .build();
  await d.manage().setTimeouts({ implicit: 0, script: 10_000 });
  return d;
}

/** Everything the tests look at, read in one go. */
function readState(d) {
  return d.executeScript(() => {
    // Long transcripts are virtualized: only rows near the view exist, each with its index.
    const segs = [...document.querySelectorAll('[data-testid="transcript-segment"]')];
    const cur = document.querySelector('[data-testid="transcript-segment"][aria-current="true"]');
    const status = document.querySelector('[data-testid="alignment-status"]');
    const pos = document.querySelector('[data-testid="position"]');
    return {
      position: pos ? Number(pos.getAttribute("data-seconds")) : null,
      rows: segs.map((s) => [Number(s.getAttribute("data-index")), Number(s.getAttribute("data-start"))]),
      count: Number(document.querySelector('[role="region"][aria-label="Transcript"]')?.getAttribute("data-count") ?? -1),
      current: cur ? Number(cur.getAttribute("data-index")) : -1,
      status: status ? { state: status.getAttribute("data-state"), text: status.textContent.trim() } : null,
      aligned: !!document.querySelector('[data-testid="transcript-estimated"][data-aligned="true"]'),
      alert: [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent.trim()).join(" | "),
    };
  });
}

const waitFor = (d, what, cond, timeout = 20_000) => pollUntil(() => readState(d), what, cond, timeout);

/** Index of the paragraph truly spoken at `t` (the last one started by then). */
const spokenAt = (truth, t) => truth.paragraphs.findLastIndex((p) => p.start <= t);

/** Checks the paragraph rows on screen against the truth; returns their errors. */
function checkRows(s, truth, label) {
  const errors = s.rows.map(([i, t]) => {
    const e = Math.abs(t - truth.paragraphs[i].start);
    assert.ok(e < TOLERANCE, `${label}: paragraph ${i} at ${t} s, spoken at ${truth.paragraphs[i].start} s`);
    return e;
  });
  assert.ok(errors.length >= 5, `${label}: ${errors.length} rows on screen`);
  return errors;
}

/** Waits for the alignment to finish and checks the paragraph starts on screen. */
async function assertAligned(d, truth, label) {
  const t0 = Date.now();
  const seen = new Set();
  const s = await waitFor(
    d,
    `${label}: the aligned transcript`,
    (s) => {
      if (s.status) seen.add(s.status.state);
      return s.aligned && s.count === truth.paragraphs.length && s.rows.length > 0;
    },
    60_000,
  );
  assert.ok(!seen.has("failed"), `${label}: alignment failed`);
  console.log(`# ${label}: alignment states seen while waiting: ${[...seen].join(", ") || "(done before the first look)"}`);
  const errors = checkRows(s, truth, label).sort((a, b) => a - b);
  console.log(`# ${label}: aligned ${Date.now() - t0} ms after opening; ${errors.length} rows on screen, error median ${errors[errors.length >> 1].toFixed(3)} s, worst ${errors[errors.length - 1].toFixed(3)} s`);
}

/** Seeks with the seek bar to `t` (what a person dragging it does). */
async function seekTo(d, t) {
  await d.executeScript((t) => {
    const bar = document.querySelector('[data-testid="seek"]');
    bar.value = String(t);
    bar.dispatchEvent(new Event("input", { bubbles: true }));
    bar.dispatchEvent(new Event("change", { bubbles: true }));
  }, t);
}

/**
 * Over a few seconds of playback, the highlighted paragraph is the one being spoken (readings
 * within the tolerance of a paragraph change are skipped: the two clocks are read a moment apart).
 */
async function assertReadsAlong(d, truth, label, seconds = 3) {
  let checked = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const s = await readState(d);
    const k = spokenAt(truth, s.position);
    const near = truth.paragraphs.some((p) => Math.abs(p.start - s.position) < TOLERANCE);
    if (!near && k >= 0) {
      assert.equal(s.current, k, `${label}: at ${s.position.toFixed(2)} s paragraph ${k} is spoken, ${s.current} highlighted`);
      checked++;
    }
    await sleep(250);
  }
  assert.ok(checked >= 3, `${label}: checked the highlight ${checked} times`);
}

/**
 * Seeks into the middle of paragraph `k - 1` (the transcript follows: that row lights up),
 * then clicks paragraph `k` and checks the player lands where it is spoken.
 */
async function clickParagraph(d, truth, k, label) {
  const before = truth.paragraphs[k - 1];
  await seekTo(d, (before.start + before.end) / 2);
  const s0 = await waitFor(d, `${label}: the highlight after seeking into paragraph ${k - 1}`, (s) => s.current === k - 1);
  checkRows(s0, truth, label);
  // The virtualized list may re-render the row between finding and clicking it: retry.
  for (let attempt = 0; ; attempt++) {
    try {
      const seg = await d.findElement(By.css(`[data-testid="transcript-segment"][data-index="${k}"]`));
      await d.executeScript((el) => el.scrollIntoView({ block: "center" }), seg);
      await sleep(100);
      await (await d.findElement(By.css(`[data-testid="transcript-segment"][data-index="${k}"]`))).click();
      break;
    } catch (e) {
      if (attempt >= 5 || (e.name !== "StaleElementReferenceError" && e.name !== "NoSuchElementError")) throw e;
      await sleep(100);
    }
  }
  const want = truth.paragraphs[k].start;
  const s = await waitFor(d, `${label}: the jump to paragraph ${k}`, (s) => Math.abs(s.position - want) < TOLERANCE && s.current === k);
  console.log(`# ${label}: clicked paragraph ${k}: at ${s.position.toFixed(2)} s (spoken from ${want} s)`);
}

const DEMO_TRUTH = JSON.parse(readFileSync(join(REPO, "assets/demo/episode2.truth.json"), "utf8"));

test("the demo's untimed episode is aligned when opened and reads along in step", async () => {
  const d = await launch();
  try {
    await d.wait(until.elementLocated(By.xpath('//*[@data-testid="podcast"][contains(., "Earshot Demo")]')), 20_000);
    await d.findElement(By.xpath('//*[@data-testid="podcast"][contains(., "Earshot Demo")]')).click();
    const row = await d.wait(until.elementLocated(By.xpath('//*[@data-testid="episode"][contains(., "Reading along without timings")]')), 10_000);
    await row.click();
    await assertAligned(d, DEMO_TRUTH, "demo");
    await waitFor(d, "playback", (s) => s.position > 0.5);
    await assertReadsAlong(d, DEMO_TRUTH, "demo");
    // The paragraph with the inline time, then one near the end.
    await clickParagraph(d, DEMO_TRUTH, 8, "demo");
    await assertReadsAlong(d, DEMO_TRUTH, "demo");
    await clickParagraph(d, DEMO_TRUTH, DEMO_TRUTH.paragraphs.length - 3, "demo");
    await assertReadsAlong(d, DEMO_TRUTH, "demo");
    assert.equal((await readState(d)).alert, "", "no error shown");
    await screenshot("e2e-aligned-demo.png");
    await d.findElement(By.css('[data-testid="play-pause"]')).click();
  } finally {
    await d.quit();
  }
});

// A long generated episode (two voices, uneven pauses, jingle, noise bed, VBR MP3) with its
// untimed transcript, as a feed on 127.0.0.1.
let server, base, LONG, LONG_TRUTH, LONG_TEXT;
before(async () => {
  const dir = execFileSync("bash", [join(REPO, "scripts/make-align-episode.sh"), "30", "1"], { encoding: "utf8" }).trim().split("\n").pop();
  LONG = readFileSync(join(dir, "episode.mp3"));
  LONG_TRUTH = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8"));
  LONG_TEXT = readFileSync(join(dir, "transcript.txt"));
  server = createServer((req, res) => {
    if (req.url === "/feed.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      return res.end(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Long Talk</title><link>${base}/</link>
<description>A generated conversation.</description>
<item><title>Half an hour of talk</title><guid>long-1</guid><pubDate>${new Date(Date.UTC(2026, 9, 1)).toUTCString()}</pubDate>
<enclosure url="${base}/long.mp3" type="audio/mpeg" length="${LONG.length}"/>
<podcast:transcript url="${base}/long.txt" type="text/plain" language="en"/>
<description>Thirty minutes, transcript without timings.</description></item>
</channel></rss>\n`);
    }
    if (req.url === "/long.txt") {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      return res.end(LONG_TEXT);
    }
    if (req.url === "/long.mp3") {
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      if (!m) {
        res.writeHead(200, { "Content-Type": "audio/mpeg", "Content-Length": LONG.length, "Accept-Ranges": "bytes" });
        return res.end(LONG);
      }
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), LONG.length - 1) : LONG.length - 1;
      res.writeHead(206, { "Content-Type": "audio/mpeg", "Content-Length": end - start + 1, "Content-Range": `bytes ${start}-${end}/${LONG.length}`, "Accept-Ranges": "bytes" });
      return res.end(LONG.subarray(start, end + 1));
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server?.close());

test("a generated 30-minute episode, downloaded, is aligned in the background and reads along", async () => {
  const d = await launch();
  try {
    const input = await d.wait(until.elementLocated(By.css('[data-testid="subscribe-url"]')), 20_000);
    await input.sendKeys(`${base}/feed.xml`);
    await d.findElement(By.css('[data-testid="subscribe-submit"]')).click();
    const row = '//*[@data-testid="episode"][contains(., "Half an hour of talk")]';
    await d.wait(until.elementLocated(By.xpath(row)), 20_000);
    const button = () => d.findElement(By.xpath(`${row}/following-sibling::*//*[@data-testid="episode-download"]`));
    await (await button()).click();
    await d.wait(async () => {
      try {
        return (await (await button()).getAttribute("data-state")) === "done";
      } catch {
        return false;
      }
    }, 30_000);
    await (await d.findElement(By.xpath(row))).click();
    await assertAligned(d, LONG_TRUTH, "30 min");
    await waitFor(d, "playback", (s) => s.position > 0.5);
    const n = LONG_TRUTH.paragraphs.length;
    for (const k of [Math.floor(n * 0.4), Math.floor(n * 0.75), n - 4]) {
      await clickParagraph(d, LONG_TRUTH, k, "30 min");
      await assertReadsAlong(d, LONG_TRUTH, "30 min", 4);
    }
    assert.equal((await readState(d)).alert, "", "no error shown");
    await screenshot("e2e-aligned-long.png");
    await d.findElement(By.css('[data-testid="play-pause"]')).click();
  } finally {
    await d.quit();
  }
});
