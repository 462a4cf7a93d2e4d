import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createFakeAnthropicPromptCache,
  type AnthropicCacheUsage,
  type FakeAnthropicPromptCache,
} from './fake-anthropic-prompt-cache.js';
import { scriptedWait, startFakeUpstreamServer, type FakeUpstreamExchange } from './fake-upstream-server.js';
import {
  applyPatchArgumentsOf,
  chunkText,
  finishReasonOf,
  flatCallName,
  localShellArgumentsOf,
  toolSearchFunctionCalls,
  type FakeUpstream,
  type ScriptedTurn,
} from './scripted-turn.js';

type Json = Record<string, unknown>;

const stopReasons = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
} as const;

const errorTypesByStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const models = [
  { id: 'claude-opus-5-5', display_name: 'Claude Opus 5.5', line: 'opus' },
  { id: 'claude-sonnet-5-5', display_name: 'Claude Sonnet 5.5', line: 'sonnet' },
  { id: 'claude-haiku-5-5', display_name: 'Claude Haiku 5.5', line: 'haiku' },
].map((model) => ({
  type: 'model',
  ...model,
  created_at: '2026-10-21T00:00:00Z',
  capabilities: null,
  deprecated_at: null,
  retires_at: null,
  lifecycle: 'active',
  max_input_tokens: 200_000,
  max_tokens: 64_000,
}));

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A rough, deterministic token count: Anthropic's own counter is not available offline. Cache
 * markers are not prompt text, so they do not count.
 */
