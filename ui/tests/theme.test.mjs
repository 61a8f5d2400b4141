import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  artifactPath,
  browserSuite,
  eventually,
  openDemoEpisode,
  seconds,
} from './support/harness.mjs';

const suite = browserSuite();
let ctx;

/** Relative luminance of a computed `rgb(...)` colour, 0 (black) … 1 (white). */
function luminance(rgb) {
  const [r, g, b] = rgb.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a, b) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

const colors = (page, selector) =>
  page.locator(selector).first().evaluate((el) => {
    const cs = getComputedStyle(el);
    return { fg: cs.color, bg: getComputedStyle(document.body).backgroundColor };
  });

/** Put the player in a recognisable, stable state: paused inside chapter 3. */
async function settle(page) {
  await openDemoEpisode(page);
  await page.locator('[data-testid="transcript-segment"]').nth(12).click();
  await eventually(async () => (await page.locator('[data-testid="play-pause"]').getAttribute('aria-label')) === 'Pause', 'playing');
  await page.keyboard.press('Space');
  await eventually(async () => (await page.locator('[data-testid="play-pause"]').getAttribute('aria-label')) === 'Play', 'paused');
  await eventually(async () => (await seconds(page)) >= 74.5, 'at cue 12');
  await page.evaluate(() => document.activeElement?.blur());
  await page.mouse.move(0, 400);
  await page.waitForTimeout(400); // let the smooth scroll settle
}

for (const scheme of ['light', 'dark']) {
  test(`${scheme} theme follows prefers-color-scheme; player view screenshot`, async () => {
    ctx = await suite.open({ colorScheme: scheme });
    const { page } = ctx;
    await settle(page);
    const { fg, bg } = await colors(page, 'h1');
    if (scheme === 'dark') assert.ok(luminance(bg) < 0.05, `dark background (${bg})`);
    else assert.ok(luminance(bg) > 0.8, `light background (${bg})`);
    assert.ok(contrast(fg, bg) >= 7, `heading contrast ${contrast(fg, bg).toFixed(1)}`);
    const cue = await colors(page, '[data-testid="transcript-segment"]');
    assert.ok(contrast(cue.fg, bg) >= 4.5, `transcript text contrast ${contrast(cue.fg, bg).toFixed(1)}`);
    const muted = await colors(page, '[data-testid="duration"]');
    assert.ok(contrast(muted.fg, bg) >= 4.5, `muted text contrast ${contrast(muted.fg, bg).toFixed(1)}`);
    await page.screenshot({ path: artifactPath(scheme === 'dark' ? 'ui-player-dark.png' : 'ui-player.png') });
  });
}

test('keyboard focus is clearly visible', async () => {
  ctx = await suite.open();
  const { page } = ctx;
  await page.locator('[data-testid="podcast"]').first().waitFor();
  await page.keyboard.press('Tab'); // skip link
  await page.keyboard.press('Tab'); // brand
  const outline = await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
  });
  assert.equal(outline.style, 'solid');
  assert.ok(outline.width >= 2);
});
