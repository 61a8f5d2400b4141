import { api } from './api';
import { errors } from './errors.svelte';
import { safeExternalUrl } from './sanitize';

/** Open an http(s)/mailto URL in the system browser (anything else is ignored). */
export async function openExternal(raw: string | null | undefined): Promise<void> {
  const url = safeExternalUrl(raw);
  if (!url) return;
  try {
    await api.openExternal(url);
  } catch (e) {
    errors.report(e, 'Could not open the link');
  }
}

/**
 * A click on a link that would take the app window away from the app: cancel it and hand
 * the URL to the system browser instead. True when it was handled.
 */
export function keepWindowHome(e: MouseEvent): boolean {
  if (e.defaultPrevented) return false;
  const a = (e.target as Element | null)?.closest?.('a[href]');
  if (!(a instanceof HTMLAnchorElement)) return false;
  let target: URL;
  try {
    target = new URL(a.href, location.href);
  } catch {
    e.preventDefault();
    return true;
  }
  const sameDocument = target.origin === location.origin && target.pathname === location.pathname;
  if (sameDocument && target.hash) return false; // in-page anchors (e.g. the skip link)
  e.preventDefault();
  if (e.type === 'click' || e.button === 1) void openExternal(a.getAttribute('href'));
  return true;
}
