import type { HostedOutputItem } from '../providers/model-provider.js';
import type { MutableItem, OutputItems } from './output-items.js';

/** A hosted tool's item still open: where it is and what it holds. */
interface OpenHostedItem {
  readonly outputIndex: number;
  readonly item: MutableItem;
}

/**
 * The items of hosted tools the provider ran itself (`web_search_call`, `file_search_call`, `mcp_call`,
 * …). Berth does not run or read them: each is appended as the provider gave it, its item events (for
 * example `response.web_search_call.searching`) are re-emitted with Berth's `item_id` and
 * `output_index` (the run adds the sequence numbers), and the done item's fields replace the added
 * one's.
 */
export class HostedItemOutput {
  readonly #items: OutputItems;
  readonly #open = new Map<string, OpenHostedItem>();

  constructor(items: OutputItems) {
    this.#items = items;
  }

  /** Appends the item; one without an id (an adapter that mapped it from another protocol) gets one. */
  start(id: string, item: HostedOutputItem): void {
    if (this.#open.has(id)) return;
    const mutable: MutableItem = { ...item, id: item.id ?? this.#items.ids.next(idPrefixOf(item.type)) };
    this.#open.set(id, { outputIndex: this.#items.append(mutable), item: mutable });
  }

  /** One of the upstream's events about the item, under Berth's id and index. */
  event(id: string, event: Readonly<Record<string, unknown>> & { readonly type: string }): void {
    const open = this.#open.get(id);
    if (!open) return;
    // The upstream's own bookkeeping is replaced: its ids and indices are not the response's.
    const { sequence_number: _sequence, item_id: _itemId, output_index: _outputIndex, ...fields } = event;
    this.#items.emit?.({
      ...fields,
      type: event.type,
      item_id: open.item.id,
      output_index: open.outputIndex,
    });
  }

  /** The finished item: its fields as the provider gave them, under the id the output gave it. */
  done(id: string, item: HostedOutputItem): void {
    if (!this.#open.has(id)) this.start(id, item);
    const open = this.#open.get(id);
    if (!open) return;
    this.#open.delete(id);
    Object.assign(open.item, item, { id: open.item.id });
    this.#items.done(open.outputIndex, open.item);
  }

  /** Ends every item the provider left open (a cut-off turn): each is `incomplete`, as it stands. */
  finish(): void {
    for (const [id, open] of [...this.#open]) {
      this.#open.delete(id);
      open.item.status = 'incomplete';
      this.#items.done(open.outputIndex, open.item);
    }
  }
}

function idPrefixOf(type: string): 'ws' | 'item' {
  return type === 'web_search_call' ? 'ws' : 'item';
}
