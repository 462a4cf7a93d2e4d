/**
 * A protocol-neutral script for one model turn. Each fake upstream (OpenAI Responses, Chat Completions,
 * Anthropic Messages) renders the same script in its own real wire format, streaming or not, so one
 * test scenario runs against every provider kind.
 */
export interface ScriptedTurn {
  /**
   * Reasoning, emitted before anything else, in each protocol's own form: a summary (`summary_text`)
   * from OpenAI Responses, a thinking block from Anthropic, the model's raw reasoning text from Chat
   * Completions (in the field `reasoningField` names).
   */
  readonly reasoning?: string;
  /**
   * Chat Completions only: the field its reasoning comes in, on the message and on each delta:
   * `reasoning_content` (vLLM, DeepSeek, llama.cpp; the default) or `reasoning` (Ollama, OpenRouter).
   */
  readonly reasoningField?: 'reasoning_content' | 'reasoning';
  /**
   * Server-side web searches the model runs before its text, in each protocol's own form: OpenAI's
   * `web_search_call` items (with their `response.web_search_call.*` events), Anthropic's
   * `server_tool_use` and `web_search_tool_result` blocks. Chat Completions has none.
   */
  readonly webSearches?: readonly ScriptedWebSearch[];
  /**
   * Pages the text cites, each over the whole text: OpenAI's `url_citation` annotations, Anthropic's
   * `web_search_result_location` citations of the text block.
   */
  readonly citations?: readonly ScriptedPage[];
  /**
   * OpenAI Responses only: other hosted tools' output items (`file_search_call`, `mcp_call`, …) as the
   * done item, with the names of their item events (`in_progress`, `searching`, …, sent as
   * `response.<item type>.<name>`), before the text.
   */
  readonly hostedItems?: readonly {
    readonly item: Readonly<Record<string, unknown>>;
    readonly events?: readonly string[];
  }[];
  /** The assistant's text answer. */
  readonly text?: string;
  /**
   * Tool searches the model makes, after the text: on OpenAI a `tool_search_call` the upstream runs
   * itself, followed by its `tool_search_output` loading `found`; elsewhere a call of the
   * `tool_search` function Berth offers (arguments `{"query": …}`), which Berth answers.
   */
  readonly toolSearches?: readonly ScriptedToolSearch[];
  /**
   * Tool calls the model makes, after the text. A call with a `namespace` is OpenAI's namespaced
   * `function_call`; elsewhere a call of the flat function Berth offers for it (`<namespace>__<name>`).
   */
  readonly toolCalls?: readonly {
    readonly name: string;
    readonly arguments: string;
    readonly namespace?: string;
  }[];
  /**
   * Custom tool calls the model makes, after the tool calls, each in the upstream's own form: OpenAI's
   * `custom_tool_call` (its input streamed as `response.custom_tool_call_input.delta` events), or — on
   * upstreams without custom tools — a call of the function of the same name with arguments
   * `{"input": …}` (a Chat Completions tool call, an Anthropic tool_use), the form Berth offers them in.
   */
  readonly customCalls?: readonly ScriptedCustomCall[];
  /**
   * Shell calls the model makes, after the tool and custom tool calls, each in the upstream's own shell form: OpenAI's
   * `shell_call`, a Chat Completions call of the `shell` function, or an Anthropic `bash` tool_use. The
   * bash tool takes one command, so a call with several is rendered as one tool_use whose command is
   * the commands joined by newlines.
   */
  readonly shellCalls?: readonly ScriptedShellCall[];
  /**
   * `apply_patch` calls the model makes, after the shell calls: OpenAI's native `apply_patch_call`,
   * or — on upstreams without the tool — a call of the `apply_patch` function Berth offers, with
   * arguments `{type, path, diff}` (a Chat Completions tool call, an Anthropic tool_use).
   */
  readonly applyPatchCalls?: readonly ScriptedApplyPatchCall[];
  /**
   * `local_shell` calls the model makes, after the apply_patch calls: OpenAI's native
   * `local_shell_call`, or a call of the `local_shell` function with `{command, workdir, timeout_ms}`.
   */
  readonly localShellCalls?: readonly ScriptedLocalShellCall[];
  /** Defaults to `tool_calls` when there are tool, custom tool or shell calls, else `stop`. */
  readonly finish?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /**
   * Token counts to report instead of the fake's estimate; `cached` of the `input` tokens are reported
   * as cache reads (default 0). Without it, the fake estimates and its emulated cache decides.
   */
  readonly usage?: { readonly input: number; readonly output: number; readonly cached?: number };
  /** Instead of a reply, answer with this HTTP error in the protocol's error envelope. */
  readonly error?: { readonly status: number; readonly message: string; readonly type?: string };
  /** Wait this long before answering (for cancel and disconnect tests). */
  readonly delayMs?: number;
  /**
   * Answer only once this settles (after `delayMs`, if both are given): the test opens the gate (see
   * `openableGate`) when it has seen what it needed to happen first, so no ordering rests on a timer.
   * A client that leaves meanwhile ends the wait, counted in `abortedRequests`.
   */
  readonly gate?: Promise<void>;
  /** When streaming, wait this long between text deltas. */
  readonly chunkDelayMs?: number;
  /** When streaming, break the text into deltas of this many characters (default 4). */
  readonly chunkSize?: number;
}

