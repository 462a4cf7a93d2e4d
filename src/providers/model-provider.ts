import type {
  ResponseInputItem,
  CustomTool,
  FunctionTool,
  ToolChoiceCustom,
  ToolChoiceOptions,
  ToolChoiceFunction,
  ToolChoiceAllowed,
  ToolChoiceShell,
  ToolChoiceApplyPatch,
  ToolChoiceTypes,
  ToolChoiceMcp,
  ResponseFormatTextConfig,
  NamespaceTool,
  ToolSearchTool,
  Tool,
} from 'openai/resources/responses/responses';
import type { ApplyPatchOperation, LocalShellAction } from './patch-and-local-shell-calls.js';
import type { Reasoning } from 'openai/resources/shared';

/** The upstream protocols Berth speaks. */
export type ProviderKind = 'openai' | 'openai-chat' | 'anthropic';

/**
 * What the engine asks of a model: one turn. The context is expressed in OpenAI Responses input items
 * (Berth's internal lingua franca); each adapter converts it to its upstream's protocol.
 */
export interface ModelRequest {
  /** The upstream's model name, with Berth's `<provider>/` prefix already removed. */
  readonly model: string;
  /** System/developer instructions for this turn, or null. */
  readonly instructions: string | null;
  /** The whole context, oldest first: prior inputs and outputs (as input items) and this turn's input. */
  readonly input: readonly ResponseInputItem[];
  /**
   * Client-executed tools, in request order: function tools (JSON arguments) and custom tools (free
   * text input, optionally constrained by a grammar). Adapters whose protocol has no custom tools
   * offer each as a function of one string parameter (`custom-tool-as-function.ts`) and turn its calls
   * back into `custom-call-*` events; `custom_tool_call` and `custom_tool_call_output` items in
   * `input` are converted the same way.
   */
  readonly tools: readonly (FunctionTool | CustomTool)[];
  /**
   * Namespace tools (OpenAI's `namespace`: function and custom tools grouped under a name). Adapters
   * without them offer each member as a function of a flattened name (`flattenNamespacedTools`).
   */
  readonly namespaces?: readonly NamespaceTool[];
  /**
   * OpenAI's `tool_search` tool, when offered. Tools marked `defer_loading` are then hidden from the
   * model until a search loads them; adapters without tool search let Berth run it
   * (`flattenNamespacedTools`).
   */
  readonly toolSearch?: ToolSearchTool | null;
  /**
   * True when the response offers the shell tool. Each adapter presents it in the form its models are
   * trained on (OpenAI's native `shell` tool, Anthropic's bash tool, a `shell` function for Chat
   * Completions) and turns the model's calls back into `shell-call-*` events. `shell_call` and
   * `shell_call_output` items in `input` are converted the same way.
   */
  readonly shellTool: boolean;
  /**
   * OpenAI's hosted tools the provider runs itself (`web_search`, `file_search`, `mcp`, …), each as the
   * client wrote it; only those this provider kind can run are here (`hosted-tools.ts` in the engine).
   * Their calls come back as `hosted-item-*` events.
   */
  readonly hostedTools?: readonly HostedTool[];
  /**
   * The client's `include` entries about hosted tools' items (`web_search_call.action.sources`,
   * `file_search_call.results`, …): what an upstream running those tools should add to their items.
   */
  readonly hostedInclude?: readonly string[];
  /**
   * `{type:"shell"}` forces a shell call; it only comes with `shellTool` true. Each adapter names its
   * own form of the shell tool (the native tool, Anthropic's `bash`, the `shell` function).
   */
  readonly toolChoice:
    | ToolChoiceOptions
    | ToolChoiceFunction
    | ToolChoiceCustom
    | ToolChoiceAllowed
    | ToolChoiceShell
    | ToolChoiceApplyPatch
    | ToolChoiceTypes
    | ToolChoiceMcp
    | null;
  /**
   * OpenAI's client-executed `apply_patch` and `local_shell` tools, when the response offers them.
   * The openai kind sends them natively; the others are wrapped (`withPatchAndLocalShellAsFunctions`)
   * so they see function tools and function items, and their calls come back as
   * `apply-patch-call` / `local-shell-call` events. Absent means not offered.
   */
  readonly applyPatchTool?: boolean;
  readonly localShellTool?: boolean;
  readonly parallelToolCalls: boolean | null;
  readonly temperature: number | null;
  readonly topP: number | null;
  readonly maxOutputTokens: number | null;
  /** Structured output request; `{type:"text"}` (or null) means free text. */
  readonly textFormat: ResponseFormatTextConfig | null;
  /** Passed through to upstreams that reason; null when the client sent none. */
  readonly reasoning: Reasoning | null;
  /** Chat Completions sampling penalties (-2 to 2); only Chat Completions upstreams apply them. */
  readonly presencePenalty: number | null;
  readonly frequencyPenalty: number | null;
  /** `text.verbosity`: how much the model should write; OpenAI's models honour it. */
  readonly verbosity: 'low' | 'medium' | 'high' | null;
  /**
   * Who the end user is, for the upstream's abuse detection: OpenAI's `safety_identifier` and its
   * older `user`. Sent only to OpenAI's Responses API, which defines them.
   */
  readonly endUser: { readonly safetyIdentifier: string | null; readonly user: string | null };
  /**
   * The client's prompt-caching wishes (`prompt_cache_key`, `prompt_cache_retention`), each null when
   * not given; each adapter uses what its upstream understands. Null for a one-off request whose
   * prefix no later request shares (a compaction summary): adapters then ask for no cache writes.
   */
  readonly promptCache: PromptCacheSettings | null;
}

