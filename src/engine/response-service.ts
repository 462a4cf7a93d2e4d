import type { CompactionSealer } from './compaction/compaction-sealer.js';
import type { ReasoningSealer } from './reasoning-sealer.js';
import { BerthError, notFound } from '../errors/berth-error.js';
import { unixSeconds } from '../clock.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type {
  ConversationStore,
  JsonObject,
  Page,
  PageRequest,
  ResponseFilter,
  ResponseStore,
  StoredItem,
  ToolCallStore,
} from '../store/store.js';
import { compactConversation } from './compaction/compact-conversation.js';
import { inputTokensParamsSchema } from './input-tokens-params.js';
import { prepareResponse, toModelRequest } from './prepare-response.js';
import { provisionShellEnvironment } from './provision-shell-environment.js';
import { RecentChains } from './recent-chains.js';
import { responseCreateParamsSchema, type ResponseCreateParams } from './response-create-params.js';
import { ResponseRun, startInvokeAgentSpan, type RunDependencies } from './response-run.js';
import { markFailed, noTracing, withActiveSpan } from '../tracing.js';
import type { StreamEvent } from './stream-event.js';
import { toToolCallObject, type ToolCallObject } from './tool-call-object.js';
import { toResponseSummary, type ResponseSummary } from './response-summary.js';
import { parseRequest } from '../validation/parse-request.js';
import { parseRequestIgnoringUnknown } from '../validation/parse-request-ignoring-unknown.js';

export interface ResponseServiceDependencies extends RunDependencies {
  /** A run's stores, and the conversations its context is loaded from. */
  readonly store: {
    readonly responses: ResponseStore;
    readonly conversations: ConversationStore;
    readonly toolCalls: ToolCallStore;
  };
  readonly providers: ProviderRegistry;
  readonly compactionSealer: CompactionSealer;
  /** Seals Anthropic's reasoning state into `encrypted_content`; without it the state is sent in clear. */
  readonly reasoningSealer?: ReasoningSealer;
  /** Create-request parameters OpenAI does not define: refused (the default) or dropped and logged. */
  readonly unknownParameters?: 'reject' | 'ignore';
  /** Hosted tools a provider kind cannot run: left out and logged (the default), or refused. */
  readonly hostedToolsUnsupported?: 'ignore' | 'reject';
}

export interface CreateOptions {
  /** Context of `store:false` responses that live only on the caller's connection (WebSocket mode). */
  readonly localChain?: (responseId: string) => readonly StoredItem[] | undefined;
  /** False records the request's input without calling the model (WebSocket `generate: false`). */
  readonly generate?: boolean;
}

/**
 * The Responses API's behaviour, independent of HTTP: create, retrieve, replay, cancel, delete, list
 * input items, count input tokens, compact, the tool-call log, and recovery of unfinished background
 * work after a restart.
 *
 * @example
 * const run = await service.create(projectId, { model: 'openai/gpt-5', input: 'Hi' });
 * await run.finished;
 */
export class ResponseService {
  readonly #dependencies: ResponseServiceDependencies;
  /** Runs that have not ended, by id: where live replay and cancel find them. */
  readonly #live = new Map<string, ResponseRun>();
  /** Chains of recently finished responses, so a follow-up need not reload its context. */
  readonly #recentChains = new RecentChains();
  #closing = false;

  constructor(dependencies: ResponseServiceDependencies) {
    this.#dependencies = dependencies;
  }