/** A page a web search found (or a text cites). */
export interface ScriptedPage {
  readonly url: string;
  readonly title: string;
}

/** One scripted server-side web search: what the model searched for and what it found. */
export interface ScriptedWebSearch {
  readonly query: string;
  readonly results: readonly ScriptedPage[];
}

/** One scripted tool search: the words searched for, and (OpenAI only) the tool definitions it loads. */
export interface ScriptedToolSearch {
  readonly query: string;
  readonly found?: readonly Record<string, unknown>[];
  /** `client`: OpenAI hands the call to the client and sends no output (a `tool_search` tool with `execution: "client"`). */
  readonly execution?: 'server' | 'client';
}

/** The name a tool call has where tools are flat: Berth's `<namespace>__<name>` for namespaced tools. */
export function flatCallName(call: { readonly name: string; readonly namespace?: string }): string {
  return call.namespace === undefined ? call.name : `${call.namespace}__${call.name}`;
}

/** Tool searches as the calls of Berth's `tool_search` function that stand for them where tools are flat. */
export function toolSearchFunctionCalls(turn: ScriptedTurn): { name: string; arguments: string }[] {
  return (turn.toolSearches ?? []).map((search) => ({
    name: 'tool_search',
    arguments: JSON.stringify({ query: search.query }),
  }));
}

/** One scripted custom tool call: the tool's name and the free-text input the model writes. */
export interface ScriptedCustomCall {
  readonly name: string;
  readonly input: string;
}

/** One scripted apply_patch call: the operation on one file (`diff` left out for a delete). */
export interface ScriptedApplyPatchCall {
  readonly type: 'create_file' | 'update_file' | 'delete_file';
  readonly path: string;
  readonly diff?: string;
}

/** One scripted local_shell call: the argv and where and how long to run it. */
export interface ScriptedLocalShellCall {
  readonly command: readonly string[];
  readonly workdir?: string;
  readonly timeoutMs?: number;
}

/** The arguments of the function Berth offers for `apply_patch` where it is a function. */
export function applyPatchArgumentsOf(call: ScriptedApplyPatchCall): Record<string, unknown> {
  return { type: call.type, path: call.path, ...(call.diff === undefined ? {} : { diff: call.diff }) };
}

/** The arguments of the function Berth offers for `local_shell` where it is a function. */
export function localShellArgumentsOf(call: ScriptedLocalShellCall): Record<string, unknown> {
  return {
    command: call.command,
    ...(call.workdir === undefined ? {} : { workdir: call.workdir }),
    ...(call.timeoutMs === undefined ? {} : { timeout_ms: call.timeoutMs }),
  };
}

/** One scripted shell call: its commands and the limits the model chose (null when left out). */
export interface ScriptedShellCall {
  readonly commands: readonly string[];
  readonly timeoutMs?: number;
  readonly maxOutputLength?: number;
}

/** One request a fake upstream received: method, path, headers and the parsed JSON body. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

/**
 * A loopback HTTP server that speaks one upstream protocol. Replies come from the queue given to
 * `script`, in order; with an empty queue it answers the text "ok".
 */
export interface FakeUpstream {
  /** Base URL to configure as the provider's `baseURL` (for example `http://127.0.0.1:PORT/v1`). */
  readonly baseURL: string;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Appends turns to the reply queue. */
  script(...turns: ScriptedTurn[]): void;
  /**
   * Chooses replies from the request when the queue is empty, as a model would (for example, call
   * the tool the request offers): for clients that cannot script turns, such as a conformance suite
   * run against a live server. The responder gets the request body in the upstream's protocol;
   * returning undefined answers the default "ok".
   */
  replyWith(responder: ((body: unknown) => ScriptedTurn | undefined) | null): void;
  /** Number of requests whose client disconnected before the reply ended (aborted upstream calls). */
  readonly abortedRequests: number;
  /** Resolves once `count` requests have arrived in all (at once when they already have). */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export const defaultTurn: ScriptedTurn = { text: 'ok' };

/** The finish reason a script implies. */
export function finishReasonOf(turn: ScriptedTurn): NonNullable<ScriptedTurn['finish']> {
  const calls =
    (turn.toolCalls?.length ?? 0) +
    (turn.customCalls?.length ?? 0) +
    (turn.shellCalls?.length ?? 0) +
    (turn.applyPatchCalls?.length ?? 0) +
    (turn.localShellCalls?.length ?? 0) +
    (turn.toolSearches?.length ?? 0);
  return turn.finish ?? (calls > 0 ? 'tool_calls' : 'stop');
}

/** Splits text into deltas the way streaming upstreams do. */
export function chunkText(text: string, size = 4): string[] {
  const chunks: string[] = [];
  for (let index = 0; index < text.length; index += size) chunks.push(text.slice(index, index + size));
  return chunks;
}
