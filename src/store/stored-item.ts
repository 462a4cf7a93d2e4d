/** A JSON object as stored: an OpenAI-shaped item, response or event. */
export type JsonObject = { readonly [key: string]: unknown };

/** An item with the id it is listed under (a response's input or output, a conversation's item). */
export interface StoredItem {
  /** The id the item is listed and looked up under. */
  readonly id: string;
  /** The item in OpenAI's shape. */
  readonly item: JsonObject;
}
