import { ReasoningSealing } from './reasoning-sealing.js';
import type { Clock } from '../clock.js';
import type { ShellHost } from '../containers/shell-host.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { inSpan, noTracing, type Tracing } from '../tracing.js';
import { genAiProviderName } from './gen-ai-provider-name.js';
import type { FinishReason, ModelEvent, ModelRequest, ModelUsage } from '../providers/model-provider.js';
import type { StoredContainerFile } from '../store/store.js';
import { estimateContextTokens } from './compaction/estimate-context-tokens.js';
import { summarizeForCompaction } from './compaction/summarize-for-compaction.js';
import { citeContainerFiles } from './container-file-citations.js';
import type { OutputAssembler } from './output-assembler.js';
import { toStoredItems } from './output-items.js';
import { toModelRequest, type PreparedResponse } from './prepare-response.js';
import { refuseShellCall, runShellCall, type RanCommand } from './shell-call-runner.js';
import { runToolSearches } from './tool-search-runner.js';

/**
 * Hosted tool calls one response may make when the request sets no `max_tool_calls`: a bound on a model
 * that never stops calling the shell.
 */
export const defaultMaxToolCalls = 200;

/** How the model ended a response's last turn, with the usage of every turn added up. */
export interface TurnFinish {
  /** Why the last turn stopped (`length` and `content_filter` make the response incomplete). */
  readonly reason: FinishReason;
  /** Tokens of every turn and compaction so far. */
  readonly usage: ModelUsage;
}

export interface ToolLoopDependencies {
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where hosted shell calls run; absent when the server has no containers. */
  readonly containers?: ShellHost | undefined;
  /** Each model call's duration, time to first event and finish reason. */
  readonly metrics?: Metrics | undefined;
  /** A span per model call (`chat`) and per hosted tool call (`execute_tool`). */
  readonly tracing?: Tracing | undefined;
}

/** The response a loop works for. */
export interface ToolLoopOptions {
  /** The response's id (for logs). */
  readonly responseId: string;
  readonly prepared: PreparedResponse;
  /** True asks the provider to stream (events are emitted as they come), false for one answer a turn. */
  readonly streaming: boolean;
  /** Aborted when the run is stopped: the model call and the running command are interrupted. */
  readonly signal: AbortSignal;
  /** Called as each command of a hosted shell call ends (the tool-call log). */
  readonly onCommandRan: (ran: RanCommand) => void;
}

/**
 * The agent loop of one response: a model turn, then the hosted shell calls it made, their outputs
 * appended, then the next turn with everything so far — until the model answers without a hosted
 * call, a client must act (a function or custom tool call, or a client-executed shell call),
 * `max_tool_calls` is reached, or the run is stopped. Between turns it compacts the context once it
 * passes the response's `compact_threshold`. Usage adds up over turns.
 *
 * @example
 * const loop = new ToolLoop(dependencies, { responseId, prepared, streaming: true, signal, onCommandRan });
 * const assembler = new OutputAssembler(ids, emit, { annotate: (text) => loop.cite(text) });
 * const finish = await loop.run(assembler);
 */
export class ToolLoop {
  readonly #dependencies: ToolLoopDependencies;
  readonly #options: ToolLoopOptions;
  /** The container's files, for citations in the final answer; refreshed after commands ran. */
  #citableFiles: readonly StoredContainerFile[] = [];
  #filesChanged = false;

  constructor(dependencies: ToolLoopDependencies, options: ToolLoopOptions) {
    this.#dependencies = dependencies;
    this.#options = options;
  }