/** How long the client wants cached prompt prefixes kept, in OpenAI's terms. */
export type PromptCacheRetention = 'in_memory' | '24h';

/** What the client asked of the upstream's prompt cache. */
export interface PromptCacheSettings {
  /** OpenAI's `prompt_cache_key`: requests sharing a key are routed to the same cache. */
  readonly key: string | null;
  /** `24h` asks for the longest retention the upstream offers; null leaves the upstream's default. */
  readonly retention: PromptCacheRetention | null;
}

/** A hosted tool's definition as the client sent it: its `type` and whatever settings that type has. */
export type HostedTool = Readonly<Record<string, unknown>> & { readonly type: string };

/** Token accounting in OpenAI's terms. */
export interface ModelUsage {
  /** Every input token, cached or not (OpenAI's `input_tokens`). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens read from the upstream's prompt cache (`input_tokens_details.cached_tokens`). */
  readonly cachedInputTokens?: number;
  /** Input tokens written to the prompt cache (`input_tokens_details.cache_write_tokens`). */
  readonly cacheWriteInputTokens?: number;
  readonly reasoningTokens?: number;
}

/** Why the model stopped, in OpenAI's vocabulary; `length` and `content_filter` make a response incomplete. */
export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter';

/**
 * Which assistant message a text or refusal part belongs to, for upstreams that send several
 * messages in one turn (OpenAI's `commentary` then `final_answer`). Parts with the same `key` share a
 * message; a new key starts a new one. Without it, consecutive parts share the open message.
 */
export interface MessageGroup {
  readonly key: string;
  /** OpenAI's message `phase`, kept so clients can send it back as the model expects. */
  readonly phase?: 'commentary' | 'final_answer' | null;
}

/**
 * One step of a model's reply, noun-action like the Vercel AI SDK's stream parts. `id` ties the
 * start/delta/end of one part together; parts may interleave. Every started part is ended before
 * `finish`, which is always the last event.
 *
 * A reasoning part (`reasoning-start` … `reasoning-end`) becomes one `reasoning` item. What the model
 * shows of its reasoning comes in two kinds that an upstream may mix in one part: a summary written
 * for people (`reasoning-delta`, OpenAI's `summary_text`, Anthropic's thinking) and the raw reasoning
 * text itself (`reasoning-text-delta`, OpenAI's `reasoning_text` content, which open models on Chat
 * Completions servers send as `reasoning_content` or `reasoning`). They are kept apart because
 * clients show them differently and because only raw text may go back to the model that wrote it.
 */
