import type { JsonObject, StoredItem } from '../store.js';

/**
 * Rows this process wrote itself, so the JSON is trusted; a parse failure means a corrupted
 * database and is allowed to throw.
 */
export function parseJsonObject(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}

export function toStoredItem(row: { item_id: string; item_json: string }): StoredItem {
  return { id: row.item_id, item: parseJsonObject(row.item_json) };
}
