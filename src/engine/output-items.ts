import type { IdGenerator } from '../ids.js';
import type { ShellAction } from '../providers/model-provider.js';
import type { StoredItem } from '../store/store.js';
import type { UnsequencedEvent } from './stream-event.js';

/** An output item while it is being built: OpenAI's shape, filled in as the model's events arrive. */
export type MutableItem = Record<string, unknown> & { id: string; type: string };

/** A part of an item that is still streaming: a content part, a reasoning summary, a call's arguments. */
export interface OpenPart {
  /** Where its item is in the output. */
  readonly outputIndex: number;
  /** The item the part belongs to. */
  readonly item: MutableItem;
  /** Its index in the item's `content` (0 for items without content parts). */
  readonly contentIndex: number;
  /** The text streamed so far. */
  text: string;
}

/** A shell call the model finished asking for, waiting to be run (or handed to the client). */
export interface CompletedShellCall {
  /** The `shell_call` item, as it is in the output. */
  readonly item: MutableItem & { call_id: string };
  /** What the call asks for, as the provider gave it (its `invalid` reason included). */
  readonly action: ShellAction;
}

/** A call whose arguments are complete and whose `output_item.done` waits for what comes next. */
interface PendingCall {
  readonly outputIndex: number;
  readonly item: MutableItem;
  /** Set for a `shell_call`: once done, it is handed to whoever runs shell calls. */
  readonly shell?: CompletedShellCall;
}

/**
 * The output list every kind of item is appended to, and what the kinds share: ids, the events
 * (`output_item.added`/`done`), the parts still streaming, and the call whose `done` waits.
 * `output_index` only appends, and the ids in events are the ids in the output.
 */
export class OutputItems {
  /** The output items, in output order. */
  readonly output: MutableItem[] = [];
  /** Mints the items' ids. */
  readonly ids: IdGenerator;
  /** Null when nobody will read the events (a non-streaming response): then none are built. */
  readonly emit: ((event: UnsequencedEvent) => void) | null;
  /** Open parts by the provider's part id, in the order they started (they are closed in it). */
  readonly parts = new Map<string, OpenPart>();
  /**
   * The last call whose arguments are complete but whose `output_item.done` waits: if the model is cut
   * off right after it (`max_output_tokens`), the call is reported `incomplete`, so a client never
   * executes truncated arguments as if they were whole.
   */
  #pendingCall: PendingCall | undefined;
  /** Shell calls whose `done` was sent and that nobody has taken yet. */
  #completedShellCalls: CompletedShellCall[] = [];

  constructor(ids: IdGenerator, emit: ((event: UnsequencedEvent) => void) | null) {
    this.ids = ids;
    this.emit = emit;
  }

  /** Appends an item (after settling the pending call) and announces it; returns its output index. */
  append(item: MutableItem): number {
    this.flushPendingCall('completed');
    const outputIndex = this.output.length;
    this.output.push(item);
    this.emit?.({
      type: 'response.output_item.added',
      output_index: outputIndex,
      // The item grows after this event; it holds no nested content yet, so a shallow copy with its
      // own empty content and summary lists is a faithful snapshot.
      item: snapshotNewItem(item),
    });
    return outputIndex;
  }

  /** Announces an item as done. */
  done(outputIndex: number, item: MutableItem): void {
    this.emit?.({
      type: 'response.output_item.done',
      output_index: outputIndex,
      // A done item never changes again, so the event can carry it as it is.
      item,
    });
  }

  /**
   * Appends an item that arrives whole and announces it done at once. With `addedStatus`, the
   * `output_item.added` event shows the item with that status (as OpenAI shows a call it is about to
   * finish) and the item keeps its own status for `done`.
   */
  appendDone(item: MutableItem, addedStatus?: string): void {
    const status = item.status;
    if (addedStatus !== undefined) item.status = addedStatus;
    const outputIndex = this.append(item);
    if (addedStatus !== undefined) item.status = status;
    this.done(outputIndex, item);
  }

  /** Holds a call's `done` until the next item or the end says whether it was cut off. */
  holdCall(call: PendingCall): void {
    this.flushPendingCall('completed');
    this.#pendingCall = call;
  }

  /** Sends the held call's `done` with `status`; a completed shell call becomes ready to run. */
  flushPendingCall(status: 'completed' | 'incomplete'): void {
    const call = this.#pendingCall;
    if (!call) return;
    this.#pendingCall = undefined;
    call.item.status = status;
    this.done(call.outputIndex, call.item);
    if (call.shell && status === 'completed') this.#completedShellCalls.push(call.shell);
  }

  /** The shell calls completed since the last call, in output order. */
  takeShellCalls(): CompletedShellCall[] {
    this.flushPendingCall('completed');
    const calls = this.#completedShellCalls;
    this.#completedShellCalls = [];
    return calls;
  }
}

/** Output items as stored items (as they are recorded, and as a follow-up's context holds them). */
export function toStoredItems(output: readonly { readonly id: string }[]): StoredItem[] {
  return output.map((item) => ({ id: item.id, item }));
}

function snapshotNewItem(item: MutableItem): MutableItem {
  const copy = { ...item };
  if (Array.isArray(item.content)) copy.content = [...(item.content as unknown[])];
  if (Array.isArray(item.summary)) copy.summary = [...(item.summary as unknown[])];
  return copy;
}
