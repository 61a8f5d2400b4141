/** `m:ss` under an hour, `h:mm:ss` from an hour on. Negative / non-finite → 0:00. */
export function formatTime(seconds: number | null | undefined): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds as number) ? (seconds as number) : 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Spoken-style duration for lists: "42 min", "1 h 5 min", "45 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.round((total % 3600) / 60);
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

const dateFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
});

export function formatDate(unixSeconds: number | null | undefined): string {
  if (unixSeconds == null || !Number.isFinite(unixSeconds)) return '';
  return dateFmt.format(new Date(unixSeconds * 1000));
}

export function isoDate(unixSeconds: number | null | undefined): string | undefined {
  if (unixSeconds == null || !Number.isFinite(unixSeconds)) return undefined;
  return new Date(unixSeconds * 1000).toISOString();
}

/** "1 episode", "3 episodes", "1,234 episodes". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * Sizes in decimal units, as file managers show them: "850 KB", "12.3 MB", "1.25 GB".
 * MB keep one decimal (so progress moves visibly), KB none, GB two.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${Math.round(bytes / 1e3)} KB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** A transfer rate: "1.4 MB/s", "640 KB/s". */
export function formatRate(bytesPerSec: number | null | undefined): string {
  if (bytesPerSec == null || !Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return '';
  return `${formatBytes(bytesPerSec)}/s`;
}

/** A playback speed: "1×", "1.5×", "0.8×". */
export function formatSpeed(speed: number): string {
  const s = Math.round(speed * 10) / 10;
  return `${Number.isInteger(s) ? s.toFixed(0) : s.toFixed(1)}×`;
}