  /** Validates and starts a response; the returned run is already under way. */
  async create(projectId: string, body: unknown, options: CreateOptions = {}): Promise<ResponseRun> {
    if (this.#closing)
      throw new BerthError('server_shutting_down', 'The server is shutting down; retry shortly.');
    const params = this.#parseCreateParams(body);
    return this.#start(projectId, params, this.#dependencies.ids.next('resp'), options);
  }

  #parseCreateParams(body: unknown): ResponseCreateParams {
    if (this.#dependencies.unknownParameters !== 'ignore')
      return parseRequest(responseCreateParamsSchema, body);
    return parseRequestIgnoringUnknown(responseCreateParamsSchema, body, (params) => {
      this.#dependencies.logger.warn('ignored unknown request parameters', { params });
    });
  }

  async #start(
    projectId: string,
    params: ResponseCreateParams,
    id: string,
    options: CreateOptions,
    createdAt = unixSeconds(this.#dependencies.clock),
  ): Promise<ResponseRun> {
    let prepared = await prepareResponse(params, projectId, {
      ...this.#dependencies,
      localChain: options.localChain ?? ((previous) => this.#recentChains.get(projectId, previous)),
    });
    const ignoredTools = prepared.hosted.ignoredTools;
    if (ignoredTools.length > 0) {
      this.#dependencies.logger.warn('ignored hosted tools the provider cannot run', {
        tools: ignoredTools,
        providerKind: prepared.resolved.provider.kind,
      });
    }
    const generate = options.generate ?? true;
    const shellTool = prepared.shellTool;
    // Started here so a container_auto's provisioning (a sandbox start) is part of the response's trace.
    const span = startInvokeAgentSpan(this.#dependencies.tracing ?? noTracing, prepared, id);
    if (shellTool && generate) {
      const { containers } = this.#dependencies;
      if (!containers) throw new Error('the response service was started without containers');
      try {
        const shell = await withActiveSpan(span, () =>
          provisionShellEnvironment(shellTool.params, shellTool.index, projectId, containers, id),
        );
        prepared = { ...prepared, shell };
      } catch (error) {
        markFailed(span, error);
        span.end();
        throw error;
      }
    }
    const run = new ResponseRun(this.#dependencies, prepared, id, createdAt, generate, span);
    this.#live.set(id, run);
    try {
      await run.start();
    } catch (error) {
      this.#live.delete(id);
      throw error;
    }
    // A shutdown that began while this one was being prepared must not leave it running.
    if (this.#closing) run.stop('shutdown');
    void run.finished.then(() => {
      this.#live.delete(id);
      // Kept exactly as `loadChainItems` would read it back: the chain (not a conversation, nor a
      // WebSocket's unstored turns), this input, this output.
      if (run.recorded && !options.localChain) {
        const chain = params.previous_response_id ? prepared.contextItems : [];
        this.#recentChains.remember(projectId, id, [...chain, ...prepared.inputItems, ...run.outputItems]);
      }
    });
    return run;
  }

  /** The response as it stands: live if it is running, else as stored. */
  async get(projectId: string, id: string): Promise<JsonObject> {
    const live = this.#liveRun(projectId, id);
    if (live) return structuredClone(live.body);
    const stored = await this.#dependencies.store.responses.getResponse(projectId, id);
    if (!stored) throw notFound('response', id);
    return stored.body;
  }

  /** The response's stream events after `startingAfter`; live until it ends if it is running. */
  async replay(
    projectId: string,
    id: string,
    startingAfter: number,
  ): Promise<AsyncIterable<StreamEvent> | Iterable<StreamEvent>> {
    const live = this.#liveRun(projectId, id);
    if (live && live.events.length > 0) return live.eventsAfter(startingAfter);
    const stored = await this.#dependencies.store.responses.getResponse(projectId, id);
    if (!stored) throw notFound('response', id);
    if (!stored.eventsRecorded) {
      throw new BerthError(
        'invalid_value',
        'This response was created without stream or background, so it has no event stream to replay.',
        { param: 'stream' },
      );
    }
    const store = this.#dependencies.store.responses;
    const events = await store.listResponseEvents(id, startingAfter);
    if (events.length === 0 && stored.status !== 'queued' && stored.status !== 'in_progress') {
      // A client that saw events a crashed server never got to record resumes beyond what is stored;
      // it is still told how the response ended (the terminal event `recover` wrote).
      const last = (await store.listResponseEvents(id, -1)).at(-1);
      if (last && startingAfter > last.sequenceNumber) return [last.event as StreamEvent];
    }
    return events.map((event) => event.event as StreamEvent);
  }

  async cancel(projectId: string, id: string): Promise<JsonObject> {
    const live = this.#liveRun(projectId, id);
    if (live) {
      if (!live.prepared.background) throw onlyBackgroundCancels();
      live.stop('cancel');
      await live.finished;
      return structuredClone(live.body);
    }
    const stored = await this.#dependencies.store.responses.getResponse(projectId, id);
    if (!stored) throw notFound('response', id);
    if (!stored.background) throw onlyBackgroundCancels();
    // Cancelling a response that already ended changes nothing and returns it, as OpenAI does.
    return stored.body;
  }

  async delete(projectId: string, id: string): Promise<void> {
    const live = this.#liveRun(projectId, id);
    if (live) {
      live.stop('cancel');
      await live.finished;
    }
    // The deleted response may be inside any remembered chain.
    this.#recentChains.clear();
    if (!(await this.#dependencies.store.responses.deleteResponse(projectId, id)))
      throw notFound('response', id);
  }

  async listInputItems(projectId: string, id: string, page: PageRequest): Promise<Page<StoredItem>> {
    const result = await this.#dependencies.store.responses.listInputItems(projectId, id, page);
    if (!result) throw notFound('response', id);
    return result;
  }

  /**
   * `POST /v1/responses/input_tokens`: the tokens the request's context would take, counted by the
   * model's upstream where it has a counter. The context is loaded and checked as create would.
   */
  async countInputTokens(projectId: string, body: unknown, signal: AbortSignal): Promise<number> {
    const {
      model,
      input,
      tools,
      tool_choice: toolChoice,
      personality: _personality,
      ...rest
    } = parseRequest(inputTokensParamsSchema, body);
    if (!model)
      throw new BerthError('missing_required_parameter', "Missing required parameter: 'model'.", {
        param: 'model',
      });
    const params = {
      ...rest,
      model,
      input: input ?? undefined,
      tools: tools ?? undefined,
      tool_choice: toolChoice ?? undefined,
    };
    const prepared = await prepareResponse(params, projectId, this.#dependencies);
    return prepared.resolved.provider.countInputTokens(toModelRequest(prepared), signal);
  }

  /**
   * `POST /v1/responses/compact`: the context summarised into one compaction item, after the user's
   * messages (see `compactConversation`). Nothing is stored.
   */
  compact(projectId: string, body: unknown, signal: AbortSignal): Promise<JsonObject> {
    return compactConversation(projectId, body, this.#dependencies, signal);
  }

  /**
   * One page of the response's tool-call log (one entry per command its hosted shell calls ran). A
   * running response's log can be followed while its commands run.
   */
  async listToolCalls(projectId: string, id: string, page: PageRequest): Promise<Page<ToolCallObject>> {
    // 404 exactly as retrieving the response would: unknown, another project's, or `store:false`.
    await this.get(projectId, id);
    const result = await this.#dependencies.store.toolCalls.listToolCalls(projectId, id, page);
    return { data: result.data.map(toToolCallObject), hasMore: result.hasMore };
  }

  /** One page of the project's stored responses as dashboard rows, newest first by default. */
  async listSummaries(
    projectId: string,
    page: PageRequest,
    filter: ResponseFilter,
  ): Promise<Page<ResponseSummary>> {
    const store = this.#dependencies.store.responses;
    const result = await store.listResponses(projectId, page, filter);
    const data: ResponseSummary[] = [];
    for (const stored of result.data) {
      const first = await store.listInputItems(projectId, stored.id, { limit: 1, order: 'asc' });
      data.push(toResponseSummary(stored, first?.data[0]));
    }
    return { data, hasMore: result.hasMore };
  }

  /**
   * The logged command that ran in the container at some moment from `fromMs` to `toMs` (epoch ms),
   * when its response can be retrieved (a `store: false` response's commands are not shown); the
   * dashboard's artefact lineage.
   */
  async toolCallDuring(
    projectId: string,
    containerId: string,
    fromMs: number,
    toMs: number,
  ): Promise<ToolCallObject | undefined> {
    const { toolCalls, responses } = this.#dependencies.store;
    const record = await toolCalls.findToolCallDuring(projectId, containerId, fromMs, toMs);
    if (!record) return undefined;
    if (
      !this.#liveRun(projectId, record.responseId) &&
      !(await responses.getResponse(projectId, record.responseId))
    ) {
      return undefined;
    }
    return toToolCallObject(record);
  }

  /**
   * After a restart (or a crash): background responses still `queued` never started, so they run now;
   * ones left `in_progress` — background or streamed, both written before their id was sent — may have
   * streamed partial output (and, with hosted tools, run commands), so running them again could
   * repeat side effects: they are failed with a clear error instead, their output so far kept.
   */
  async recover(): Promise<void> {
    const { logger } = this.#dependencies;
    const store = this.#dependencies.store.responses;
    for (const stored of await store.listUnfinishedResponses()) {
      if (stored.status === 'queued' && stored.request) {
        try {
          // Starting again under the same id updates the stored row; its input items stay as written.
          await this.#start(
            stored.projectId,
            stored.request as ResponseCreateParams,
            stored.id,
            {},
            stored.createdAt,
          );
          logger.info('resumed a queued background response', { responseId: stored.id });
          continue;
        } catch (error) {
          logger.warn('could not resume a queued background response', {
            responseId: stored.id,
            error: String(error),
          });
        }
      }
      const body = {
        ...stored.body,
        status: 'failed',
        // `code` stays within OpenAI's enum (typed clients switch on it); `type` says what happened.
        error: {
          code: 'server_error',
          type: 'server_restarted',
          message: 'The server restarted while this response was in progress, so it was not completed.',
        },
      };
      // The stream a client may be resuming ends the way a live one would: with `response.failed`.
      const recorded = await store.listResponseEvents(stored.id, -1);
      const sequenceNumber = (recorded.at(-1)?.sequenceNumber ?? -1) + 1;
      const failed = { type: 'response.failed', sequence_number: sequenceNumber, response: body };
      await store.writeResponse({
        response: { ...stored, status: 'failed', eventsRecorded: true, body },
        events: [{ sequenceNumber, event: failed }],
      });
    }
  }

  /** Stops every live run as a shutdown and waits until each is recorded. */
  async close(): Promise<void> {
    this.#closing = true;
    const runs = [...this.#live.values()];
    for (const run of runs) run.stop('shutdown');
    await Promise.all(runs.map((run) => run.finished));
  }

  /** A running response of this project; `store:false` ones are never reachable by id, even live. */
  #liveRun(projectId: string, id: string): ResponseRun | undefined {
    const run = this.#live.get(id);
    return run && run.prepared.projectId === projectId && run.prepared.store ? run : undefined;
  }
}

function onlyBackgroundCancels(): BerthError {
  return new BerthError('invalid_value', 'Only responses created with background=true can be cancelled.', {
    param: null,
  });
}
