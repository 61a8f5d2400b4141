import { ApiError } from './api';

/** One alert entry: a message and, optionally, a list of particulars (e.g. one line per failed feed). */
export type ShownError = { id: number; message: string; details: string[] };

const MAX_SHOWN = 3;
/** Details beyond this many are summed up as "…and N more". */
const MAX_DETAILS = 8;

class ErrorCenter {
  items = $state<ShownError[]>([]);
  #nextId = 1;

  push(message: string, details: readonly string[] = []) {
    const text = message.trim() || 'Something went wrong.';
    let lines = details.map((d) => d.trim()).filter(Boolean);
    if (lines.length > MAX_DETAILS) {
      const more = lines.length - (MAX_DETAILS - 1);
      lines = [...lines.slice(0, MAX_DETAILS - 1), `…and ${more} more`];
    }
    // Don't stack the very same message twice in a row.
    const last = this.items.at(-1);
    if (last?.message === text && last.details.join('\n') === lines.join('\n')) return;
    this.items = [...this.items, { id: this.#nextId++, message: text, details: lines }].slice(-MAX_SHOWN);
  }

  /** Show a failure of an action (e.g. a rejected invoke) without breaking the app. */
  report(error: unknown, action?: string) {
    const msg = messageOf(error);
    this.push(action ? `${action}: ${msg}` : msg);
    console.error(action ?? 'error', error);
  }

  dismiss(id: number) {
    this.items = this.items.filter((e) => e.id !== id);
  }

  clear() {
    this.items = [];
  }
}

export function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error
    ? error.message
    : typeof error === 'string'
      ? error
      : 'Unexpected error';
}

export const errors = new ErrorCenter();
