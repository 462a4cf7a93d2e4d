import type { MutableItem, OutputItems } from './output-items.js';

/**
 * The `function_call` items of an output: the client runs them. Arguments stream as deltas; a call
 * whose arguments are complete waits for its `done` until it is clear it was not cut off.
 */
export class FunctionCallOutput {
  readonly #items: OutputItems;

  constructor(items: OutputItems) {
    this.#items = items;
  }

  /** Appends an `in_progress` call with empty arguments. */
  start(id: string, callId: string, name: string, namespace?: string): void {
    const item: MutableItem = {
      id: this.#items.ids.next('fc'),
      type: 'function_call',
      status: 'in_progress',
      call_id: callId,
      name,
      arguments: '',
      ...(namespace === undefined ? {} : { namespace }),
    };
    const outputIndex = this.#items.append(item);
    this.#items.parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
  }

  /** Arguments text as it streams. */
  delta(id: string, delta: string): void {
    const part = this.#items.parts.get(id);
    if (!part || delta.length === 0) return;
    part.text += delta;
    this.#items.emit?.({
      type: 'response.function_call_arguments.delta',
      item_id: part.item.id,
      output_index: part.outputIndex,
      delta,
    });
  }

  /** The complete arguments; the call's `done` is held (see `OutputItems.holdCall`). */
  end(id: string, argumentsText: string): void {
    const items = this.#items;
    const part = items.parts.get(id);
    if (!part) return;
    items.parts.delete(id);
    part.item.arguments = argumentsText;
    items.emit?.({
      type: 'response.function_call_arguments.done',
      item_id: part.item.id,
      output_index: part.outputIndex,
      name: part.item.name,
      arguments: argumentsText,
    });
    items.holdCall({ outputIndex: part.outputIndex, item: part.item });
  }
}