  /** Citations of the container's files that an answer's text names (none without a hosted shell). */
  cite(text: string): readonly object[] {
    const shell = this.#options.prepared.shell;
    if (shell?.mode !== 'hosted') return [];
    return citeContainerFiles(text, shell.containerId, this.#citableFiles);
  }

  /** Runs turns into `assembler` until the response is done; undefined when no turn finished. */
  async run(assembler: OutputAssembler): Promise<TurnFinish | undefined> {
    const { prepared, signal } = this.#options;
    const shell = prepared.shell;
    const maxToolCalls = prepared.params.max_tool_calls ?? defaultMaxToolCalls;
    let toolCalls = 0;
    let usage: ModelUsage | undefined;
    let contextTokens: number | undefined;
    for (let turn = 0; ; turn++) {
      const lastTurn = toolCalls >= maxToolCalls;
      let request = this.#turnRequest(assembler, turn, lastTurn);
      if (this.#shouldCompact(request, contextTokens)) {
        usage = addUsage(usage, await this.#compact(assembler));
        if (signal.aborted) return undefined;
        request = this.#turnRequest(assembler, turn, lastTurn);
      }
      const outputBefore = assembler.output.length;
      const finish = await this.#runModel(assembler, request);
      if (finish) usage = addUsage(usage, finish.usage);
      // What the upstream counted for this turn is about what the next one starts from.
      contextTokens = finish ? finish.usage.inputTokens + finish.usage.outputTokens : undefined;
      const result = finish && usage ? { reason: finish.reason, usage } : finish;
      if (signal.aborted) return result;
      if (finish && (finish.reason === 'length' || finish.reason === 'content_filter')) return result;
      // Searches the provider left to Berth (tool_search on providers without it) run before shell calls.
      const searches = runToolSearches(assembler.takeToolSearches(), assembler, prepared);
      toolCalls += searches;
      const calls = shell?.mode === 'hosted' ? assembler.takeShellCalls() : [];
      if (calls.length === 0 && searches === 0) return result;
      for (const call of calls) {
        if (signal.aborted || shell?.mode !== 'hosted') return result;
        if (toolCalls >= maxToolCalls) {
          refuseShellCall(
            call,
            assembler,
            `not run: this response reached max_tool_calls (${maxToolCalls}).`,
          );
          continue;
        }
        toolCalls += 1;
        const { tracer, captureContent } = this.#dependencies.tracing ?? noTracing;
        const toolAttributes = {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'shell',
          // Run by Berth on the agent's side, not by the client: an extension in the conventions' terms.
          'gen_ai.tool.type': 'extension',
          'gen_ai.tool.call.id': call.item.call_id,
          'berth.container.id': shell.containerId,
          'berth.shell.commands': call.action.commands.length,
          ...(captureContent ? { 'gen_ai.tool.call.arguments': JSON.stringify(call.action) } : {}),
        };
        const containerId = shell.containerId;
        await inSpan(tracer, 'execute_tool shell', toolAttributes, () =>
          runShellCall(call, assembler, {
            containers: this.#containers(),
            projectId: prepared.projectId,
            responseId: this.#options.responseId,
            containerId,
            signal,
            now: () => this.#dependencies.clock.now(),
            onCommandRan: this.#options.onCommandRan,
          }),
        );
        this.#filesChanged = true;
      }
      // A function or custom tool call in the same turn is the client's to run: the response ends for it.
      if (signal.aborted || lastTurn || assembler.hasClientCalls(outputBefore)) return result;
    }
  }

  /**
   * What the model is asked on a turn: the context, this request's input and the output so far. A
   * forcing `tool_choice` applies to the first turn only (else the model could never answer); once
   * `max_tool_calls` is reached the model is told to use no tools.
   */
  #turnRequest(assembler: OutputAssembler, turn: number, lastTurn: boolean): ModelRequest {
    const request = toModelRequest(this.#options.prepared, toStoredItems(assembler.output));
    if (turn === 0) return request;
    const choice = request.toolChoice;
    const forcing = choice === 'required' || (typeof choice === 'object' && choice?.type !== 'allowed_tools');
    return { ...request, toolChoice: lastTurn ? 'none' : forcing ? 'auto' : choice };
  }

  /**
   * Whether the context has passed the response's `compact_threshold`: before the first turn by a local
   * estimate, later by what the upstream counted for the turn before. A context with nothing but user
   * messages has nothing to summarise.
   */
  #shouldCompact(request: ModelRequest, contextTokens: number | undefined): boolean {
    const threshold = this.#options.prepared.compactThreshold;
    if (threshold === null) return false;
    const images = this.#options.prepared.resolved.provider.kind === 'anthropic' ? 'anthropic' : 'openai';
    if ((contextTokens ?? estimateContextTokens(request, images)) < threshold) return false;
    return request.input.some((item) => !('role' in item && item.role === 'user'));
  }

  /**
   * Compacts mid-response: the model writes a summary, then a `compaction` output item carrying it
   * is added (`output_item.added`, `response.compaction.compacting`, `output_item.done`), and later
   * turns see it instead of what came before it.
   */
  async #compact(assembler: OutputAssembler): Promise<ModelUsage> {
    const { prepared } = this.#options;
    const items = [...prepared.contextItems, ...prepared.inputItems, ...toStoredItems(assembler.output)];
    // The item is added only once its summary exists: a summary that fails (or a cancel during it)
    // must not leave a compaction item without a sealed blob in the output, which no later request
    // could send back.
    const result = await summarizeForCompaction(items, {
      resolved: prepared.resolved,
      model: prepared.params.model,
      projectId: prepared.projectId,
      instructions: prepared.params.instructions ?? null,
      sealer: prepared.compactionSealer,
      ids: this.#dependencies.ids,
      clock: this.#dependencies.clock,
      signal: this.#options.signal,
    });
    assembler.addCompaction(String(result.compactionItem.item.encrypted_content));
    return result.usage;
  }

