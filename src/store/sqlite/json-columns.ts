import type { JsonObject, StoredItem } from '../stored-item.js';

/**
 * Rows this process wrote itself, so the JSON is trusted; a parse failure means a corrupted
 * database and is allowed to throw.
 */
export function parseJsonObject(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}

/** An item as its tables keep it. */
export type ItemRow = { item_id: string; item_json: string };

export function toStoredItem(row: ItemRow): StoredItem {
  return { id: row.item_id, item: parseJsonObject(row.item_json) };
}
