// The listener's settings (`settings_get` / `settings_set`). Every change sends the whole
// object and keeps what the backend stored (clamped to its ranges), so the view always shows
// the value in effect. Changes are sent one at a time, in order.
import { api, type Settings } from './api';
import { errors } from './errors.svelte';

export const DEFAULT_SETTINGS: Settings = {
  downloadConcurrency: 2,
  autoDownload: false,
  cleanupPlayed: false,
  skipBackSecs: 15,
  skipForwardSecs: 30,
  defaultSpeed: 1,
  volume: 1,
  skipSilence: false,
  loudnessLevelling: false,
};

/** Speeds the player offers: 0.5–3 in 0.1 steps. */
export const SPEED_MIN = 0.5;
export const SPEED_MAX = 3;
export const SPEED_STEP = 0.1;
export const SPEEDS: readonly number[] = Array.from(
  { length: Math.round((SPEED_MAX - SPEED_MIN) / SPEED_STEP) + 1 },
  (_, i) => Math.round((SPEED_MIN + i * SPEED_STEP) * 10) / 10,
);

/** Nearest offered speed. */
export function snapSpeed(v: number): number {
  if (!Number.isFinite(v)) return 1;
  return Math.min(SPEED_MAX, Math.max(SPEED_MIN, Math.round(v * 10) / 10));
}

class SettingsStore {
  /** As stored by the backend; the defaults until the first read. */
  value = $state.raw<Settings>(DEFAULT_SETTINGS);
  loaded = $state(false);
  /** A change is on its way to the backend. */
  saving = $state(false);

  /** Seconds the skip buttons and ←/→ jump (positive numbers). */
  skipBack = $derived(positiveOr(this.value.skipBackSecs, DEFAULT_SETTINGS.skipBackSecs));
  skipForward = $derived(positiveOr(this.value.skipForwardSecs, DEFAULT_SETTINGS.skipForwardSecs));

  #started = false;
  #queue: Promise<unknown> = Promise.resolve();

  async start() {
    if (this.#started) return;
    this.#started = true;
    await this.load();
  }

  async load() {
    try {
      this.value = { ...DEFAULT_SETTINGS, ...(await api.settingsGet()) };
      this.loaded = true;
    } catch (e) {
      errors.report(e, 'Could not read the settings');
    }
  }

  /**
   * Change some settings. Resolves to the settings as stored (clamped), or the unchanged ones
   * when the backend refused (the error is shown).
   */
  update(patch: Partial<Settings>): Promise<Settings> {
    const run = async (): Promise<Settings> => {
      this.saving = true;
      try {
        const stored = await api.settingsSet({ ...this.value, ...patch });
        this.value = { ...DEFAULT_SETTINGS, ...stored };
      } catch (e) {
        errors.report(e, 'Could not save the settings');
      } finally {
        this.saving = false;
      }
      return this.value;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next;
    return next;
  }
}

function positiveOr(v: number, fallback: number): number {
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export const settings = new SettingsStore();
