import type { MutableItem, OpenPart, OutputItems } from './output-items.js';

/** A reasoning item's two kinds of text, each one part: its summary and its raw reasoning text. */
type ReasoningPartKind = 'summary_text' | 'reasoning_text';

/**
 * The `reasoning` items of an output: one per reasoning part. Its summary streams as one
 * `summary_text` (the `reasoning_summary_*` events) and its raw reasoning text as one `reasoning_text`
 * content part (`content_part.*` and `reasoning_text.*`); each is announced only once there is text,
 * so an item shows only the kinds its upstream sent. The upstream's `encrypted_content` is kept so the
 * next turn can show the reasoning back to the model.
 */
export class ReasoningOutput {
  readonly #items: OutputItems;
  /**
   * The raw reasoning text streamed so far, by part id; the summary's is the open part's own `text`.
   * The item holds an empty `reasoning_text` until the part ends, as a message holds its text parts.
   */
  readonly #rawText = new Map<string, string>();

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
  summaryDelta(id: string, delta: string): void {
    const part = this.#items.parts.get(id);
    if (!part || delta.length === 0) return;
    const summary = part.item.summary as { type: string; text: string }[];
    if (summary.length === 0) {
      summary.push({ type: 'summary_text', text: '' });
      this.#emitPartEvent('added', part, 'summary_text', '');
    }
    part.text += delta;
    this.#items.emit?.({
      type: 'response.reasoning_summary_text.delta',
      ...locate(part, 'summary_text'),
      delta,
    });
  }

  /** Raw reasoning text as it streams; the first delta adds the `reasoning_text` content part. */
  textDelta(id: string, delta: string): void {
    const part = this.#items.parts.get(id);
    if (!part || delta.length === 0) return;
    const streamed = this.#rawText.get(id);
    if (streamed === undefined) {
      part.item.content = [{ type: 'reasoning_text', text: '' }];
      this.#emitPartEvent('added', part, 'reasoning_text', '');
    }
    this.#rawText.set(id, (streamed ?? '') + delta);
    this.#items.emit?.({ type: 'response.reasoning_text.delta', ...locate(part, 'reasoning_text'), delta });
  }

  /** Ends the item: the `done` events of its summary and its raw text (those it has), then the item's. */
  end(id: string, encryptedContent: string | null): void {
    const items = this.#items;
    const part = items.parts.get(id);
    if (!part) return;
    items.parts.delete(id);
    const summary = part.item.summary as { type: string; text: string }[];
    if (summary.length > 0) {
      summary[0] = { type: 'summary_text', text: part.text };
      items.emit?.({
        type: 'response.reasoning_summary_text.done',
        ...locate(part, 'summary_text'),
        text: part.text,
      });
      this.#emitPartEvent('done', part, 'summary_text', part.text);
    }
    const rawText = this.#rawText.get(id);
    if (rawText !== undefined) {
      this.#rawText.delete(id);
      part.item.content = [{ type: 'reasoning_text', text: rawText }];
      items.emit?.({
        type: 'response.reasoning_text.done',
        ...locate(part, 'reasoning_text'),
        text: rawText,
      });
      this.#emitPartEvent('done', part, 'reasoning_text', rawText);
    }
    if (encryptedContent) part.item.encrypted_content = encryptedContent;
    items.done(part.outputIndex, part.item);
  }

  /**
   * A part's `added`/`done` event: a summary part has its own events (`reasoning_summary_part.*`), a
   * raw text part is a content part like a message's (`content_part.*`, which the SDK tells apart by
   * the part's type).
   */
  #emitPartEvent(phase: 'added' | 'done', part: OpenPart, kind: ReasoningPartKind, text: string): void {
    const type =
      kind === 'summary_text' ? `response.reasoning_summary_part.${phase}` : `response.content_part.${phase}`;
    this.#items.emit?.({ type, ...locate(part, kind), part: { type: kind, text } });
  }
}

/** Where a reasoning part's events point: its item, and the index of the summary or content part. */
function locate(part: OpenPart, kind: ReasoningPartKind): Record<string, string | number> {
  const common = { item_id: part.item.id, output_index: part.outputIndex };
  // One summary part and one raw text part per item, so both are always index 0.
  return kind === 'summary_text' ? { ...common, summary_index: 0 } : { ...common, content_index: 0 };
}
