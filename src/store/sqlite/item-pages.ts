import type { Database, Statement } from 'better-sqlite3';
import type { Page, PageRequest } from '../page.js';
import type { StoredItem } from '../stored-item.js';
import { toStoredItem, type ItemRow } from './json-columns.js';

/**
 * Cursor pagination over items kept by position under one owner (a response's inputs, a
 * conversation's items), as OpenAI's lists page: `after` is the id of the last item already seen.
 */
export class ItemPages {
  readonly #cursor: Statement<[string, string], number>;
  readonly #pages: Record<'asc' | 'desc', Statement<[string, number, number], ItemRow>>;

  /** `from` is the table and owner condition, for example `response_items WHERE response_id = ? AND kind = 0`. */
  constructor(db: Database, from: string) {
    this.#cursor = db
      .prepare<[string, string], number>(`SELECT position FROM ${from} AND item_id = ?`)
      .pluck();
    const page = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<[string, number, number], ItemRow>(
        `SELECT item_id, item_json FROM ${from} AND position ${comparison} ? ORDER BY position ${order} LIMIT ?`,
      );
    this.#pages = { asc: page('>', 'ASC'), desc: page('<', 'DESC') };
  }

  list(owner: string, page: PageRequest): Page<StoredItem> {
    return cursorPage(
      page,
      (after) => this.#cursor.get(owner, after),
      (from, limit) => this.#pages[page.order].all(owner, from, limit),
      toStoredItem,
    );
  }
}

/**
 * One page of a list ordered by an integer position (a rowid or an item's position): `position`
 * finds where the `after` cursor's id is, `read` reads up to `limit` rows past a position in the
 * page's order. One row more than the page is read to learn whether there are more.
 */
export function cursorPage<Row, T>(
  page: PageRequest,
  position: (after: string) => number | undefined,
  read: (from: number, limit: number) => Row[],
  toEntry: (row: Row) => T,
): Page<T> {
  let from = page.order === 'asc' ? -1 : Number.MAX_SAFE_INTEGER;
  if (page.after !== undefined) {
    const cursor = position(page.after);
    // An unknown cursor yields an empty page, as a cursor past the end would.
    if (cursor === undefined) return { data: [], hasMore: false };
    from = cursor;
  }
  const rows = read(from, page.limit + 1);
  return { data: rows.slice(0, page.limit).map(toEntry), hasMore: rows.length > page.limit };
}
