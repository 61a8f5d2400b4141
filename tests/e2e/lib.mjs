// Helpers shared by the end-to-end tests.

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