function countTokens(body: Json): number {
  const counted = JSON.stringify(
    [body['system'] ?? null, body['messages'] ?? null, body['tools'] ?? null],
    (key, value: unknown) => (key === 'cache_control' ? undefined : value),
  );
  return Math.max(1, Math.ceil(counted.length / 4));
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** Returns the 400 message Anthropic would give for a malformed Messages body, or null. */
function findInvalidMessagesBody(body: Json): string | null {
  if (typeof body['model'] !== 'string') return 'model: Field required';
  if (typeof body['max_tokens'] !== 'number') return 'max_tokens: Field required';
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: Field required';
  // API version 2026-10-21 removed the sampling parameters.
  for (const field of ['temperature', 'top_p', 'top_k']) {
    if (field in body) return `${field}: Extra inputs are not permitted`;
  }
  for (const [index, message] of messages.entries()) {
    const content = isObject(message) ? message['content'] : undefined;
    if (content === '' || (Array.isArray(content) && content.length === 0)) {
      return `messages.${index}: all messages must have non-empty content except for the optional final assistant message`;
    }
  }
  const toolError = findInvalidToolUse(body, messages);
  if (toolError !== null) return toolError;
  const thinking = body['thinking'];
  if (isObject(thinking) && thinking['type'] === 'enabled') {
    const budget = thinking['budget_tokens'];
    if (typeof budget !== 'number' || budget < 1024) {
      return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    }
    if (body['max_tokens'] <= budget) return '`max_tokens` must be greater than `thinking.budget_tokens`.';
  }
  return null;
}

/**
 * Anthropic's 400s for tool blocks an adapter must not send: a bash tool under another name, tool
 * blocks in a request that defines no tools, and a tool_result that answers no tool_use of the
 * message before it.
 */
function findInvalidToolUse(body: Json, messages: readonly unknown[]): string | null {
  const tools = Array.isArray(body['tools']) ? (body['tools'] as unknown[]) : [];
  for (const [index, tool] of tools.entries()) {
    if (isObject(tool) && tool['type'] === 'bash_20250124' && tool['name'] !== 'bash') {
      return `tools.${index}.bash_20250124.name: Input should be 'bash'`;
    }
    if (isObject(tool) && tool['type'] === 'web_search_20250305' && tool['name'] !== 'web_search') {
      return `tools.${index}.web_search_20250305.name: Input should be 'web_search'`;
    }
  }
  let previousToolUseIds = new Set<unknown>();
  const hasToolBlocks = messages.some(
    (message) =>
      isObject(message) &&
      Array.isArray(message['content']) &&
      (message['content'] as unknown[]).some(
        (block) => isObject(block) && (block['type'] === 'tool_use' || block['type'] === 'tool_result'),
      ),
  );
  if (hasToolBlocks && tools.length === 0) {
    return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
  }
  for (const [index, message] of messages.entries()) {
    const content = isObject(message) && Array.isArray(message['content']) ? message['content'] : [];
    const blocks = (content as unknown[]).filter(isObject);
    for (const [blockIndex, block] of blocks.entries()) {
      if (block['type'] === 'tool_result' && !previousToolUseIds.has(block['tool_use_id'])) {
        return `messages.${index}.content.${blockIndex}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block['tool_use_id'])}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    previousToolUseIds = new Set(
      blocks.filter((block) => block['type'] === 'tool_use').map((block) => block['id']),
    );
  }
  return null;
}

/** One scripted reply in Messages form: the content blocks plus what streaming needs beyond them. */
interface RenderedTurn {
  readonly message: Json;
  readonly toolArguments: readonly string[];
}

/**
 * The input side of `usage`: scripted counts as given (with no cache activity), otherwise the request's
 * estimated size split by the emulated prompt cache into reads, writes and uncached input.
 */
function inputUsageOf(turn: ScriptedTurn, body: Json, cache: FakeAnthropicPromptCache): AnthropicCacheUsage {
  if (turn.usage !== undefined) {
    const cacheRead = turn.usage.cached ?? 0;
    return {
      input_tokens: turn.usage.input - cacheRead,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: cacheRead,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    };
  }
  return cache.use(body, countTokens(body));
}

function renderTurn(
  turn: ScriptedTurn,
  body: Json,
  ids: { next(prefix: string): string },
  inputUsage: AnthropicCacheUsage,
): RenderedTurn {
  const content: Json[] = [];
  if (turn.reasoning !== undefined) {
    const signature = Buffer.from(`fake-signature:${turn.reasoning}`).toString('base64');
    content.push({ type: 'thinking', thinking: turn.reasoning, signature });
  }
  for (const search of turn.webSearches ?? []) {
    // A server-side search: the model's query as a server_tool_use, then the pages the API found
    // (each with the encrypted content a later turn must send back).
    const id = ids.next('srvtoolu_');
    content.push({
      type: 'server_tool_use',
      id,
      name: 'web_search',
      input: { query: search.query },
      caller: { type: 'direct' },
    });
    content.push({
      type: 'web_search_tool_result',
      tool_use_id: id,
      caller: { type: 'direct' },
      content: search.results.map((page) => ({
        type: 'web_search_result',
        url: page.url,
        title: page.title,
        encrypted_content: Buffer.from(`page:${page.url}`).toString('base64'),
        page_age: null,
      })),
    });
  }
  if (turn.text !== undefined) {
    const citations = (turn.citations ?? []).map((page) => ({
      type: 'web_search_result_location',
      url: page.url,
      title: page.title,
      cited_text: turn.text?.slice(0, 20) ?? '',
      encrypted_index: Buffer.from(`index:${page.url}`).toString('base64'),
    }));
    content.push({ type: 'text', text: turn.text, citations: citations.length > 0 ? citations : null });
  }
  const toolArguments: string[] = [];
  for (const call of [...toolSearchFunctionCalls(turn), ...(turn.toolCalls ?? [])]) {
    toolArguments.push(call.arguments);
    const input = parseArguments(call.arguments);
    content.push({
      type: 'tool_use',
      id: ids.next('toolu_'),
      name: flatCallName(call),
      input,
      caller: { type: 'direct' },
    });
  }
  for (const call of turn.customCalls ?? []) {
    // A custom tool is offered to Claude as a tool of one string input, `input`.
    const input = { input: call.input };
    toolArguments.push(JSON.stringify(input));
    content.push({
      type: 'tool_use',
      id: ids.next('toolu_'),
      name: call.name,
      input,
      caller: { type: 'direct' },
    });
  }
  for (const call of turn.shellCalls ?? []) {
    // The bash tool takes one command and no limits: several commands go as lines of one command.
    const input = { command: call.commands.join('\n') };
    toolArguments.push(JSON.stringify(input));
    content.push({
      type: 'tool_use',
      id: ids.next('toolu_'),
      name: 'bash',
      input,
      caller: { type: 'direct' },
    });
  }
  const functionCalls = [
    ...(turn.applyPatchCalls ?? []).map((call) => ({
      name: 'apply_patch',
      input: applyPatchArgumentsOf(call),
    })),
    ...(turn.localShellCalls ?? []).map((call) => ({
      name: 'local_shell',
      input: localShellArgumentsOf(call),
    })),
  ];
  for (const call of functionCalls) {
    // apply_patch and local_shell are offered to Claude as tools of those names.
    toolArguments.push(JSON.stringify(call.input));
    content.push({
      type: 'tool_use',
      id: ids.next('toolu_'),
      name: call.name,
      input: call.input,
      caller: { type: 'direct' },
    });
  }
  const finish = finishReasonOf(turn);
  const produced = (turn.reasoning ?? '') + (turn.text ?? '') + toolArguments.join('');
  const message = {
    id: ids.next('msg_'),
    type: 'message',
    role: 'assistant',
    model: body['model'],
    content,
    stop_reason: stopReasons[finish],
    stop_sequence: null,
    stop_details: finish === 'content_filter' ? { type: 'refusal', category: null, explanation: null } : null,
    container: null,
    usage: {
      ...inputUsage,
      output_tokens: turn.usage?.output ?? Math.max(1, Math.ceil(produced.length / 4)),
      service_tier: 'standard',
      ...(turn.webSearches?.length
        ? { server_tool_use: { web_search_requests: turn.webSearches.length } }
        : {}),
    },
  };
  return { message, toolArguments };
}

/** Writes SSE frames exactly as Anthropic frames them, batching writes between scripted pauses. */
class SseWriter {
  private pending = '';
  constructor(private readonly response: ServerResponse) {}

  event(type: string, data: Json): void {
    this.pending += `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  }

  flush(): void {
    if (this.pending === '' || this.response.destroyed) return;
    this.response.write(this.pending);
    this.pending = '';
  }
}

/** Streams a rendered turn; returns early if the client disconnects during a scripted pause. */
async function streamTurn(
  response: ServerResponse,
  turn: ScriptedTurn,
  rendered: RenderedTurn,
  signal: AbortSignal,
): Promise<void> {
  const writer = new SseWriter(response);
  const { content, usage, ...envelope } = rendered.message as Json & { content: Json[]; usage: Json };
  writer.event('message_start', {
    message: {
      ...envelope,
      content: [],
      stop_reason: null,
      stop_details: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  const startBlock = (index: number, content_block: Json): void => {
    writer.event('content_block_start', { index, content_block });
    // The real API sends its first keep-alive ping right after the first block starts.
    if (index === 0) writer.event('ping', {});
  };
  const chunkSize = turn.chunkSize ?? 4;
  let toolIndex = 0;
  for (const [index, block] of content.entries()) {
    if (block['type'] === 'thinking') {
      startBlock(index, { type: 'thinking', thinking: '', signature: '' });
      for (const thinking of chunkText(String(block['thinking']), chunkSize)) {
        writer.event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } });
      }
      writer.event('content_block_delta', {
        index,
        delta: { type: 'signature_delta', signature: block['signature'] },
      });
    } else if (block['type'] === 'server_tool_use') {
      startBlock(index, { ...block, input: {} });
      for (const partial_json of ['', ...chunkText(JSON.stringify(block['input']), 16)]) {
        writer.event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
      }
    } else if (block['type'] === 'web_search_tool_result') {
      // The results arrive whole in the block's start; no deltas follow.
      startBlock(index, block);
    } else if (block['type'] === 'text') {
      startBlock(index, { type: 'text', text: '', citations: null });
      // Citations stream before the text they belong to.
      for (const citation of Array.isArray(block['citations']) ? (block['citations'] as Json[]) : []) {
        writer.event('content_block_delta', { index, delta: { type: 'citations_delta', citation } });
      }
      for (const [chunkIndex, text] of chunkText(String(block['text']), chunkSize).entries()) {
        if (chunkIndex > 0 && turn.chunkDelayMs !== undefined) {
          writer.flush();
          await sleep(turn.chunkDelayMs, undefined, { signal });
        }
        writer.event('content_block_delta', { index, delta: { type: 'text_delta', text } });
      }
    } else {
      startBlock(index, { ...block, input: {} });
      for (const partial_json of ['', ...chunkText(rendered.toolArguments[toolIndex] ?? '', 16)]) {
        writer.event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
      }
      toolIndex += 1;
    }
    writer.event('content_block_stop', { index });
  }
  writer.event('message_delta', {
    delta: {
      stop_reason: rendered.message['stop_reason'],
      stop_sequence: null,
      stop_details: rendered.message['stop_details'],
      container: null,
    },
    usage: {
      input_tokens: usage['input_tokens'],
      cache_creation_input_tokens: usage['cache_creation_input_tokens'],
      cache_read_input_tokens: usage['cache_read_input_tokens'],
      output_tokens: usage['output_tokens'],
    },
  });
  writer.event('message_stop', {});
  writer.flush();
}

/** The Anthropic API's authentication and versioning checks: a key, and an `anthropic-version`. */
function findHeaderError(
  headers: IncomingHttpHeaders,
): { status: number; type: string; message: string } | null {
  // SDK 1.x sends the key as `Authorization: Bearer`; older clients send `x-api-key`. The API takes both.
  const hasKey = Boolean(headers['x-api-key']) || /^Bearer \S+/.test(headers.authorization ?? '');
  if (!hasKey) return { status: 401, type: 'authentication_error', message: 'x-api-key header is required' };
  if (!headers['anthropic-version']) {
    return { status: 400, type: 'invalid_request_error', message: 'anthropic-version: header is required' };
  }
  return null;
}

/**
 * Starts a loopback server that speaks Anthropic's Messages API: `POST /v1/messages` (SSE or JSON),
 * `POST /v1/messages/count_tokens` and `GET /v1/models`, with Anthropic's error envelope. Its
 * `baseURL` is the bare origin with no `/v1`, because the Anthropic SDK appends `/v1/...` itself.
 * Each server has its own emulated prompt cache (`fake-anthropic-prompt-cache.ts`), so usage shows
 * cache writes and reads wherever requests mark breakpoints.
 */
export function startFakeAnthropicUpstream(): Promise<FakeUpstream> {
  const promptCache = createFakeAnthropicPromptCache();
  let counter = 0;
  const ids = { next: (prefix: string) => `${prefix}fake${(counter += 1).toString().padStart(8, '0')}` };

  function sendJson(response: ServerResponse, status: number, body: Json, requestId: string): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId });
    response.end(text);
  }

  function sendError(
    response: ServerResponse,
    status: number,
    type: string,
    message: string,
    requestId: string,
  ): void {
    sendJson(response, status, { type: 'error', error: { type, message }, request_id: requestId }, requestId);
  }

  async function handle({
    request,
    response,
    route,
    body,
    bodyIsJson,
    disconnected,
    nextTurn,
  }: FakeUpstreamExchange): Promise<void> {
    const requestId = ids.next('req_');
    const headerError = findHeaderError(request.headers);
    if (headerError !== null) {
      return sendError(response, headerError.status, headerError.type, headerError.message, requestId);
    }
    if (route === 'GET /v1/models') {
      const page = { data: models, has_more: false, first_id: models[0]?.id, last_id: models.at(-1)?.id };
      return sendJson(response, 200, page, requestId);
    }
    if (route !== 'POST /v1/messages' && route !== 'POST /v1/messages/count_tokens') {
      return sendError(response, 404, 'not_found_error', 'Not found', requestId);
    }
    if (!bodyIsJson || !isObject(body)) {
      const message = 'There was an error parsing the body of your request. Please send valid JSON.';
      return sendError(response, 400, 'invalid_request_error', message, requestId);
    }
    if (route === 'POST /v1/messages/count_tokens') {
      return sendJson(response, 200, { input_tokens: countTokens(body) }, requestId);
    }
    const invalid = findInvalidMessagesBody(body) ?? promptCache.findInvalidBreakpoints(body);
    if (invalid !== null) return sendError(response, 400, 'invalid_request_error', invalid, requestId);

    const turn = nextTurn();
    if (!(await scriptedWait(turn, disconnected))) return;
    if (turn.error !== undefined) {
      const { status, message } = turn.error;
      const type = turn.error.type ?? errorTypesByStatus[status] ?? 'api_error';
      return sendError(response, status, type, message, requestId);
    }
    const rendered = renderTurn(turn, body, ids, inputUsageOf(turn, body, promptCache));
    if (body['stream'] !== true) return sendJson(response, 200, rendered.message, requestId);
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    await streamTurn(response, turn, rendered, disconnected);
    response.end();
  }

  // The Anthropic SDK's base URL convention: the bare origin, no `/v1` suffix.
  return startFakeUpstreamServer({ baseURLPath: '', handle });
}
