import { afterEach, beforeEach } from 'vitest';
import type { StoredItem } from '../../../src/store/store.js';

/** Something the suites close after each test (a whole backend, in practice). */
export interface Closable {
  /** Closes the backend the stores share. */
  close(): Promise<void>;
}

/**
 * Opens a fresh, empty backend and returns the stores a suite needs (a whole `Store` satisfies every
 * suite's shape, so a backend passes its `open` as is).
 */
export type OpenStores<T> = () => Promise<T & Closable>;

/** Opens fresh stores before each test and closes them after; the returned function gives the current ones. */
export function freshStores<T>(open: OpenStores<T>): () => T {
  let current: (T & Closable) | undefined;
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('the stores are opened only inside a test');
    return current;
  };
}

/** A user message item listed under `id`. */
export function messageItem(id: string, text = id): StoredItem {
  return { id, item: { id, type: 'message', role: 'user', content: [{ type: 'input_text', text }] } };
}
