import { ApiError } from './api';

export type ShownError = { id: number; message: string };

const MAX_SHOWN = 3;

class ErrorCenter {
  items = $state<ShownError[]>([]);
  #nextId = 1;

  push(message: string) {
    const text = message.trim() || 'Something went wrong.';
    // Don't stack the very same message twice in a row.
    if (this.items.at(-1)?.message === text) return;
    this.items = [...this.items, { id: this.#nextId++, message: text }].slice(-MAX_SHOWN);
  }

  /** Show a failure of an action (e.g. a rejected invoke) without breaking the app. */
  report(error: unknown, action?: string) {
    const msg =
      error instanceof ApiError || error instanceof Error
        ? error.message
        : typeof error === 'string'
          ? error
          : 'Unexpected error';
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

export const errors = new ErrorCenter();
