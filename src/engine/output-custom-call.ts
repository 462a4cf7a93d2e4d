import type { MutableItem, OutputItems } from './output-items.js';

/**
 * The `custom_tool_call` items of an output: the client runs them, like function calls, with the
 * model's free-text `input`. The input streams as `response.custom_tool_call_input.delta` events; a
 * call whose input is complete waits for its `done` until it is clear it was not cut off.
 */
export class CustomCallOutput {
  readonly #items: OutputItems;

  constructor(items: OutputItems) {
    this.#items = items;
  }

  /** Appends an `in_progress` call with empty input. */
  start(id: string, callId: string, name: string, namespace?: string): void {
    const item: MutableItem = {
      id: this.#items.ids.next('ctc'),
      type: 'custom_tool_call',
      status: 'in_progress',
      call_id: callId,
      name,
      input: '',
      ...(namespace === undefined ? {} : { namespace }),
    };
    const outputIndex = this.#items.append(item);
    this.#items.parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
  }

  /** Input text as it streams. */
  delta(id: string, delta: string): void {
    const part = this.#items.parts.get(id);
    if (!part || delta.length === 0) return;
    part.text += delta;
    this.#items.emit?.({
      type: 'response.custom_tool_call_input.delta',
      item_id: part.item.id,
      output_index: part.outputIndex,
      delta,
    });
  }

  /** The complete input; the call's `done` is held (see `OutputItems.holdCall`). */
  end(id: string, input: string): void {
    const items = this.#items;
    const part = items.parts.get(id);
    if (!part) return;
    items.parts.delete(id);
    part.item.input = input;
    items.emit?.({
      type: 'response.custom_tool_call_input.done',
      item_id: part.item.id,
      output_index: part.outputIndex,
      input,
    });
    items.holdCall({ outputIndex: part.outputIndex, item: part.item });
  }
}
