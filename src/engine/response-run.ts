import { BerthError } from '../errors/berth-error.js';
import type { Clock } from '../clock.js';
import { EventStream } from '../event-stream.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { FinishedResponse, Metrics } from '../metrics.js';
import { activeSpan, noSpan, noTracing, withActiveSpan, type Tracing } from '../tracing.js';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { ShellHost } from '../containers/shell-host.js';
import type { ResponseStore, StoredItem, ToolCallStore } from '../store/store.js';
import { OutputAssembler } from './output-assembler.js';
import type { PreparedResponse } from './prepare-response.js';
import { createResponseBody, type ResponseBody } from './response-object.js';
import { ResponseRecorder } from './response-recorder.js';
import { settleFailed, settleFinished, type StopReason, type TerminalEvent } from './response-status.js';
import type { StreamEvent, UnsequencedEvent } from './stream-event.js';
import { toStoredItems } from './output-items.js';
import { ToolLoop } from './tool-loop.js';
import { genAiProviderName } from './gen-ai-provider-name.js';

export { defaultMaxToolCalls } from './tool-loop.js';
export type { StopReason } from './response-status.js';

export interface RunDependencies {
  /** Where the run records the response (its items, events) and each command its shell calls ran. */
  readonly store: { readonly responses: ResponseStore; readonly toolCalls: ToolCallStore };
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where hosted shell calls run; absent when the server has no containers. */
  readonly containers?: ShellHost;
  /** Where finished responses, model calls and shell commands are counted. */
  readonly metrics?: Metrics;
  /** Spans of the response, its model calls, tool calls and sandbox operations. */
  readonly tracing?: Tracing;
}

/**
 * One response being produced. It ties together the parts that do the work: the tool loop (model
 * turns and hosted shell calls, `ToolLoop`), the output it builds (`OutputAssembler`), the events it
 * emits (an `EventStream` that listeners may attach to at any time and replay from any sequence
 * number) and the recording of the result (`ResponseRecorder`). It owns the response's lifecycle:
 * queued → in progress → completed, incomplete, failed or cancelled.
 */
export class ResponseRun {
  readonly id: string;
  readonly prepared: PreparedResponse;
  readonly body: ResponseBody;
  /** The error that failed the run, for non-streaming callers to report with its status. */
  failure: BerthError | undefined;
  /** The Response as it was when the run was accepted (what a background create answers). */
  accepted: ResponseBody | undefined;
  /** Settles once the run has ended and its result is recorded. Never rejects. */
  finished: Promise<void> = Promise.resolve();

  readonly #dependencies: RunDependencies;
  /** True when the run keeps its events (streaming or background). */
  readonly #keepEvents: boolean;
  readonly #stream = new EventStream();
  readonly #recorder: ResponseRecorder;
  readonly #abort = new AbortController();
  #stopReason: StopReason | undefined;
  /** False when the run records its input without calling the model (WebSocket `generate: false`). */
  readonly #generate: boolean;
  /** The `invoke_agent` span; the run's model and tool call spans are its children. */
  readonly #span: Span;

