// Test harness: a tiny static server for ui/dist (plus the fake backend), and
// Debian's chromium driven through playwright-core. No browser downloads.
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const UI_ROOT = join(here, '..', '..');
export const DIST = join(UI_ROOT, 'dist');
export const ARTIFACTS = process.env.EARSHOT_ARTIFACTS || join(UI_ROOT, '..', 'test-artifacts');
const TAURI_API = join(UI_ROOT, 'node_modules', '@tauri-apps', 'api');

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// As strict as a Tauri app would want: nothing inline, nothing remote.
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

function safeJoin(root, urlPath) {
  const p = normalize(join(root, decodeURIComponent(urlPath)));
  return p === root || p.startsWith(root + sep) ? p : null;
}

/** Serve ui/dist at /, the fake backend at /__mock__/, @tauri-apps/api at /__tauri_api__/. */
export async function startServer() {
  try {
    statSync(join(DIST, 'index.html'));
  } catch {
    throw new Error('ui/dist/index.html missing: run `npm run build` (npm test does it for you)');
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path = url.pathname;
    let root = DIST;
    if (path.startsWith('/__mock__/')) {
      root = here;
      path = path.slice('/__mock__'.length);
    } else if (path.startsWith('/__tauri_api__/')) {
      root = TAURI_API;
      path = path.slice('/__tauri_api__'.length);
    } else if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/' || path === '') path = '/index.html';
    const file = safeJoin(root, path);
    let body;
    try {
      body = file && statSync(file).isFile() ? readFileSync(file) : null;
    } catch {
      body = null;
    }
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const headers = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    };
    if (root === DIST && path === '/index.html') {
      headers['content-security-policy'] = CSP;
      // The fake backend must run before the app's module: module scripts run in order.
      body = Buffer.from(
        body
          .toString('utf8')
          .replace('<head>', '<head>\n    <script type="module" src="/__mock__/fake-backend.js"></script>'),
      );
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** chromium.launch gives every browser a fresh temporary user-data-dir. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/**
 * New context + page on the app. `fake` is passed to the fake backend as
 * window.__FAKE_CONFIG__. Collects page errors and CSP violations in `problems`.
 */
export async function openApp(browser, url, { colorScheme = 'light', fake = {} } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    colorScheme,
    reducedMotion: 'no-preference',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`http ${r.status()}: ${r.url()}`);
  });
  await page.addInitScript((cfg) => {
    // Like Tauri's `freezePrototype: true` (src-tauri/tauri.conf.json).
    Object.freeze(Object.prototype);
    window.__FAKE_CONFIG__ = cfg;
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  }, fake);
  await page.goto(url);
  return { context, page, problems };
}

/** Library → demo podcast → first episode; waits for the player view. */
export async function openDemoEpisode(page, episodeId = 1) {
  await page.locator('[data-testid="podcast"]').first().click();
  await page.locator(`[data-testid="episode"][data-episode-id="${episodeId}"]`).click();
  await page.locator('[data-testid="transcript-segment"]').first().waitFor();
}

export const seconds = (page) =>
  page.locator('[data-testid="position"]').evaluate((el) => Number(el.getAttribute('data-seconds')));

export const fakeArgs = (page, cmd) => page.evaluate((c) => window.__fake.argsOf(c), cmd);

/** Poll `fn` until it returns a truthy value (or throw with `what` after `timeout` ms). */
export async function eventually(fn, what, timeout = 5000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** Everything that went wrong in the page that no test expected. */
export async function unexpectedProblems(page, problems) {
  const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
  return [...problems, ...csp.map((v) => `csp: ${v}`)];
}

/**
 * The shared set-up of a test file: one static server and one browser for the file, a fresh
 * page per test (`suite.open(opts)`), and after each test a check that the page logged no
 * errors or CSP violations.
 */
export function browserSuite() {
  const suite = { server: null, browser: null, ctx: null };
  before(async () => {
    suite.server = await startServer();
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  afterEach(async () => {
    const ctx = suite.ctx;
    if (ctx) {
      suite.ctx = null;
      assert.deepEqual(await unexpectedProblems(ctx.page, ctx.problems), [], 'page errors / CSP violations');
      await ctx.context.close();
    }
  });
  suite.open = async (opts) => (suite.ctx = await openApp(suite.browser, suite.server.url, opts));
  return suite;
}