export type ModelEvent =
  | { readonly type: 'text-start'; readonly id: string; readonly message?: MessageGroup }
  | { readonly type: 'text-delta'; readonly id: string; readonly delta: string }
  /** `annotations` are OpenAI's `output_text` annotations (`url_citation`, …) the upstream attached. */
  | { readonly type: 'text-end'; readonly id: string; readonly annotations?: readonly object[] }
  | { readonly type: 'refusal-start'; readonly id: string; readonly message?: MessageGroup }
  | { readonly type: 'refusal-delta'; readonly id: string; readonly delta: string }
  | { readonly type: 'refusal-end'; readonly id: string }
  | { readonly type: 'reasoning-start'; readonly id: string }
  /** Reasoning summary text (what OpenAI shows as `summary_text`). */
  | { readonly type: 'reasoning-delta'; readonly id: string; readonly delta: string }
  /** Raw reasoning text, as the model produced it (what OpenAI shows as `reasoning_text` content). */
  | { readonly type: 'reasoning-text-delta'; readonly id: string; readonly delta: string }
  /**
   * `encryptedContent` is whatever the upstream needs to see the reasoning again on the next turn
   * (OpenAI's `encrypted_content`, Anthropic's thinking `signature`); it rides in the reasoning item.
   */
  | {
      readonly type: 'reasoning-end';
      readonly id: string;
      readonly encryptedContent?: string | null;
      /**
       * True when `encryptedContent` is readable provider state (Anthropic's thinking signature or
       * redacted data) that the engine must seal before a client sees it; OpenAI's own
       * `encrypted_content` is opaque already and passes as it is.
       */
      readonly sealState?: boolean;
    }
  | {
      readonly type: 'tool-call-start';
      readonly id: string;
      readonly callId: string;
      readonly name: string;
      /** The namespace tool the called function belongs to, when it belongs to one. */
      readonly namespace?: string;
    }
  | { readonly type: 'tool-call-delta'; readonly id: string; readonly delta: string }
  /** `arguments` is the complete JSON text of the call's arguments. */
  | { readonly type: 'tool-call-end'; readonly id: string; readonly arguments: string }
  /** The model calls a custom tool; its `callId` ties the call to its `custom_tool_call_output`. */
  | {
      readonly type: 'custom-call-start';
      readonly id: string;
      readonly callId: string;
      readonly name: string;
      readonly namespace?: string;
    }
  /**
   * The model searched the deferred tools (`tool_search_call`). `execution` says who answers it: the
   * upstream or Berth (`server`), or the client.
   */
  | {
      readonly type: 'tool-search-call';
      readonly callId: string | null;
      readonly arguments: unknown;
      readonly execution: 'server' | 'client';
    }
  /** The tools a search loaded (`tool_search_output`), when the upstream ran the search itself. */
  | {
      readonly type: 'tool-search-output';
      readonly callId: string | null;
      readonly tools: readonly Tool[];
      readonly execution: 'server' | 'client';
    }
  /** Input text of the call as it streams. */
  | { readonly type: 'custom-call-delta'; readonly id: string; readonly delta: string }
  /** `input` is the call's complete input text (what the deltas add up to, when they came). */
  | { readonly type: 'custom-call-end'; readonly id: string; readonly input: string }
  /** A whole `apply_patch` call (no upstream streams its operation); the client applies it. */
  | {
      readonly type: 'apply-patch-call';
      readonly id: string;
      readonly callId: string;
      readonly operation: ApplyPatchOperation;
    }
  /** A whole `local_shell` call: the command the client runs on its own machine. */
  | {
      readonly type: 'local-shell-call';
      readonly id: string;
      readonly callId: string;
      readonly action: LocalShellAction;
    }
  /** The model asks to run shell commands; its `callId` ties the call to its `shell_call_output`. */
  | { readonly type: 'shell-call-start'; readonly id: string; readonly callId: string }
  /** Text of the call's command `commandIndex` as it streams (upstreams that stream commands only). */
  | {
      readonly type: 'shell-call-command-delta';
      readonly id: string;
      readonly commandIndex: number;
      readonly delta: string;
    }
  /** The whole call: every command, complete, and the model's limits. */
  | { readonly type: 'shell-call-end'; readonly id: string; readonly action: ShellAction }
  /**
   * An item of a hosted tool the provider ran itself (`web_search_call`, `mcp_call`, …), in OpenAI's
   * shape. The engine appends it to the output as it is (minting an id when it has none), re-emits
   * each `hosted-item-event` (the upstream's item events, such as `response.web_search_call.searching`,
   * without `item_id`, `output_index` or `sequence_number`) with its own, and takes the done item's
   * fields as final.
   */
  | { readonly type: 'hosted-item-start'; readonly id: string; readonly item: HostedOutputItem }
  | {
      readonly type: 'hosted-item-event';
      readonly id: string;
      readonly event: Readonly<Record<string, unknown>> & { readonly type: string };
    }
  | { readonly type: 'hosted-item-done'; readonly id: string; readonly item: HostedOutputItem }
  | { readonly type: 'finish'; readonly reason: FinishReason; readonly usage: ModelUsage };

