import type { EventStream } from '../event-stream.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ResponseStore, StoredResponse, ToolCallStore } from '../store/store.js';
import type { PreparedResponse } from './prepare-response.js';
import type { ResponseBody } from './response-object.js';
import type { RanCommand } from './shell-call-runner.js';
import { toStoredItems } from './output-items.js';

/** How often a running background response writes its new stream events. */
const backgroundEventFlushMs = 250;

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
}

/**
 * Writes a response to the store: a background one as `queued` when it is accepted and as it runs
 * (its events every so often, so a client can resume the stream from the store and a crash leaves
 * what was already sent replayable), every command its shell calls ran (the tool-call log), and the
 * final state with its input, output, remaining events and conversation items. A `store: false`
 * response writes nothing, not even its log. Write failures are logged, never thrown: the client
 * still gets its answer.
 */
export class ResponseRecorder {
  /** True once the final state is written. */
  recorded = false;
  readonly #dependencies: RecorderDependencies;
  readonly #response: RecordedResponse;
  /** How many of the events are already written. */
  #recordedEvents = 0;
  /** Tool-call log writes under way; the response is recorded after them. */
  readonly #logWrites: Promise<void>[] = [];
  #flusher: NodeJS.Timeout | undefined;

  constructor(dependencies: RecorderDependencies, response: RecordedResponse) {
    this.#dependencies = dependencies;
    this.#response = response;
  }

  /** Writes an accepted background response as `queued`, with its input, before it starts. */
  async recordAccepted(): Promise<void> {
    await this.#dependencies.store.responses.writeResponse({
      response: this.#storedResponse(),
      inputItems: this.#response.prepared.inputItems,
    });
  }

  /**
   * Writes a background response's new state as it starts (`in_progress`), and from then on its new
   * events every so often until `recordFinal`.
   */
  async recordStarted(): Promise<void> {
    if (!this.#response.prepared.background) return;
    this.#flusher = setInterval(() => void this.#recordEvents(), backgroundEventFlushMs).unref();
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
        ...(prepared.background ? {} : { inputItems: prepared.inputItems }),
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