  /** One model turn in a `chat` span (OpenTelemetry's GenAI conventions), with its outcome. */
  #runModel(assembler: OutputAssembler, request: ModelRequest): Promise<TurnFinish | undefined> {
    const { resolved } = this.#options.prepared;
    const { tracer } = this.#dependencies.tracing ?? noTracing;
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': genAiProviderName(resolved.provider),
      'gen_ai.request.model': resolved.model,
    };
    return inSpan(tracer, `chat ${resolved.model}`, attributes, async (span) => {
      const finish = await this.#runModelTurn(assembler, request);
      if (finish) {
        span.setAttributes({
          'gen_ai.response.finish_reasons': [finish.reason],
          'gen_ai.usage.input_tokens': finish.usage.inputTokens,
          'gen_ai.usage.output_tokens': finish.usage.outputTokens,
        });
      }
      return finish;
    });
  }

  /** One model turn, applied to the output as it arrives; returns how the model finished. */
  async #runModelTurn(assembler: OutputAssembler, request: ModelRequest): Promise<TurnFinish | undefined> {
    const { provider } = this.#options.prepared.resolved;
    const { signal } = this.#options;
    const startedAt = performance.now();
    let events: AsyncIterable<ModelEvent> | Iterable<ModelEvent>;
    try {
      events = this.#options.streaming
        ? provider.stream(request, signal)
        : await provider.complete(request, signal);
    } catch (error) {
      this.#recordModelCall(startedAt, undefined, 'error');
      throw error;
    }
    const { reasoningSealer, projectId, resolved } = this.#options.prepared;
    const sealing = reasoningSealer
      ? new ReasoningSealing(reasoningSealer, projectId, resolved.provider.kind)
      : null;
    let finish: TurnFinish | undefined;
    let firstEventAt: number | undefined;
    try {
      for await (const event of events) {
        firstEventAt ??= performance.now();
        if (signal.aborted) break;
        if (event.type === 'finish') finish = { reason: event.reason, usage: event.usage };
        else {
          // Files the commands wrote are looked up once, when the answer starts, to cite them in it.
          if (event.type === 'text-start' && this.#filesChanged) await this.#refreshCitableFiles();
          assembler.apply(sealing ? sealing.apply(event) : event);
        }
      }
    } catch (error) {
      this.#recordModelCall(startedAt, firstEventAt, 'error');
      throw error;
    }
    this.#recordModelCall(startedAt, firstEventAt, finish?.reason ?? (signal.aborted ? 'cancelled' : 'none'));
    return finish;
  }

  #recordModelCall(startedAt: number, firstEventAt: number | undefined, finishReason: string): void {
    const { resolved } = this.#options.prepared;
    const now = performance.now();
    this.#dependencies.metrics?.modelCall({
      providerKind: resolved.provider.kind,
      model: resolved.model,
      seconds: (now - startedAt) / 1000,
      firstEventSeconds: firstEventAt === undefined ? undefined : (firstEventAt - startedAt) / 1000,
      finishReason,
    });
  }

  async #refreshCitableFiles(): Promise<void> {
    this.#filesChanged = false;
    const { prepared } = this.#options;
    const shell = prepared.shell;
    if (shell?.mode !== 'hosted' || !this.#dependencies.containers) return;
    try {
      this.#citableFiles = await this.#dependencies.containers.allFiles(
        prepared.projectId,
        shell.containerId,
      );
    } catch (error) {
      // Citations are a convenience: an expired container costs them, not the answer.
      this.#dependencies.logger.warn('listing container files for citations failed', {
        responseId: this.#options.responseId,
        error: String(error),
      });
    }
  }

  #containers(): ShellHost {
    const { containers } = this.#dependencies;
    if (!containers) throw new Error('a hosted shell response needs the container service');
    return containers;
  }
}

function addUsage(total: ModelUsage | undefined, turn: ModelUsage): ModelUsage {
  if (!total) return turn;
  return {
    inputTokens: total.inputTokens + turn.inputTokens,
    outputTokens: total.outputTokens + turn.outputTokens,
    cachedInputTokens: (total.cachedInputTokens ?? 0) + (turn.cachedInputTokens ?? 0),
    cacheWriteInputTokens: (total.cacheWriteInputTokens ?? 0) + (turn.cacheWriteInputTokens ?? 0),
    reasoningTokens: (total.reasoningTokens ?? 0) + (turn.reasoningTokens ?? 0),
  };
}
