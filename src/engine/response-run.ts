import { BerthError } from '../errors/berth-error.js';
import { unixSeconds, type Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ShellHost } from '../containers/shell-host.js';
import type { FinishReason, ModelEvent, ModelRequest, ModelUsage } from '../providers/model-provider.js';
import type {
  JsonObject,
  ResponseStore,
  StoredContainerFile,
  StoredItem,
  ToolCallStore,
} from '../store/store.js';
import { estimateContextTokens } from './compaction/estimate-context-tokens.js';
import { summarizeForCompaction } from './compaction/summarize-for-compaction.js';
import { citeContainerFiles } from './container-file-citations.js';
import { OutputAssembler } from './output-assembler.js';
import { toModelRequest, type PreparedResponse } from './prepare-response.js';
import { refuseShellCall, runShellCall, type RanCommand } from './shell-call-runner.js';
import { createResponseBody, toUsage, type ResponseBody } from './response-object.js';
import type { StreamEvent, UnsequencedEvent } from './stream-event.js';

/** How often a running background response writes its new stream events. */
const backgroundEventFlushMs = 250;

/**
 * Hosted tool calls one response may make when the request sets no `max_tool_calls`: a bound on a model
 * that never stops calling the shell.
 */
export const defaultMaxToolCalls = 200;

type TurnFinish = { reason: FinishReason; usage: ModelUsage };

/** Why a run was stopped from outside. */
export type StopReason = 'cancel' | 'disconnect' | 'shutdown';

export interface RunDependencies {
  /** Where the run records the response (its items, events) and each command its shell calls ran. */
  readonly store: { readonly responses: ResponseStore; readonly toolCalls: ToolCallStore };
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where hosted shell calls run; absent when the server has no containers. */
  readonly containers?: ShellHost;
}

/**
 * One response being produced: it calls the model, assembles the output, emits the stream events,
 * and records the result. Listeners may attach at any time and replay from any sequence number.
 */
export class ResponseRun {
  readonly id: string;
  readonly prepared: PreparedResponse;
  readonly body: ResponseBody;
  /** Every event so far, when the run keeps them (streaming or background). */
  readonly events: StreamEvent[] = [];
  /** The error that failed the run, for non-streaming callers to report with its status. */
  failure: BerthError | undefined;
  /** The Response as it was when the run was accepted (what a background create answers). */
  accepted: ResponseBody | undefined;
  /** True once the run's final state is written to the store. */
  recorded = false;
  /** Settles once the run has ended and its result is recorded. Never rejects. */
  finished: Promise<void> = Promise.resolve();

  readonly #dependencies: RunDependencies;
  readonly #keepEvents: boolean;
  readonly #abort = new AbortController();
  readonly #waiters = new Set<() => void>();
  #stopReason: StopReason | undefined;
  #sequence = 0;
  /** How many of `events` are already written (background runs write them as they go). */
  #recordedEvents = 0;
  #ended = false;
  /** False when the run records its input without calling the model (WebSocket `generate: false`). */
  readonly #generate: boolean;
  /** The container's files, for citations in the final answer; refreshed after commands ran. */
  #citableFiles: readonly StoredContainerFile[] = [];
  #filesChanged = false;
  /** Tool-call log writes under way; the response is recorded after them. */
  readonly #logWrites: Promise<void>[] = [];