/** A hosted tool's output item in OpenAI's shape; `id` is the upstream's when it has one. */
export type HostedOutputItem = Readonly<Record<string, unknown>> & {
  readonly type: string;
  readonly id?: string;
};

/** What a shell call asks for, in OpenAI's terms (`shell_call.action`). */
export interface ShellAction {
  readonly commands: readonly string[];
  readonly timeoutMs: number | null;
  /** OpenAI's `max_output_length`: characters of output the model wants back per command. */
  readonly maxOutputLength: number | null;
  /**
   * Set when the model's call could not be understood (arguments that are not the tool's JSON): the
   * call is then answered with this message on stderr and exit code 2, and nothing runs. `commands`
   * then holds the model's raw arguments, so the client sees what the model sent.
   */
  readonly invalid?: string;
}

/**
 * The seam between the engine and an upstream model API. Adapters keep every quirk of their protocol
 * inside; the engine sees only ModelRequest in and ModelEvent out. Failures are thrown as
 * `UpstreamError` (keeping the upstream's status and message) or, for requests the upstream cannot
 * express, as a 400 `BerthError` naming the param.
 *
 * @example
 * for await (const event of provider.stream(request, signal)) engine.apply(event);
 */
export interface ModelProvider {
  /** The configured name: the `<provider>` part of `"<provider>/<model>"`. */
  readonly name: string;
  readonly kind: ProviderKind;
  /** Streams one turn from the upstream's streaming API. Aborting `signal` cancels the upstream call. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent>;
  /** Runs one turn with the upstream's non-streaming API and returns the same events, in order. */
  complete(request: ModelRequest, signal: AbortSignal): Promise<readonly ModelEvent[]>;
  /** Model ids the upstream offers (without Berth's prefix); an empty list if it cannot say. */
  listModels(signal: AbortSignal): Promise<readonly string[]>;
  /** Counts the request's input tokens, with the upstream's counter where it has one. */
  countInputTokens(request: ModelRequest, signal: AbortSignal): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Settings every adapter factory takes. `fetch` is injectable like the Vercel AI SDK's providers. */
export interface ProviderSettings {
  readonly name: string;
  readonly baseURL?: string | undefined;
  readonly apiKey?: string | undefined;
  /** Upstream request timeout in milliseconds. */
  readonly timeoutMs?: number | undefined;
  /** How many times the SDK retries a retryable upstream failure before the turn fails. */
  readonly maxRetries?: number | undefined;
  /**
   * False turns off the cache breakpoints Berth places for upstreams that cache only where asked
   * (Anthropic). Upstreams that cache on their own are unaffected. Default true.
   */
  readonly promptCaching?: boolean | undefined;
}
