import type { MutableItem, OutputItems } from './output-items.js';

/**
 * The `reasoning` items of an output: one per reasoning part, its summary streamed as one
 * `summary_text` (announced only once there is text), and the upstream's `encrypted_content` kept so
 * the next turn can show the reasoning back to the model.
 */
export class ReasoningOutput {
  readonly #items: OutputItems;

  constructor(items: OutputItems) {
    this.#items = items;
  }

  /** Appends an empty reasoning item for the part. */
  start(id: string): void {
    const item: MutableItem = { id: this.#items.ids.next('rs'), type: 'reasoning', summary: [] };
    const outputIndex = this.#items.append(item);
    this.#items.parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
  }

  /** Summary text as it streams; the first delta adds the summary part. */
  delta(id: string, delta: string): void {
    const part = this.#items.parts.get(id);
    if (!part || delta.length === 0) return;
    const summary = part.item.summary as { type: string; text: string }[];
    const common = { item_id: part.item.id, output_index: part.outputIndex, summary_index: 0 };
    if (summary.length === 0) {
      summary.push({ type: 'summary_text', text: '' });
      this.#items.emit?.({
        type: 'response.reasoning_summary_part.added',
        ...common,
        part: { type: 'summary_text', text: '' },
      });
    }
    part.text += delta;
    this.#items.emit?.({ type: 'response.reasoning_summary_text.delta', ...common, delta });
  }

  /** Ends the item: its summary's `done` events (if it had one), then the item's. */
  end(id: string, encryptedContent: string | null): void {
    const items = this.#items;
    const part = items.parts.get(id);
    if (!part) return;
    items.parts.delete(id);
    const summary = part.item.summary as { type: string; text: string }[];
    if (summary.length > 0) {
      summary[0] = { type: 'summary_text', text: part.text };
      const common = { item_id: part.item.id, output_index: part.outputIndex, summary_index: 0 };
      items.emit?.({ type: 'response.reasoning_summary_text.done', ...common, text: part.text });
      items.emit?.({
        type: 'response.reasoning_summary_part.done',
        ...common,
        part: { type: 'summary_text', text: part.text },
      });
    }
    if (encryptedContent) part.item.encrypted_content = encryptedContent;
    items.done(part.outputIndex, part.item);
  }
}
