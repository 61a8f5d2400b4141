// End to end: download episodes in the real window from a server on 127.0.0.1 — one slowly,
// paused and resumed half-way — see them in the downloads view, find the bytes on disk intact,
// and play a downloaded one from disk with the chapters embedded in its MP3.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Builder, By, until } from "selenium-webdriver";

const APP = process.env.EARSHOT_APP;
const URL = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const ARTIFACTS = process.env.EARSHOT_ARTIFACTS ?? "test-artifacts";
const DATA = process.env.EARSHOT_DATA_DIR;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function screenshot(name) {
  await sleep(400);
  execFileSync("import", ["-window", "root", join(ARTIFACTS, name)]);
}

const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const CHAPTERED = readFileSync(new globalThis.URL("../fixtures/chapters/chapters.mp3", import.meta.url));
const LONG = readFileSync(new globalThis.URL("../../assets/demo/episode1.mp3", import.meta.url));
const PNG = readFileSync(new globalThis.URL("../../src-tauri/icons/128x128.png", import.meta.url));
const FILES = { "/audio/chaptered.mp3": CHAPTERED, "/audio/slow.mp3": LONG };
const requests = { "/audio/chaptered.mp3": [], "/audio/slow.mp3": [] };

function feed(base) {
  const item = (n, title, path, len, extra = "") => `<item><title>${title}</title><guid>dl-${n}</guid>
<pubDate>${new Date(Date.UTC(2025, 5, n)).toUTCString()}</pubDate>
<enclosure url="${base}${path}" type="audio/mpeg" length="${len}"/>${extra}
<description>No chapters in these notes.</description></item>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Download Desk</title><link>${base}/</link>
<description>Episodes to download.</description>
${item(3, "Pictured episode", "/audio/chaptered.mp3", CHAPTERED.length, `<podcast:chapters url="${base}/chapters/pic.json" type="application/json+chapters"/>`)}
${item(2, "Chaptered episode", "/audio/chaptered.mp3", CHAPTERED.length)}
${item(1, "Slow episode", "/audio/slow.mp3", LONG.length)}
</channel></rss>\n`;
}

/** Ranged responses with an ETag; the slow file drips 32 KB every 100 ms. */
function serveAudio(req, res) {
  const path = req.url.split("?")[0];
  const body = FILES[path];
  if (!body) {
    res.writeHead(404);
    return res.end();
  }
  requests[path].push(req.headers.range ?? "");
  const headers = { "Content-Type": "audio/mpeg", "Accept-Ranges": "bytes", ETag: `"${sha256(body).slice(0, 16)}"` };
  let start = 0;
  let end = body.length - 1;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  const ifRange = req.headers["if-range"];
  if (m && (!ifRange || ifRange === headers.ETag)) {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]), end) : end;
    res.writeHead(206, { ...headers, "Content-Length": end - start + 1, "Content-Range": `bytes ${start}-${end}/${body.length}` });
  } else {
    res.writeHead(200, { ...headers, "Content-Length": body.length });
  }
  const part = body.subarray(start, end + 1);
  if (path !== "/audio/slow.mp3") return res.end(part);
  let at = 0;
  const drip = setInterval(() => {
    if (res.destroyed) return clearInterval(drip);
    res.write(part.subarray(at, at + 32 * 1024));
    at += 32 * 1024;
    if (at >= part.length) {
      clearInterval(drip);
      res.end();
    }
  }, 100);
  res.on("close", () => clearInterval(drip));
}

