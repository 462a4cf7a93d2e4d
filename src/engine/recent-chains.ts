import type { StoredItem } from '../store/store.js';

/** How many finished responses' contexts are kept: enough for every active conversation on a server. */
const defaultCapacity = 512;

/**
 * The context a follow-up would continue from, for the responses that finished most recently: their
 * context, input and output. The response service keeps the stored ones (exactly what
 * `Store.loadChainItems` returns for them), so a follow-up — which almost always continues a response
 * this server just recorded — does not reload and re-parse its whole chain; a WebSocket keeps its
 * `store:false` turns, which exist nowhere else. The arrays share their items with each other and with
 * the finished runs, so an entry costs an array of references. Least recently used entries go first.
 */
export class RecentChains {
  readonly #entries = new Map<string, readonly StoredItem[]>();
  readonly #capacity: number;

  constructor(capacity = defaultCapacity) {
    this.#capacity = capacity;
  }

  get(projectId: string, responseId: string): readonly StoredItem[] | undefined {
    const key = `${projectId}\n${responseId}`;
    const items = this.#entries.get(key);
    if (items) {
      this.#entries.delete(key);
      this.#entries.set(key, items);
    }
    return items;
  }

  remember(projectId: string, responseId: string, items: readonly StoredItem[]): void {
    const key = `${projectId}\n${responseId}`;
    this.#entries.delete(key);
    this.#entries.set(key, items);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Drops a response's context, so continuing from it is refused from now on. */
  forget(projectId: string, responseId: string): void {
    this.#entries.delete(`${projectId}\n${responseId}`);
  }

  clear(): void {
    this.#entries.clear();
  }
}