  constructor(
    dependencies: RunDependencies,
    prepared: PreparedResponse,
    id: string,
    createdAt: number,
    generate = true,
  ) {
    this.#generate = generate;
    this.#dependencies = dependencies;
    this.prepared = prepared;
    this.id = id;
    this.body = createResponseBody(prepared, id, createdAt, prepared.background ? 'queued' : 'in_progress');
    this.#keepEvents = prepared.stream || prepared.background;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Starts the work. A background run is recorded as `queued` before this returns. */
  async start(): Promise<void> {
    if (this.prepared.background) {
      await this.#dependencies.store.responses.writeResponse({
        response: this.#storedResponse(),
        inputItems: this.prepared.inputItems,
      });
      this.accepted = structuredClone(this.body);
    }
    this.finished = this.#execute();
  }

  /** Stops the run; it ends as `cancelled` (cancel, disconnect) or `failed` (shutdown). */
  stop(reason: StopReason): void {
    if (this.#ended || this.#stopReason) return;
    this.#stopReason = reason;
    this.#abort.abort(new Error(`response ${reason}`));
  }

  /** The run's events after `startingAfter`, live until the run ends. */
  async *eventsAfter(startingAfter: number): AsyncGenerator<StreamEvent> {
    let next = startingAfter + 1;
    for (;;) {
      while (next < this.events.length) {
        const event = this.events[next++];
        if (event) yield event;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  #emit(event: UnsequencedEvent): void {
    if (!this.#keepEvents) return;
    this.events.push({ ...event, sequence_number: this.#sequence++ });
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /**
   * A lifecycle event carries the Response as it is now. Before the run ends the body still changes,
   * so it is copied (its output is still empty then, so a shallow copy is whole); the terminal event
   * carries the final body itself, which nothing changes afterwards.
   */
  #lifecycle(type: string, final = false): void {
    if (!this.#keepEvents) return;
    this.#emit({ type, response: final ? this.body : { ...this.body, output: [...this.body.output] } });
  }

  async #execute(): Promise<void> {
    const shell = this.prepared.shell;
    const assembler = new OutputAssembler(
      this.#dependencies.ids,
      this.#keepEvents ? (event) => this.#emit(event) : null,
      {
        shellEnvironment: shell?.environment ?? null,
        ...(shell?.mode === 'hosted'
          ? { annotate: (text: string) => citeContainerFiles(text, shell.containerId, this.#citableFiles) }
          : {}),
      },
    );
    this.body.output = assembler.output;
    this.#lifecycle('response.created');
    if (this.prepared.background) this.#lifecycle('response.queued');
    this.body.status = 'in_progress';
    this.#lifecycle('response.in_progress');
    // A background response's events are written as it runs, so a client can resume its stream from
    // the store and a crash leaves what was already sent replayable.
    const flusher = this.prepared.background
      ? setInterval(() => void this.#recordEvents(), backgroundEventFlushMs).unref()
      : undefined;
    try {
      if (this.prepared.background) {
        await this.#dependencies.store.responses.writeResponse({ response: this.#storedResponse() });
      }
      const finish = this.#generate ? await this.#runLoop(assembler) : undefined;
      if (this.#stopReason) throw new Error('stopped');
      this.#complete(assembler, finish);
    } catch (error) {
      this.#fail(assembler, error);
    }
    clearInterval(flusher);
    await Promise.all(this.#logWrites);
    await this.#record();
    this.#ended = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /**
   * The agent loop: a model turn, then the hosted shell calls it made, their outputs appended, then the
   * next turn with everything so far — until the model answers without a hosted call, a client must act
   * (a function call, or a client-executed shell call), or the run is stopped. Usage adds up over turns.
   */
  async #runLoop(assembler: OutputAssembler): Promise<TurnFinish | undefined> {
    const shell = this.prepared.shell;
    const maxToolCalls = this.prepared.params.max_tool_calls ?? defaultMaxToolCalls;
    let toolCalls = 0;
    let usage: ModelUsage | undefined;
    let contextTokens: number | undefined;
    for (let turn = 0; ; turn++) {
      const lastTurn = toolCalls >= maxToolCalls;
      let request = this.#turnRequest(turn, lastTurn);
      if (this.#shouldCompact(request, contextTokens)) {
        usage = addUsage(usage, await this.#compact(assembler));
        if (this.#stopReason) return undefined;
        request = this.#turnRequest(turn, lastTurn);
      }
      const outputBefore = assembler.output.length;
      const finish = await this.#runModel(assembler, request);
      if (finish) usage = addUsage(usage, finish.usage);
      // What the upstream counted for this turn is about what the next one starts from.
      contextTokens = finish ? finish.usage.inputTokens + finish.usage.outputTokens : undefined;
      const result = finish && usage ? { reason: finish.reason, usage } : finish;
      if (this.#stopReason || shell?.mode !== 'hosted') return result;
      if (finish && (finish.reason === 'length' || finish.reason === 'content_filter')) return result;
      const calls = assembler.takeShellCalls();
      if (calls.length === 0) return result;
      for (const call of calls) {
        if (this.#stopReason) return result;
        if (toolCalls >= maxToolCalls) {
          refuseShellCall(
            call,
            assembler,
            `not run: this response reached max_tool_calls (${maxToolCalls}).`,
          );
          continue;
        }
        toolCalls += 1;
        await runShellCall(call, assembler, {
          containers: this.#containers(),
          projectId: this.prepared.projectId,
          containerId: shell.containerId,
          signal: this.#abort.signal,
          now: () => this.#dependencies.clock.now(),
          onCommandRan: (ran) => this.#logCommand(ran),
        });
        this.#filesChanged = true;
      }
      // A function call in the same turn is the client's to run: the response ends for it.
      if (this.#stopReason || lastTurn || assembler.hasFunctionCalls(outputBefore)) return result;
    }
  }

  /**
   * What the model is asked on a turn: the context, this request's input and the output so far. A
   * forcing `tool_choice` applies to the first turn only (else the model could never answer); once
   * `max_tool_calls` is reached the model is told to use no tools.
   */
  #turnRequest(turn: number, lastTurn: boolean): ModelRequest {
    const request = toModelRequest(this.prepared, this.outputItems);
    if (turn === 0) return request;
    const choice = request.toolChoice;
    const forcing = choice === 'required' || (typeof choice === 'object' && choice?.type !== 'allowed_tools');
    return { ...request, toolChoice: lastTurn ? 'none' : forcing ? 'auto' : choice };
  }

  /** The output so far as stored items (as they are recorded, and as a follow-up's context holds them). */
  get outputItems(): StoredItem[] {
    return this.body.output.map((item) => ({ id: (item as { id: string }).id, item: item as JsonObject }));
  }

  /**
   * Whether the context has passed the response's `compact_threshold`: before the first turn by a local
   * estimate, later by what the upstream counted for the turn before. A context with nothing but user
   * messages has nothing to summarise.
   */
  #shouldCompact(request: ModelRequest, contextTokens: number | undefined): boolean {
    const threshold = this.prepared.compactThreshold;
    if (threshold === null) return false;
    if ((contextTokens ?? estimateContextTokens(request)) < threshold) return false;
    return request.input.some((item) => !('role' in item && item.role === 'user'));
  }

  /**
   * Compacts mid-response: the model writes a summary, then a `compaction` output item carrying it
   * is added (`output_item.added`, `response.compaction.compacting`, `output_item.done`), and later
   * turns see it instead of what came before it.
   */
  async #compact(assembler: OutputAssembler): Promise<ModelUsage> {
    const items = [...this.prepared.contextItems, ...this.prepared.inputItems, ...this.outputItems];
    // The item is added only once its summary exists: a summary that fails (or a cancel during it)
    // must not leave a compaction item without a sealed blob in the output, which no later request
    // could send back.
    const result = await summarizeForCompaction(items, {
      resolved: this.prepared.resolved,
      model: this.prepared.params.model,
      projectId: this.prepared.projectId,
      instructions: this.prepared.params.instructions ?? null,
      sealer: this.prepared.compactionSealer,
      ids: this.#dependencies.ids,
      clock: this.#dependencies.clock,
      signal: this.#abort.signal,
    });
    assembler.addCompaction(String(result.compactionItem.item.encrypted_content));
    return result.usage;
  }

  /** One model turn, applied to the output as it arrives; returns how the model finished. */
  async #runModel(assembler: OutputAssembler, request: ModelRequest): Promise<TurnFinish | undefined> {
    const { provider } = this.prepared.resolved;
    const signal = this.#abort.signal;
    const events: AsyncIterable<ModelEvent> | Iterable<ModelEvent> = this.#keepEvents
      ? provider.stream(request, signal)
      : await provider.complete(request, signal);
    let finish: TurnFinish | undefined;
    for await (const event of events) {
      if (this.#stopReason) break;
      if (event.type === 'finish') finish = { reason: event.reason, usage: event.usage };
      else {
        // Files the commands wrote are looked up once, when the answer starts, to cite them in it.
        if (event.type === 'text-start' && this.#filesChanged) await this.#refreshCitableFiles();
        assembler.apply(event);
      }
    }
    return finish;
  }

  async #refreshCitableFiles(): Promise<void> {
    this.#filesChanged = false;
    const shell = this.prepared.shell;
    if (shell?.mode !== 'hosted' || !this.#dependencies.containers) return;
    try {
      this.#citableFiles = await this.#dependencies.containers.allFiles(
        this.prepared.projectId,
        shell.containerId,
      );
    } catch (error) {
      // Citations are a convenience: an expired container costs them, not the answer.
      this.#dependencies.logger.warn('listing container files for citations failed', {
        responseId: this.id,
        error: String(error),
      });
    }
  }

  #containers(): ShellHost {
    const { containers } = this.#dependencies;
    if (!containers) throw new Error('a hosted shell response needs the container service');
    return containers;
  }

  /**
   * Records a command in the tool-call log as it ends (so a crash keeps what already ran). Responses
   * with `store: false` keep no log: they keep nothing.
   */
  #logCommand(ran: RanCommand): void {
    if (!this.prepared.store) return;
    const { outcome } = ran.result;
    const write = this.#dependencies.store.toolCalls
      .recordToolCall({
        id: this.#dependencies.ids.next('tcl'),
        projectId: this.prepared.projectId,
        responseId: this.id,
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
          responseId: this.id,
          error: String(error),
        });
      });
    this.#logWrites.push(write);
  }

  #complete(
    assembler: OutputAssembler,
    finish: { reason: FinishReason; usage: ModelUsage } | undefined,
  ): void {
    const reason = finish?.reason ?? 'stop';
    const incomplete = reason === 'length' || reason === 'content_filter';
    assembler.finish(incomplete ? 'incomplete' : 'completed');
    this.body.usage = finish ? toUsage(finish.usage) : null;
    if (incomplete) {
      this.body.status = 'incomplete';
      this.body.incomplete_details = { reason: reason === 'length' ? 'max_output_tokens' : 'content_filter' };
      this.#lifecycle('response.incomplete', true);
    } else {
      this.body.status = 'completed';
      this.body.completed_at = unixSeconds(this.#dependencies.clock);
      this.#lifecycle('response.completed', true);
    }
  }

  #fail(assembler: OutputAssembler, error: unknown): void {
    assembler.finish('incomplete');
    const reason = this.#stopReason;
    if (reason === 'cancel' || reason === 'disconnect') {
      this.body.status = 'cancelled';
      this.#lifecycle('response.failed', true);
      return;
    }
    const failure =
      reason === 'shutdown'
        ? new BerthError('server_shutting_down', 'The server shut down before this response finished.')
        : error instanceof BerthError
          ? error
          : new BerthError('server_error', 'The server had an error while processing your request.', {
              cause: error,
            });
    if (!(error instanceof BerthError) && reason === undefined) {
      this.#dependencies.logger.error('response failed', { responseId: this.id, error: String(error) });
    }
    this.failure = failure;
    this.body.status = 'failed';
    this.body.error = { code: failure.wireCode ?? failure.code, message: failure.message };
    if (reason === 'shutdown') {
      this.#emit({ type: 'error', code: failure.code, message: failure.message, param: null });
    }
    this.#lifecycle('response.failed', true);
  }

  async #recordEvents(): Promise<void> {
    if (this.#recordedEvents === this.events.length || this.#ended) return;
    const events = this.#takeUnrecordedEvents();
    try {
      await this.#dependencies.store.responses.writeResponse({ response: this.#storedResponse(), events });
    } catch (error) {
      this.#dependencies.logger.error('recording events failed', {
        responseId: this.id,
        error: String(error),
      });
    }
  }

  #takeUnrecordedEvents() {
    const events = this.events
      .slice(this.#recordedEvents)
      .map((event) => ({ sequenceNumber: event.sequence_number, event }));
    this.#recordedEvents = this.events.length;
    return events;
  }

  async #record(): Promise<void> {
    if (!this.prepared.store) return;
    const { outputItems } = this;
    const { conversationId } = this.prepared;
    try {
      await this.#dependencies.store.responses.writeResponse({
        response: this.#storedResponse(),
        ...(this.prepared.background ? {} : { inputItems: this.prepared.inputItems }),
        outputItems,
        events: this.#takeUnrecordedEvents(),
        ...(conversationId
          ? { conversationItems: { conversationId, items: [...this.prepared.inputItems, ...outputItems] } }
          : {}),
      });
      this.recorded = true;
    } catch (error) {
      this.#dependencies.logger.error('recording a response failed', {
        responseId: this.id,
        error: String(error),
      });
    }
  }

  #storedResponse() {
    return {
      id: this.id,
      projectId: this.prepared.projectId,
      status: this.body.status,
      createdAt: this.body.created_at as number,
      previousResponseId: this.prepared.params.previous_response_id ?? null,
      conversationId: this.prepared.conversationId,
      background: this.prepared.background,
      eventsRecorded: this.#keepEvents,
      body: this.body,
      request: this.prepared.background ? (this.prepared.params as JsonObject) : null,
    };
  }
}

function addUsage(total: ModelUsage | undefined, turn: ModelUsage): ModelUsage {
  if (!total) return turn;
  return {
    inputTokens: total.inputTokens + turn.inputTokens,
    outputTokens: total.outputTokens + turn.outputTokens,
    cachedInputTokens: (total.cachedInputTokens ?? 0) + (turn.cachedInputTokens ?? 0),
    reasoningTokens: (total.reasoningTokens ?? 0) + (turn.reasoningTokens ?? 0),
  };
}
