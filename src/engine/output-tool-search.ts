import type { Tool } from 'openai/resources/responses/responses';
import type { OutputItems } from './output-items.js';

/** A `tool_search_call` Berth must answer: the upstream left it to Berth (`execution: "server"`). */
export interface PendingToolSearch {
  readonly callId: string | null;
  readonly arguments: unknown;
}

/**
 * The `tool_search_call` and `tool_search_output` items of an output. Both arrive whole (OpenAI streams
 * no deltas for them), so each is added and done at once. A server-executed call that no output
 * answered in the same turn is pending: Berth runs the search (`tool-search-runner.ts`).
 */
export class ToolSearchOutput {
  readonly #items: OutputItems;
  #pending: PendingToolSearch[] = [];

  constructor(items: OutputItems) {
    this.#items = items;
  }

  /** Appends a completed `tool_search_call`. */
  call(callId: string | null, argumentsValue: unknown, execution: 'server' | 'client'): void {
    this.#items.appendDone({
      id: this.#items.ids.next('tsc'),
      type: 'tool_search_call',
      call_id: callId,
      arguments: argumentsValue,
      execution,
      status: 'completed',
    });
    if (execution === 'server') this.#pending.push({ callId, arguments: argumentsValue });
  }

  /** Appends a completed `tool_search_output`; it answers the pending call of its `callId` (or the last). */
  output(callId: string | null, tools: readonly Tool[], execution: 'server' | 'client'): void {
    this.#items.appendDone({
      id: this.#items.ids.next('tso'),
      type: 'tool_search_output',
      call_id: callId,
      tools: [...tools],
      execution,
      status: 'completed',
    });
    const answered = this.#pending.findLastIndex((call) => callId === null || call.callId === callId);
    if (answered >= 0) this.#pending.splice(answered, 1);
  }

  /** The server-executed searches nothing answered yet, in output order; they are the taker's now. */
  takePending(): PendingToolSearch[] {
    const pending = this.#pending;
    this.#pending = [];
    return pending;
  }
}