let server, base;
let imageRequests = 0;
before(async () => {
  server = createServer((req, res) => {
    if (req.url.startsWith("/audio/")) return serveAudio(req, res);
    if (req.url === "/chapters/pic.json") {
      res.writeHead(200, { "Content-Type": "application/json+chapters" });
      return res.end(JSON.stringify({ version: "1.2.0", chapters: [
        { startTime: 0, title: "With a picture", img: `${base}/img/pic.png` },
        { startTime: 2, title: "Without" },
      ] }));
    }
    if (req.url === "/img/pic.png") {
      imageRequests++;
      res.writeHead(200, { "Content-Type": "image/png" });
      return res.end(PNG);
    }
    if (req.url === "/dl-feed.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      return res.end(feed(base));
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

/**
 * The files of this test's episodes under the app's downloads folder: { name, sha256 } (other
 * test files share the app's data folder and download episodes of their own).
 */
function downloadedFiles() {
  const out = [];
  const walk = (dir) => {
    let entries = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/^(Chaptered|Slow|Pictured) episode/.test(e)) out.push({ name: e, sha256: sha256(readFileSync(p)) });
    }
  };
  walk(join(DATA, "downloads"));
  return out;
}

const rowOf = (title) => By.xpath(`//*[@data-testid="episode"][contains(., "${title}")]/..`);

test("download episodes, pause and resume one, and play a downloaded one from disk", async () => {
  assert.ok(DATA, "EARSHOT_DATA_DIR is set by run.sh");
  const d = await new Builder().usingServer(URL).withCapabilities({ browserName: "wry", "tauri:options": { application: APP } }).build();
  try {
    const input = await d.wait(until.elementLocated(By.css('[data-testid="subscribe-url"]')), 20_000);
    await input.sendKeys(`${base}/dl-feed.xml`);
    await d.findElement(By.css('[data-testid="subscribe-submit"]')).click();
    await d.wait(until.elementLocated(By.xpath('//*[@data-testid="episode"][contains(., "Slow episode")]')), 20_000);

    // The slow one: start, pause half-way, resume; it resumes with a Range request.
    const slowButton = () => d.findElement(By.xpath('//*[@data-testid="episode"][contains(., "Slow episode")]/following-sibling::*//*[@data-testid="episode-download"]'));
    // The control is re-rendered as its state changes: look it up afresh each time.
    const stateOf = async (find) => {
      for (let i = 0; ; i++) {
        try {
          return await (await find()).getAttribute("data-state");
        } catch (e) {
          if (i >= 5 || (e.name !== "StaleElementReferenceError" && e.name !== "NoSuchElementError")) throw e;
          await sleep(50);
        }
      }
    };
    await (await slowButton()).click();
    await d.wait(async () => (await stateOf(slowButton)) === "running", 10_000);
    await sleep(600);
    await (await slowButton()).click(); // a tap on a running download pauses it
    await d.wait(async () => (await stateOf(slowButton)) === "paused", 10_000);

    // The chaptered one downloads at full speed meanwhile.
    const chapButton = () => d.findElement(By.xpath('//*[@data-testid="episode"][contains(., "Chaptered episode")]/following-sibling::*//*[@data-testid="episode-download"]'));
    await (await chapButton()).click();
    await d.wait(async () => (await stateOf(chapButton)) === "done", 15_000);

    // The downloads view lists both: one done, one paused part-way with a true progress bar.
    await d.findElement(By.css('[data-testid="nav-downloads"]')).click();
    await d.wait(until.elementLocated(By.css('[data-testid="downloads-view"]')), 5_000);
    const rows = await d.findElements(By.css('[data-testid="download-row"]'));
    const byState = {};
    // (Other test files share the app's data folder: their downloads are listed too.)
    for (const r of rows) {
      const text = await r.getAttribute("textContent");
      if (text.includes("Slow episode")) byState.slow = r;
      else if (text.includes("Chaptered episode")) byState.chap = r;
    }
    assert.equal(await byState.chap.getAttribute("data-state"), "done");
    assert.equal(await byState.slow.getAttribute("data-state"), "paused");
    const bar = await byState.slow.findElement(By.css('[data-testid="download-progress"]'));
    const now = Number(await bar.getAttribute("aria-valuenow"));
    const max = Number(await bar.getAttribute("aria-valuemax"));
    assert.equal(max, LONG.length, "the bar's total is the file's size");
    assert.ok(now > 0 && now < max, `paused part-way: ${now} of ${max}`);
    await screenshot("e2e-downloads.png");

    const before = requests["/audio/slow.mp3"].length;
    await byState.slow.findElement(By.css('[data-testid="download-resume"]')).click();
    await d.wait(async () => (await byState.slow.getAttribute("data-state")) === "done", 60_000);
    const resumedWith = requests["/audio/slow.mp3"].slice(before);
    assert.ok(resumedWith.some((r) => /^bytes=[1-9]\d*-$/.test(r)), `resumed with a Range request: ${JSON.stringify(resumedWith)}`);

    // On disk: exactly the two files, byte-identical, no partial file left.
    const files = downloadedFiles();
    assert.deepEqual(files.map((f) => f.sha256).sort(), [sha256(CHAPTERED), sha256(LONG)].sort(), JSON.stringify(files));
    assert.ok(files.every((f) => !f.name.endsWith(".part") && !f.name.endsWith(".meta")));

    // Play the chaptered one: it plays from disk (no new request) with its ID3 chapters.
    const chapRequests = requests["/audio/chaptered.mp3"].length;
    await byState.chap.findElement(By.css('[data-testid="download-play"]')).click();
    await d.wait(until.elementLocated(By.css('[data-testid="chapter-row"]')), 10_000);
    const chapters = await d.findElements(By.css('[data-testid="chapter-row"]'));
    assert.equal(chapters.length, 3, "the three chapters embedded in the MP3");
    const from = await d.findElement(By.css('[data-testid="chapters-from"]')).getText();
    assert.match(from, /audio file/i, "chapters read from the downloaded MP3");
    const end = Date.now() + 10_000;
    let pos = 0;
    while (Date.now() < end) {
      pos = await d.executeScript(() => Number(document.querySelector('[data-testid="position"]')?.getAttribute("data-seconds") ?? 0));
      if (pos > 0.3) break;
      await sleep(50);
    }
    assert.ok(pos > 0.3, `the downloaded episode plays (position ${pos})`);
    assert.equal(requests["/audio/chaptered.mp3"].length, chapRequests, "played from the file on disk");
    await screenshot("e2e-downloaded-chapters.png");

    // Chapter art from a Podcasting 2.0 chapters file shows (served by the app, not loaded
    // from the network by the page).
    await d.findElement(By.xpath('//button[contains(@class,"crumb")][normalize-space()="Download Desk"]')).click();
    const pictured = await d.wait(until.elementLocated(By.xpath('//*[@data-testid="episode"][contains(., "Pictured episode")]')), 10_000);
    await pictured.click();
    const art = await d.wait(until.elementLocated(By.css('[data-testid="chapter-row"] img')), 10_000);
    await d.wait(async () => (await d.executeScript((img) => img.complete && img.naturalWidth, art)) > 0, 10_000);
    assert.match(await art.getAttribute("src"), /^chapterimg:/);
    assert.equal(imageRequests, 1, "the app fetched the image once");
    await screenshot("e2e-chapter-art.png");

    // Up next in the real window: queue the slow one, play the 4-second chaptered one, and
    // playback moves on to the slow one by itself (both downloaded, so the next test's launch
    // restores a local episode with this test's server gone).
    await d.findElement(By.xpath('//button[contains(@class,"crumb")][normalize-space()="Download Desk"]')).click();
    const queueAdd = await d.wait(until.elementLocated(By.css('[aria-label="Add Slow episode to Up Next"]')), 10_000);
    await queueAdd.click();
    await d.wait(async () => (await d.findElement(By.css('[data-testid="queue-count"]')).getText().catch(() => "")).trim() === "1", 5_000);
    const chapRow = await d.findElement(By.xpath('//*[@data-testid="episode"][contains(., "Chaptered episode")]'));
    await chapRow.click();
    const nowTitle = async () => d.executeScript(() => document.querySelector("footer .ep-title")?.textContent ?? "");
    await d.wait(async () => (await nowTitle()).includes("Chaptered"), 5_000);
    await d.wait(async () => (await nowTitle()).includes("Slow episode"), 15_000);
    await d.wait(async () => Number(await d.executeScript(() => document.querySelector('[data-testid="position"]')?.getAttribute("data-seconds") ?? 0)) > 0.2, 10_000);
    assert.equal((await d.findElement(By.css('[data-testid="queue-count"]')).getText().catch(() => "")).trim(), "", "the queue is empty");
    await screenshot("e2e-up-next.png");
    await d.findElement(By.css('[data-testid="play-pause"]')).click();
    await sleep(300);
  } finally {
    await d.quit();
  }
});
