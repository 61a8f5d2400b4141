// Helpers shared by the end-to-end tests.
import assert from "node:assert/strict";

/**
 * Reads the page with `read()` every 50 ms until `cond` holds of what it read (returned), or
 * fails after `timeout` ms naming `what` and the last reading.
 */
export async function pollUntil(read, what, cond, timeout) {
  const end = Date.now() + timeout;
  let s;
  while (Date.now() < end) {
    s = await read();
    if (cond(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}; last state ${JSON.stringify(s).slice(0, 1500)}`);
}

/**
 * Times, inside the page, from the next click to the first position above 0 of the episode it
 * starts (the output has started taking audio): free of WebDriver's round trips.
 */
export async function armStartProbe(d) {
  await d.executeScript(() => {
    // The clock shows the episode loaded before (restored at launch) until the new one loads
    // at 0: count from there.
    const probe = (window.__startProbe = { clickAt: null, zero: false, movedAt: null });
    document.addEventListener("click", () => (probe.clickAt ??= performance.now()), { capture: true, once: true });
    new MutationObserver((_, obs) => {
      if (probe.clickAt == null) return;
      const p = Number(document.querySelector('[data-testid="position"]')?.getAttribute("data-seconds") ?? -1);
      if (p === 0) probe.zero = true;
      else if (p > 0 && probe.zero) {
        probe.movedAt = performance.now();
        obs.disconnect();
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-seconds"] });
  });
}
export async function readStartProbe(d) {
  const p = await d.executeScript(() => window.__startProbe);
  return p?.movedAt != null ? Math.round(p.movedAt - p.clickAt) : null;
}

