// End to end: subscribe to a feed served from 127.0.0.1 in the real window, see its episodes,
// refresh after the feed grows and see the new ones marked new.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Builder, By, until } from "selenium-webdriver";
import { armStartProbe, readStartProbe } from "./lib.mjs";

const APP = process.env.EARSHOT_APP;
const URL = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const ARTIFACTS = process.env.EARSHOT_ARTIFACTS ?? "test-artifacts";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What the person sees: the whole X screen, after the window has painted. */
async function screenshot(name) {
  await sleep(400);
  execFileSync("import", ["-window", "root", join(ARTIFACTS, name)]);
}

let items = 30;
function feed(base) {
  let xml = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Loopback Radio</title><link>${base}/</link><itunes:author>The Test Bench</itunes:author>
<description>A feed served by the end-to-end test.</description>\n`;
  for (let n = items; n >= 1; n--) {
    const date = new Date(Date.UTC(2025, 0, n)).toUTCString();
    xml += `<item><title>Loopback episode ${n}</title><guid>loop-${n}</guid><pubDate>${date}</pubDate>
<enclosure url="${base}/audio/${n}.mp3" type="audio/mpeg" length="1000"/><itunes:duration>12:${String(n % 60).padStart(2, "0")}</itunes:duration>
<podcast:transcript url="${base}/transcripts/${n}.json" type="application/json" language="en"/>
<podcast:transcript url="${base}/transcripts/${n}.vtt" type="text/vtt" language="en"/>
<description><![CDATA[<p>Notes for ${n}. Skip to 03:15 for the good part. <script>window.__pwned=1</script></p>]]></description></item>\n`;
  }
  return xml + "</channel></rss>\n";
}

const MP3 = readFileSync(new globalThis.URL("../../assets/demo/episode1.mp3", import.meta.url));
const audioRequests = [];

/** Serves the demo MP3 with Range support, like a podcast host's CDN. */
function serveAudio(req, res) {
  audioRequests.push(req.headers.range ?? "");
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  if (!m) {
    res.writeHead(200, { "Content-Type": "audio/mpeg", "Content-Length": MP3.length, "Accept-Ranges": "bytes" });
    return res.end(MP3);
  }
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), MP3.length - 1) : MP3.length - 1;
  if (start >= MP3.length) {
    res.writeHead(416, { "Content-Range": `bytes */${MP3.length}` });
    return res.end();
  }
  res.writeHead(206, {
    "Content-Type": "audio/mpeg",
    "Content-Length": end - start + 1,
    "Content-Range": `bytes ${start}-${end}/${MP3.length}`,
    "Accept-Ranges": "bytes",
  });
  res.end(MP3.subarray(start, end + 1));
}

/** A WebVTT transcript with a cue every 2 s and a time stamp on every word. */
function vtt() {
  const t = (s) => new Date(s * 1000).toISOString().slice(11, 23);
  let out = "WEBVTT\n\n";
  for (let i = 0; i < 60; i++) {
    const start = i * 2;
    const words = ["Line", String(i + 1), "of", "the", "loopback", "transcript"];
    const timed = words.map((w, k) => (k === 0 ? w : `<${t(start + k * 0.3)}>${w}`)).join(" ");
    out += `${t(start)} --> ${t(start + 2)}\n<v ${i % 2 ? "Guest" : "Host"}>${timed}\n\n`;
  }
  return out;
}
const transcriptRequests = [];

let server, base;
before(async () => {
  server = createServer((req, res) => {
    if (req.url.startsWith("/audio/")) return serveAudio(req, res);
    if (req.url.startsWith("/transcripts/")) {
      transcriptRequests.push(req.url);
      if (req.url.endsWith(".vtt")) {
        res.writeHead(200, { "Content-Type": "text/vtt; charset=utf-8" });
        return res.end(vtt());
      }
      res.writeHead(404);
      return res.end();
    }
    if (req.url === "/feed.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      res.end(feed(base));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

test("subscribe to a local feed, see its episodes, refresh and see new ones", async () => {
  const d = await new Builder().usingServer(URL).withCapabilities({ browserName: "wry", "tauri:options": { application: APP } }).build();
  try {
    const input = await d.wait(until.elementLocated(By.css('[data-testid="subscribe-url"]')), 20_000);
    await input.sendKeys(`${base}/feed.xml`);
    await d.findElement(By.css('[data-testid="subscribe-submit"]')).click();
    // The podcast page opens with the newest episode first.
    await d.wait(until.elementLocated(By.xpath('//*[@data-testid="episode"][contains(., "Loopback episode 30")]')), 20_000);
    const rows = await d.findElements(By.css('[data-testid="episode"]'));
    assert.ok(rows.length >= 5, `episodes listed: ${rows.length}`);
    assert.match(await rows[0].getAttribute("textContent"), /Loopback episode 30/);

    items = 32;
    await d.findElement(By.css('[data-testid="refresh"]')).click();
    const fresh = await d.wait(until.elementLocated(By.xpath('//*[@data-testid="episode"][contains(., "Loopback episode 32")]')), 20_000);
    assert.equal(await fresh.getAttribute("data-state"), "new");
    const alerts = await d.findElements(By.css('[role="alert"]'));
    for (const a of alerts) assert.equal((await a.getText()).trim(), "", "no error shown");
    assert.equal(await d.executeScript(() => window.__pwned), null, "feed scripts never run");
    await screenshot("e2e-podcast.png");

    // Not downloaded: pressing play streams it from the server.
    await armStartProbe(d);
    const t0 = Date.now();
    await fresh.click();
    const end = Date.now() + 20_000;
    let pos = 0;
    while (Date.now() < end) {
      pos = await d.executeScript(() => Number(document.querySelector('[data-testid="position"]')?.getAttribute("data-seconds") ?? 0));
      if (pos > 0.2) break;
      await sleep(25);
    }
    assert.ok(pos > 0.2, "the streamed episode plays");
    console.log(`# streaming: click to moving position ${Date.now() - t0} ms (WebDriver's view); in the page ${await readStartProbe(d)} ms`);
    assert.ok(audioRequests.length >= 1, "audio came from the server");

    // Its transcript came from the feed (the JSON one is gone, so the VTT): reading along, the
    // highlighted line holds the position and the word being spoken is marked.
    await d.wait(until.elementLocated(By.css('[data-testid="transcript-segment"][aria-current="true"]')), 10_000);
    for (let i = 0; i < 3; i++) {
      const s = await d.executeScript(() => {
        const cur = document.querySelector('[data-testid="transcript-segment"][aria-current="true"]');
        const word = document.querySelector('[data-testid="transcript-word"][data-current="true"]');
        return {
          start: Number(cur?.getAttribute("data-seconds")),
          text: cur?.textContent ?? "",
          word: word?.textContent ?? null,
          position: Number(document.querySelector('[data-testid="position"]')?.getAttribute("data-seconds")),
        };
      });
      assert.ok(s.start <= s.position + 0.3 && s.position < s.start + 2 + 0.3, `line at ${s.start} holds ${s.position}`);
      assert.match(s.text, /loopback transcript/);
      assert.ok(s.word, "a word is highlighted");
      await sleep(700);
    }
    assert.ok(transcriptRequests.some((u) => u.endsWith(".json")) && transcriptRequests.some((u) => u.endsWith(".vtt")), `${transcriptRequests}`);
    await screenshot("e2e-transcript.png");
  } finally {
    await d.quit();
  }
});
