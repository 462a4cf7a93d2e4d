/** An event as a client receives it: its `type`, its `sequence_number` in its stream, and its fields. */
export interface SequencedEvent {
  /** The event's name on the wire (`response.output_text.delta`, `exec.output.delta`). */
  readonly type: string;
  /** Its position in the stream, from 0: what `starting_after` resumes from. */
  readonly sequence_number: number;
  readonly [field: string]: unknown;
}

/** An event before the stream gives it its sequence number. */
export type UnsequencedEvent = { readonly type: string; readonly [field: string]: unknown };

export interface EventStreamOptions {
  /**
   * True (the default) keeps every event, so any number of readers can start from any sequence number
   * (a response's replay). False hands each event to one reader and then lets it go, so a stream
   * read as fast as it is written holds almost nothing (the exec endpoint's output).
   */
  readonly replayable?: boolean;
}

/**
 * Events produced by callbacks and read as an async iterable: numbered in order from 0, read live
 * until `end()`. Used by a response run (many readers, replay from any point) and by the exec
 * endpoint (one reader); SSE and WebSocket writers consume it the same way.
 *
 * @example
 * const stream = new EventStream();
 * stream.push({ type: 'exec.command.started', index: 0 });
 * stream.end();
 * for await (const event of stream) console.log(event.sequence_number, event.type);
 */
export class EventStream implements AsyncIterable<SequencedEvent> {
  readonly #replayable: boolean;
  /** The kept events; when not replayable, only those the reader has not taken yet. */
  #events: SequencedEvent[] = [];
  #sequence = 0;
  #ended = false;
  /** Readers waiting for the next event or the end. */
  readonly #waiters = new Set<() => void>();

  constructor(options: EventStreamOptions = {}) {
    this.#replayable = options.replayable ?? true;
  }

  /** Every event so far, in order (for a stream that is not replayable: those not read yet). */
  get events(): readonly SequencedEvent[] {
    return this.#events;
  }

  /** How many events were pushed: the next one's sequence number. */
  get length(): number {
    return this.#sequence;
  }

  /** True once `end()` was called: readers stop after the last event. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Numbers the event, keeps it and wakes the readers. Returns it as it is streamed. */
  push(event: UnsequencedEvent): SequencedEvent {
    const sequenced = { ...event, sequence_number: this.#sequence++ };
    this.#events.push(sequenced);
    this.#wake();
    return sequenced;
  }

  /** Marks the stream complete: readers finish once they have read every event. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** The events after sequence number `startingAfter` (-1 for all), live until the stream ends. */
  async *after(startingAfter: number): AsyncGenerator<SequencedEvent> {
    let next = startingAfter + 1;
    for (;;) {
      if (this.#replayable) {
        while (next < this.#events.length) {
          const event = this.#events[next++];
          if (event) yield event;
        }
      } else {
        // One reader takes what is there, so the stream holds only what is not yet read.
        while (this.#events.length > 0) {
          const batch = this.#events;
          this.#events = [];
          yield* batch.filter((event) => event.sequence_number >= next);
        }
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<SequencedEvent> {
    return this.after(-1);
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
