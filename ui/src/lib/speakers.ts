// A colour per speaker, derived from the name alone (the same name gets the same colour in every
// episode), with enough contrast for text on the transcript's backgrounds in both themes.

/** FNV-1a over the UTF-16 code units of the trimmed, lower-cased name. */
function hash(name: string): number {
  let h = 0x811c9dc5;
  const s = name.trim().toLowerCase();
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3's finalizer: FNV's low bits barely differ between short names.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hues far enough apart to tell names apart at a glance (blue, vermilion, green, violet, …). */
const HUES = [215, 14, 145, 280, 38, 188, 328, 95, 250, 0, 168, 300];

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

function luminance([r, g, b]: readonly number[]): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: readonly number[], b: readonly number[]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The backgrounds speaker names sit on: the panel and the highlighted line (light: #eef0ff;
 * dark: the accent at 14 % over the panel). Kept in step with app.css.
 */
const LIGHT_BGS = [
  [255, 255, 255],
  [238, 240, 255],
];
const DARK_BGS = [
  [23, 26, 35],
  [39, 42, 65],
];
/** A little above WCAG AA for normal text (4.5:1). */
const TARGET = 4.8;

/** The lightness (0–1) nearest `from`, moving towards `to`, whose colour reaches TARGET on every bg. */
function fit(h: number, s: number, from: number, to: number, bgs: number[][]): string {
  const step = from < to ? 0.01 : -0.01;
  let l = from;
  for (let n = 0; n < 100; n++) {
    const rgb = hslToRgb(h, s, l);
    if (bgs.every((bg) => contrast(rgb, bg) >= TARGET)) break;
    l += step;
    if ((step > 0 && l > to) || (step < 0 && l < to)) {
      l = to;
      break;
    }
  }
  const [r, g, b] = hslToRgb(h, s, l).map((v) => Math.round(v));
  return `rgb(${r} ${g} ${b})`;
}

export type SpeakerColour = { light: string; dark: string };

const cache = new Map<string, SpeakerColour>();

/** The colours of a speaker's name in the light and the dark theme. */
export function speakerColour(name: string): SpeakerColour {
  const key = name.trim().toLowerCase();
  let c = cache.get(key);
  if (!c) {
    const h = hash(key);
    const hue = HUES[h % HUES.length];
    const sat = 0.6 + ((h >>> 8) % 20) / 100;
    c = { light: fit(hue, sat, 0.42, 0.05, LIGHT_BGS), dark: fit(hue, sat, 0.62, 0.97, DARK_BGS) };
    cache.set(key, c);
  }
  return c;
}
