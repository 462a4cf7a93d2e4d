import type { EventStream } from '../event-stream.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ResponseStore, StoredResponse, ToolCallStore } from '../store/store.js';
import type { PreparedResponse } from './prepare-response.js';
import type { ResponseBody } from './response-object.js';
import type { RanCommand } from './shell-call-runner.js';
import { toStoredItems } from './output-items.js';

/** How often a running response written ahead writes its new stream events and output. */
const eventFlushMs = 250;

export interface RecorderDependencies {
  /** Where the response (its items, events) and each command its shell calls ran are recorded. */
  readonly store: { readonly responses: ResponseStore; readonly toolCalls: ToolCallStore };
  readonly ids: IdGenerator;
  readonly logger: Logger;
}

/** The response a recorder writes. */
export interface RecordedResponse {
  readonly id: string;
  readonly prepared: PreparedResponse;
  /** The Response object, which the run keeps changing; each write takes it as it is then. */
  readonly body: ResponseBody;
  /** The run's events, when it keeps them (streaming or background); null when it keeps none. */
  readonly events: EventStream | null;
  /** Whether it is recorded when accepted and as it runs (`recordAccepted`), not only at its end. */
  readonly writeAhead: boolean;
}

/**
 * Writes a response to the store. One whose id a client learns before it ends — a background one, or
 * a streamed one (`response.created` carries the id) — is written ahead, when it is accepted (`queued`
 * or `in_progress`, with its input), and then as it runs (its events and output so far every so
 * often, so a client can resume the stream from the store and a crash leaves it to be failed at the
 * next start, never missing). Every command its shell calls ran is logged as it ends (the tool-call
 * log), and the final state is written with its output, remaining events and conversation items. A
 * `store: false` response writes nothing, not even its log. Write failures after acceptance are
 * logged, never thrown: the client still gets its answer.
 */
export class ResponseRecorder {
  /** True once the final state is written. */
  recorded = false;
  readonly #dependencies: RecorderDependencies;
  readonly #response: RecordedResponse;
  /** How many of the events are already written. */
  #recordedEvents = 0;
  /** True once the response row and its input are written (`recordAccepted`). */
  #writtenAhead = false;
  /** Tool-call log writes under way; the response is recorded after them. */
  readonly #logWrites: Promise<void>[] = [];
  #flusher: NodeJS.Timeout | undefined;

  constructor(dependencies: RecorderDependencies, response: RecordedResponse) {
    this.#dependencies = dependencies;
    this.#response = response;
  }

  /**
   * For a response written ahead: writes it as accepted (`queued` in the background, else
   * `in_progress`) with its input and its first events, before the client learns its id. Throws when
   * the write fails: a response that could not be recorded is refused rather than acknowledged.
   */
  async recordAccepted(): Promise<void> {
    if (!this.#response.writeAhead || !this.#response.prepared.store) return;
    await this.#dependencies.store.responses.writeResponse({
      response: this.#storedResponse(),
      inputItems: this.#response.prepared.inputItems,
      events: this.#takeUnrecordedEvents(),
    });
    this.#writtenAhead = true;
  }

  /**
   * For a response written ahead: its new state as it starts (a background one leaves `queued`), and
   * from then on its new events and output every so often until `recordFinal`.
   */
  async recordStarted(): Promise<void> {
    if (!this.#writtenAhead) return;
    this.#flusher = setInterval(() => void this.#recordEvents(), eventFlushMs).unref();
    if (this.#response.prepared.background)
      await this.#dependencies.store.responses.writeResponse({ response: this.#storedResponse() });
  }

  /** Records a command in the tool-call log as it ends (so a crash keeps what already ran). */
  logCommand(ran: RanCommand): void {
    const { prepared, id } = this.#response;
    if (!prepared.store) return;
    const { outcome } = ran.result;
    const write = this.#dependencies.store.toolCalls
      .recordToolCall({
        id: this.#dependencies.ids.next('tcl'),
        projectId: prepared.projectId,
        responseId: id,
        callId: ran.call.item.call_id,
        itemId: ran.call.item.id,
        commandIndex: ran.commandIndex,
        command: ran.call.action.commands[ran.commandIndex] ?? '',
        containerId: ran.containerId,
        session: ran.session,
        startedAt: ran.startedAt,
        endedAt: ran.endedAt,
        outcome:
          outcome.type === 'exit' ? { type: 'exit', exitCode: outcome.exit_code } : { type: 'timeout' },
        stdoutBytes: ran.stdoutBytes,
        stderrBytes: ran.stderrBytes,
      })
      .catch((error: unknown) => {
        this.#dependencies.logger.error('recording a tool call failed', {
          responseId: id,
          error: String(error),
        });
      });
    this.#logWrites.push(write);
  }

  /** Writes the response as it ended, once its tool-call log is written. */
  async recordFinal(): Promise<void> {
    clearInterval(this.#flusher);
    this.#flusher = undefined;
    await Promise.all(this.#logWrites);
    const { prepared, id } = this.#response;
    if (!prepared.store) return;
    const outputItems = toStoredItems(this.#response.body.output as { id: string }[]);
    const { conversationId } = prepared;
    try {
      await this.#dependencies.store.responses.writeResponse({
        response: this.#storedResponse(),
        ...(this.#writtenAhead ? {} : { inputItems: prepared.inputItems }),
        outputItems,
        events: this.#takeUnrecordedEvents(),
        ...(conversationId
          ? { conversationItems: { conversationId, items: [...prepared.inputItems, ...outputItems] } }
          : {}),
      });
      this.recorded = true;
    } catch (error) {
      this.#dependencies.logger.error('recording a response failed', {
        responseId: id,
        error: String(error),
      });
    }
  }

  async #recordEvents(): Promise<void> {
    const events = this.#response.events;
    if (!events || this.#recordedEvents === events.length || this.#flusher === undefined) return;
    try {
      await this.#dependencies.store.responses.writeResponse({
        response: this.#storedResponse(),
        events: this.#takeUnrecordedEvents(),
      });
    } catch (error) {
      this.#dependencies.logger.error('recording events failed', {
        responseId: this.#response.id,
        error: String(error),
      });
    }
  }

  #takeUnrecordedEvents() {
    const events = this.#response.events?.events ?? [];
    const unrecorded = events
      .slice(this.#recordedEvents)
      .map((event) => ({ sequenceNumber: event.sequence_number, event }));
    this.#recordedEvents = events.length;
    return unrecorded;
  }

  #storedResponse(): StoredResponse {
    const { id, prepared, body, events } = this.#response;
    return {
      id,
      projectId: prepared.projectId,
      status: body.status,
      createdAt: body.created_at as number,
      previousResponseId: prepared.params.previous_response_id ?? null,
      conversationId: prepared.conversationId,
      background: prepared.background,
      eventsRecorded: events !== null,
      body,
      request: prepared.background ? prepared.params : null,
    };
  }
}