  constructor(
    dependencies: RunDependencies,
    prepared: PreparedResponse,
    id: string,
    createdAt: number,
    generate = true,
    /** The response's `invoke_agent` span, when its creator started it (to include provisioning). */
    span?: Span,
  ) {
    this.#generate = generate;
    this.#span = span ?? startInvokeAgentSpan(dependencies.tracing ?? noTracing, prepared, id);
    this.#dependencies = dependencies;
    this.prepared = prepared;
    this.id = id;
    this.body = createResponseBody(prepared, id, createdAt, prepared.background ? 'queued' : 'in_progress');
    this.#keepEvents = prepared.stream || prepared.background;
    this.#recorder = new ResponseRecorder(dependencies, {
      id,
      prepared,
      body: this.body,
      events: this.#keepEvents ? this.#stream : null,
      // Written ahead when the client learns the id before the run ends.
      writeAhead: prepared.background || (this.#keepEvents && generate),
    });
  }

  /** Every event so far, when the run keeps them (streaming or background). */
  get events(): readonly StreamEvent[] {
    return this.#stream.events;
  }

  /** True once the run has ended and its result is recorded. */
  get ended(): boolean {
    return this.#stream.ended;
  }

  /** True once the run's final state is written to the store. */
  get recorded(): boolean {
    return this.#recorder.recorded;
  }

  /** The output so far as stored items (as they are recorded, and as a follow-up's context holds them). */
  get outputItems(): StoredItem[] {
    return toStoredItems(this.body.output as { id: string }[]);
  }

  /**
   * Starts the work. A run whose id the client learns before it ends (background, or streamed: the
   * first event carries it) is recorded before this returns, so no crash can lose what was
   * acknowledged (`ResponseRecorder`).
   */
  async start(): Promise<void> {
    let acceptance!: Acceptance;
    const announced = new Promise<void>((resolve, reject) => {
      acceptance = { resolve, reject };
    });
    const span = this.#span;
    this.finished = withActiveSpan(span, () => this.#execute(acceptance, span)).finally(() => span.end());
    await announced;
  }

  /** Stops the run; it ends as `cancelled` (cancel, disconnect) or `failed` (shutdown). */
  stop(reason: StopReason): void {
    if (this.ended || this.#stopReason) return;
    this.#stopReason = reason;
    this.#abort.abort(new Error(`response ${reason}`));
  }

  /** The run's events after `startingAfter`, live until the run ends. */
  eventsAfter(startingAfter: number): AsyncGenerator<StreamEvent> {
    return this.#stream.after(startingAfter);
  }

  #emit(event: UnsequencedEvent): void {
    if (this.#keepEvents) this.#stream.push(event);
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

  /**
   * The run, from its first events to its recorded end. `accepted` settles once the run may be
   * announced: at once, or for a run written ahead once its row, input and first events are stored
   * (a client is only given the id after that); it rejects, and the run ends unannounced, when that
   * write fails.
   */
  /** The outcome on the response's span: final status, token usage, and the error if it failed. */
  #endSpan(span: Span): void {
    const usage = this.body.usage as { input_tokens?: number; output_tokens?: number } | null;
    span.setAttributes({
      'berth.response.status': this.body.status,
      ...(usage?.input_tokens !== undefined ? { 'gen_ai.usage.input_tokens': usage.input_tokens } : {}),
      ...(usage?.output_tokens !== undefined ? { 'gen_ai.usage.output_tokens': usage.output_tokens } : {}),
    });
    const tracing = this.#dependencies.tracing;
    if (tracing?.captureContent) {
      span.setAttribute(
        'gen_ai.input.messages',
        JSON.stringify(this.prepared.inputItems.map((item) => item.item)),
      );
      span.setAttribute('gen_ai.output.messages', JSON.stringify(this.body.output));
    }
    if (this.failure) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: this.failure.message });
      span.setAttribute('error.type', this.failure.code);
    }
  }

  async #execute(accepted: Acceptance, span: Span): Promise<void> {
    const { ids, clock, logger } = this.#dependencies;
    const shell = this.prepared.shell;
    const loop = new ToolLoop(this.#dependencies, {
      responseId: this.id,
      prepared: this.prepared,
      streaming: this.#keepEvents,
      signal: this.#abort.signal,
      onCommandRan: (ran) => {
        this.#recorder.logCommand(ran);
        const { outcome } = ran.result;
        // On the tool call's span, which is the active one while its commands run.
        activeSpan()?.addEvent('berth.shell.command', {
          'berth.shell.command.index': ran.commandIndex,
          'berth.shell.exit_code': outcome.type === 'exit' ? outcome.exit_code : -1,
          'berth.shell.timed_out': outcome.type === 'timeout',
          'berth.shell.duration_ms': ran.endedAt - ran.startedAt,
        });
        this.#dependencies.metrics?.shellCommand(
          outcome.type === 'exit' ? outcome.exit_code : 'timeout',
          (ran.endedAt - ran.startedAt) / 1000,
        );
      },
    });
    const assembler = new OutputAssembler(ids, this.#keepEvents ? (event) => this.#emit(event) : null, {
      shellEnvironment: shell?.environment ?? null,
      ...(shell?.mode === 'hosted' ? { annotate: (text: string) => loop.cite(text) } : {}),
    });
    this.body.output = assembler.output;
    this.#lifecycle('response.created');
    if (this.prepared.background) {
      this.#lifecycle('response.queued');
      this.accepted = structuredClone(this.body);
    }
    try {
      await this.#recorder.recordAccepted();
    } catch (error) {
      this.#stream.end();
      accepted.reject(error);
      return;
    }
    accepted.resolve();
    this.body.status = 'in_progress';
    this.#lifecycle('response.in_progress');
    let terminal: TerminalEvent;
    try {
      await this.#recorder.recordStarted();
      const finish = this.#generate ? await loop.run(assembler) : undefined;
      if (this.#stopReason) throw new Error('stopped');
      const incomplete = finish?.reason === 'length' || finish?.reason === 'content_filter';
      assembler.finish(incomplete ? 'incomplete' : 'completed');
      terminal = settleFinished(this.body, finish, clock);
    } catch (error) {
      assembler.finish('incomplete');
      const reason = this.#stopReason;
      this.failure = settleFailed(this.body, error, reason);
      if (reason === undefined && !(error instanceof BerthError)) {
        logger.error('response failed', { responseId: this.id, error: String(error) });
      }
      if (reason === 'shutdown' && this.failure) {
        this.#emit({ type: 'error', code: this.failure.code, message: this.failure.message, param: null });
      }
      terminal = 'response.failed';
    }
    this.#lifecycle(terminal, true);
    this.#endSpan(span);
    this.#dependencies.metrics?.responseFinished({
      providerKind: this.prepared.resolved.provider.kind,
      model: this.prepared.resolved.model,
      status: this.body.status,
      usage: this.body.usage as FinishedResponse['usage'],
      output: this.body.output as FinishedResponse['output'],
    });
    await this.#recorder.recordFinal();
    this.#stream.end();
  }
}

/**
 * Starts a response's span, as OpenTelemetry's GenAI conventions name an agent invocation; not
 * active yet, and ended when its run has ended.
 */
export function startInvokeAgentSpan(tracing: Tracing, prepared: PreparedResponse, id: string): Span {
  if (tracing === noTracing) return noSpan;
  const { resolved, conversationId } = prepared;
  return tracing.tracer.startSpan('invoke_agent', {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': genAiProviderName(resolved.provider),
      'gen_ai.request.model': resolved.model,
      'gen_ai.response.id': id,
      ...(conversationId ? { 'gen_ai.conversation.id': conversationId } : {}),
      'berth.provider.kind': resolved.provider.kind,
      'berth.response.background': prepared.background,
      'berth.response.stream': prepared.stream,
    },
  });
}

/** Settles `start`: the run may be announced, or it could not be recorded. */
interface Acceptance {
  resolve(): void;
  reject(error: unknown): void;
}
