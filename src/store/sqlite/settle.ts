/**
 * Runs synchronous work behind the async store interfaces: better-sqlite3 finishes each call before it
 * returns, so the promise settles at once, and a throw becomes a rejection as an async backend's would.
 */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
