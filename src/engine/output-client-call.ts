import type { IdPrefix } from '../ids.js';
import type { MutableItem, OutputItems } from './output-items.js';

/**
 * What differs between the kinds of call whose text streams: the item's id prefix and type, the field
 * the text fills, and the names of its delta and done events.
 */
export interface StreamedCallKind {
  readonly idPrefix: IdPrefix;
  readonly type: string;
  readonly field: 'arguments' | 'input';
  readonly deltaEvent: string;
  readonly doneEvent: string;
}

/** `function_call`: JSON arguments, streamed as `response.function_call_arguments.*`. */
export const functionCallKind: StreamedCallKind = {
  idPrefix: 'fc',
  type: 'function_call',
  field: 'arguments',
  deltaEvent: 'response.function_call_arguments.delta',
  doneEvent: 'response.function_call_arguments.done',
};

/** `custom_tool_call`: free-text input, streamed as `response.custom_tool_call_input.*`. */
export const customCallKind: StreamedCallKind = {
  idPrefix: 'ctc',
  type: 'custom_tool_call',
  field: 'input',
  deltaEvent: 'response.custom_tool_call_input.delta',
  doneEvent: 'response.custom_tool_call_input.done',
};

/**
 * The calls of one kind the client runs whose text streams (function and custom tool calls). The text
 * arrives as deltas; a call whose text is complete waits for its `done` until it is clear it was not
 * cut off (see `OutputItems.holdCall`).
 */
export class StreamedCallOutput {
  readonly #items: OutputItems;
  readonly #kind: StreamedCallKind;

  constructor(items: OutputItems, kind: StreamedCallKind) {
    this.#items = items;
    this.#kind = kind;
  }

  /** Appends an `in_progress` call with empty text. */
  start(id: string, callId: string, name: string, namespace?: string): void {
    const kind = this.#kind;
    const item: MutableItem = {
      id: this.#items.ids.next(kind.idPrefix),
      type: kind.type,
      status: 'in_progress',
      call_id: callId,
      name,
      [kind.field]: '',
      ...(namespace === undefined ? {} : { namespace }),
    };
    const outputIndex = this.#items.append(item);
    this.#items.parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
  }

  /** Text as it streams. */
  delta(id: string, delta: string): void {
    const part = this.#items.parts.get(id);
    if (!part || delta.length === 0) return;
    part.text += delta;
    this.#items.emit?.({
      type: this.#kind.deltaEvent,
      item_id: part.item.id,
      output_index: part.outputIndex,
      delta,
    });
  }

  /** The complete text; the call's `done` is held. */
  end(id: string, text: string): void {
    const items = this.#items;
    const kind = this.#kind;
    const part = items.parts.get(id);
    if (!part) return;
    items.parts.delete(id);
    part.item[kind.field] = text;
    items.emit?.({
      type: kind.doneEvent,
      item_id: part.item.id,
      output_index: part.outputIndex,
      // `function_call_arguments.done` names the function; `custom_tool_call_input.done` does not.
      ...(kind.field === 'arguments' ? { name: part.item.name } : {}),
      [kind.field]: text,
    });
    items.holdCall({ outputIndex: part.outputIndex, item: part.item });
  }
}
