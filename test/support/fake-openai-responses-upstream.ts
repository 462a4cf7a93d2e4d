import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createFakeAutomaticPromptCache,
  type FakeAutomaticPromptCache,
} from './fake-automatic-prompt-cache.js';
import { scriptedWait, startFakeUpstreamServer, type FakeUpstreamExchange } from './fake-upstream-server.js';
import {
  asObject,
  sendError,
  sendInvalidJson,
  sendJson,
  sendModelList,
  sendRejection,
  sendScriptedError,
  writeEventStreamHead,
  type Json,
  type Rejection,
} from './fake-openai-wire.js';
import { shellInputRejection } from './openai-shell-input-rejection.js';
import {
  applyPatchArgumentsOf,
  chunkText,
  finishReasonOf,
  type FakeUpstream,
  type ScriptedTurn,
} from './scripted-turn.js';

/** The model ids the fake lists at `GET /v1/models`. */
export const fakeOpenAIResponsesModels: readonly string[] = ['gpt-5', 'gpt-5-mini', 'gpt-4.1'];

/**
 * Starts a loopback server that speaks OpenAI's Responses API as api.openai.com does: `POST /v1/responses`
 * (SSE with the real event names, fields and `sequence_number`s, or one JSON body), `POST
 * /v1/responses/input_tokens`, `GET /v1/models`, and the `{"error":{…}}` envelope.
 *
 * @example
 * const upstream = await startFakeOpenAIResponsesUpstream();
 * upstream.script({ text: 'hello', usage: { input: 3, output: 1 } });
 */
export function startFakeOpenAIResponsesUpstream(): Promise<FakeUpstream> {
  // Each server caches on its own, as separate OpenAI organizations do.
  const cache = createFakeAutomaticPromptCache();
  return startFakeUpstreamServer({ baseURLPath: '/v1', handle: (exchange) => handle(exchange, cache) });
}

async function handle(
  { route, body, bodyIsJson, response, disconnected, nextTurn }: FakeUpstreamExchange,
  cache: FakeAutomaticPromptCache,
): Promise<void> {
  if (!bodyIsJson) {
    sendInvalidJson(response);
    return;
  }
  if (route === 'GET /v1/models') {
    sendModelList(response, fakeOpenAIResponsesModels);
  } else if (route === 'POST /v1/responses/input_tokens') {
    const params = asObject(body);
    sendJson(response, 200, { object: 'response.input_tokens', input_tokens: estimateInputTokens(params) });
  } else if (route === 'POST /v1/responses') {
    await respond(asObject(body), nextTurn(), response, disconnected, cache);
  } else {
    sendError(response, 404, `Invalid URL (${route})`, 'invalid_request_error');
  }
}

async function respond(
  params: Json,
  turn: ScriptedTurn,
  response: ServerResponse,
  disconnected: AbortSignal,
  cache: FakeAutomaticPromptCache,
): Promise<void> {
  if (!(await scriptedWait(turn, disconnected)) || response.destroyed) return;
  if (turn.error) {
    sendScriptedError(response, turn.error);
    return;
  }
  const rejection = rejectionOf(params);
  if (rejection) {
    sendRejection(response, rejection);
    return;
  }
  const reply = renderTurn(params, turn, cachedTokensOf(params, turn, cache));
  if (params['stream'] !== true) {
    sendJson(response, 200, reply.final);
    return;
  }
  writeEventStreamHead(response);
  const paced = turn.chunkDelayMs !== undefined && turn.chunkDelayMs > 0;
  if (!paced) {
    // The common case ("instant upstream"): one write for the whole stream.
    response.end(reply.events.map(frame).join(''));
    return;
  }
  for (const event of reply.events) {
    if (response.destroyed) return;
    if (String(event['type']).endsWith('.delta')) await sleep(turn.chunkDelayMs);
    if (response.destroyed) return;
    response.write(frame(event));
  }
  response.end();
}

/** Real-API rejections a Berth adapter must not provoke, so tests catch a wrong conversion. */
function rejectionOf(params: Json): Rejection | null {
  if (typeof params['model'] !== 'string') {
    return {
      message: "Missing required parameter: 'model'.",
      param: 'model',
      code: 'missing_required_parameter',
    };
  }
  const retention = params['prompt_cache_retention'];
  if (retention !== undefined && retention !== null && retention !== 'in_memory' && retention !== '24h') {
    return {
      message: `Invalid value: ${JSON.stringify(retention)}. Supported values are: 'in_memory' and '24h'.`,
      param: 'prompt_cache_retention',
      code: 'invalid_value',
    };
  }
  const input = Array.isArray(params['input']) ? (params['input'] as unknown[]) : [];
  for (const [index, item] of input.entries()) {
    const object = asObject(item);
    // With `store: false` nothing is persisted, so an `id` on an input item is a lookup that must fail.
    if (params['store'] === false && typeof object['id'] === 'string') {
      return {
        message: `Item with id '${object['id']}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
        param: 'input',
        code: null,
      };
    }
    if (object['role'] === 'assistant' && Array.isArray(object['content'])) {
      for (const [partIndex, part] of (object['content'] as unknown[]).entries()) {
        const partType = asObject(part)['type'];
        if (partType !== 'output_text' && partType !== 'refusal') {
          return {
            message: `Invalid value: '${String(partType)}'. Supported values are: 'output_text' and 'refusal'.`,
            param: `input[${index}].content[${partIndex}]`,
            code: 'invalid_value',
          };
        }
      }
    }
  }
  return shellInputRejection(input);
}

/**
 * Input tokens read from the prompt cache: as scripted, or what the emulated automatic cache (keyed
 * by model and `prompt_cache_key`) had of the prompt's tools, instructions and input.
 */
function cachedTokensOf(params: Json, turn: ScriptedTurn, cache: FakeAutomaticPromptCache): number {
  if (turn.usage !== undefined) return turn.usage.cached ?? 0;
  const routingKey = JSON.stringify([params['model'], params['prompt_cache_key'] ?? null]);
  const prompt = JSON.stringify([params['tools'] ?? null, params['instructions'] ?? null, params['input']]);
  return Math.min(cache.use(routingKey, prompt), estimateInputTokens(params));
}

/** The SSE events and the final Response object for one scripted turn. */
function renderTurn(params: Json, turn: ScriptedTurn, cachedTokens: number): { events: Json[]; final: Json } {
  const finishReason = finishReasonOf(turn);
  const incomplete = finishReason === 'length' || finishReason === 'content_filter';
  const itemStatus = incomplete ? 'incomplete' : 'completed';
  const size = turn.chunkSize ?? 4;
  const include = Array.isArray(params['include']) ? (params['include'] as unknown[]) : [];
  const events: Json[] = [];
  const output: Json[] = [];
  const emit = (event: Json): void => void events.push({ ...event, sequence_number: events.length });
  const base = responseObject(params);

  emit({ type: 'response.created', response: { ...base, status: 'in_progress' } });
  emit({ type: 'response.in_progress', response: { ...base, status: 'in_progress' } });

  if (turn.reasoning !== undefined) {
    const id = `rs_${hex(24)}`;
    const output_index = output.length;
    const part = { type: 'summary_text', text: turn.reasoning };
    const location = { item_id: id, output_index, summary_index: 0 };
    emit({ type: 'response.output_item.added', output_index, item: { id, type: 'reasoning', summary: [] } });
    emit({ type: 'response.reasoning_summary_part.added', ...location, part: { ...part, text: '' } });
    for (const delta of chunkText(turn.reasoning, size)) {
      emit({ type: 'response.reasoning_summary_text.delta', ...location, delta, obfuscation: pad(delta) });
    }
    emit({ type: 'response.reasoning_summary_text.done', ...location, text: turn.reasoning });
    emit({ type: 'response.reasoning_summary_part.done', ...location, part });
    const item: Json = { id, type: 'reasoning', summary: [part] };
    // Only a request that asks for it gets the opaque reasoning state back (stateless round trips).
    if (include.includes('reasoning.encrypted_content')) item['encrypted_content'] = `gAAAAA${hex(32)}`;
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  const hostedItems = [
    ...(turn.webSearches ?? []).map((search) => ({
      item: {
        id: `ws_${hex(24)}`,
        type: 'web_search_call',
        status: 'completed',
        action: {
          type: 'search',
          query: search.query,
          sources: search.results.map((page) => ({ type: 'url', url: page.url })),
        },
      },
      events: ['in_progress', 'searching', 'completed'],
    })),
    ...(turn.hostedItems ?? []),
  ];
  for (const hosted of hostedItems) {
    const output_index = output.length;
    const id = typeof hosted.item['id'] === 'string' ? hosted.item['id'] : `ht_${hex(24)}`;
    const item: Json = { ...hosted.item, id };
    const type = String(item['type']);
    // The added item is the done one before it ran: in progress, without its results (observed).
    const added: Json = { id, type, status: 'in_progress' };
    if (type === 'web_search_call') added['action'] = { type: 'search' };
    emit({ type: 'response.output_item.added', output_index, item: added });
    for (const name of hosted.events ?? []) {
      emit({ type: `response.${type}.${name}`, item_id: id, output_index });
    }
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  if (turn.text !== undefined) {
    const id = `msg_${hex(24)}`;
    const output_index = output.length;
    const annotations = (turn.citations ?? []).map((page) => ({
      type: 'url_citation',
      start_index: 0,
      end_index: turn.text?.length ?? 0,
      url: page.url,
      title: page.title,
    }));
    const part = { type: 'output_text', annotations, logprobs: [], text: turn.text };
    const location = { item_id: id, output_index, content_index: 0 };
    const message = { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' };
    emit({ type: 'response.output_item.added', output_index, item: message });
    emit({ type: 'response.content_part.added', ...location, part: { ...part, text: '', annotations: [] } });
    for (const delta of chunkText(turn.text, size)) {
      emit({ type: 'response.output_text.delta', ...location, delta, logprobs: [], obfuscation: pad(delta) });
    }
    for (const [annotation_index, annotation] of annotations.entries()) {
      emit({ type: 'response.output_text.annotation.added', ...location, annotation_index, annotation });
    }
    emit({ type: 'response.output_text.done', ...location, text: turn.text, logprobs: [] });
    emit({ type: 'response.content_part.done', ...location, part });
    const item = { ...message, status: itemStatus, content: [part] };
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  for (const search of turn.toolSearches ?? []) {
    // A server-run search arrives whole: its call, then its output; no deltas (observed item shapes).
    const call_id = `call_${hex(12)}`;
    const execution = search.execution ?? 'server';
    const call = {
      id: `tsc_${hex(24)}`,
      type: 'tool_search_call',
      call_id,
      execution,
      arguments: { query: search.query },
      status: 'completed',
    };
    for (const item of [
      call,
      {
        id: `tso_${hex(24)}`,
        type: 'tool_search_output',
        call_id,
        execution: 'server',
        tools: search.found ?? [],
        status: 'completed',
      },
    ].slice(0, execution === 'client' ? 1 : 2)) {
      const output_index = output.length;
      emit({ type: 'response.output_item.added', output_index, item });
      emit({ type: 'response.output_item.done', output_index, item });
      output.push(item);
    }
  }

  for (const call of turn.toolCalls ?? []) {
    const id = `fc_${hex(24)}`;
    const output_index = output.length;
    const added = {
      id,
      type: 'function_call',
      status: 'in_progress',
      arguments: '',
      call_id: `call_${hex(12)}`,
      ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
    };
    const item = { ...added, name: call.name, status: itemStatus, arguments: call.arguments };
    emit({ type: 'response.output_item.added', output_index, item: { ...added, name: call.name } });
    for (const delta of chunkText(call.arguments, size)) {
      emit({
        type: 'response.function_call_arguments.delta',
        item_id: id,
        output_index,
        delta,
        obfuscation: pad(delta),
      });
    }
    emit({
      type: 'response.function_call_arguments.done',
      item_id: id,
      output_index,
      arguments: call.arguments,
    });
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  for (const call of turn.customCalls ?? []) {
    const id = `ctc_${hex(24)}`;
    const output_index = output.length;
    const added = {
      id,
      type: 'custom_tool_call',
      status: 'in_progress',
      call_id: `call_${hex(12)}`,
      input: '',
      name: call.name,
    };
    emit({ type: 'response.output_item.added', output_index, item: added });
    for (const delta of chunkText(call.input, size)) {
      emit({
        type: 'response.custom_tool_call_input.delta',
        item_id: id,
        output_index,
        delta,
        obfuscation: pad(delta),
      });
    }
    emit({ type: 'response.custom_tool_call_input.done', item_id: id, output_index, input: call.input });
    const item = { ...added, status: itemStatus, input: call.input };
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  for (const call of turn.shellCalls ?? []) {
    const id = `sh_${hex(24)}`;
    const output_index = output.length;
    const action = { timeout_ms: call.timeoutMs ?? null, max_output_length: call.maxOutputLength ?? null };
    // A tool with no environment is client-executed: the call carries no environment field (observed).
    const added = {
      id,
      type: 'shell_call',
      status: 'in_progress',
      call_id: `call_${hex(12)}`,
      action: { ...action, commands: [] },
    };
    emit({ type: 'response.output_item.added', output_index, item: added });
    call.commands.forEach((command, command_index) => {
      const location = { output_index, command_index };
      emit({ type: 'response.shell_call_command.added', ...location, command: '' });
      for (const delta of chunkText(command, size)) {
        emit({ type: 'response.shell_call_command.delta', ...location, delta, obfuscation: pad(delta) });
      }
      emit({ type: 'response.shell_call_command.done', ...location, command });
    });
    const item = { ...added, status: itemStatus, action: { ...action, commands: [...call.commands] } };
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  for (const call of turn.applyPatchCalls ?? []) {
    // OpenAI sends the operation whole: the SDK defines no event that streams it.
    const id = `apc_${hex(24)}`;
    const output_index = output.length;
    const added = {
      id,
      type: 'apply_patch_call',
      status: 'in_progress',
      call_id: `call_${hex(12)}`,
      operation: applyPatchArgumentsOf(call),
    };
    emit({ type: 'response.output_item.added', output_index, item: added });
    const item = { ...added, status: itemStatus === 'incomplete' ? 'in_progress' : 'completed' };
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  for (const call of turn.localShellCalls ?? []) {
    const id = `lsh_${hex(24)}`;
    const output_index = output.length;
    const added = {
      id,
      type: 'local_shell_call',
      status: 'in_progress',
      call_id: `call_${hex(12)}`,
      action: {
        type: 'exec',
        command: [...call.command],
        env: {},
        timeout_ms: call.timeoutMs ?? null,
        user: null,
        working_directory: call.workdir ?? null,
      },
    };
    emit({ type: 'response.output_item.added', output_index, item: added });
    const item = { ...added, status: itemStatus };
    emit({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  const final: Json = {
    ...base,
    status: incomplete ? 'incomplete' : 'completed',
    completed_at: incomplete ? null : base['created_at'],
    incomplete_details: incomplete
      ? { reason: finishReason === 'length' ? 'max_output_tokens' : 'content_filter' }
      : null,
    output,
    usage: usageOf(params, turn, cachedTokens),
  };
  emit({ type: incomplete ? 'response.incomplete' : 'response.completed', response: final });
  return { events, final };
}

/** The Response object's fields as the real API echoes them, before output and usage exist. */
function responseObject(params: Json): Json {
  const reasoning = asObject(params['reasoning']);
  const text = asObject(params['text']);
  return {
    id: `resp_${hex(24)}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    background: false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: params['instructions'] ?? null,
    max_output_tokens: params['max_output_tokens'] ?? null,
    max_tool_calls: null,
    model: params['model'],
    output: [],
    parallel_tool_calls: params['parallel_tool_calls'] ?? true,
    previous_response_id: null,
    prompt_cache_key: params['prompt_cache_key'] ?? null,
    prompt_cache_retention: params['prompt_cache_retention'] ?? null,
    reasoning: { effort: reasoning['effort'] ?? null, summary: reasoning['summary'] ?? null },
    safety_identifier: null,
    service_tier: 'default',
    store: params['store'] ?? true,
    temperature: params['temperature'] ?? 1,
    text: { format: text['format'] ?? { type: 'text' }, verbosity: 'medium' },
    tool_choice: params['tool_choice'] ?? 'auto',
    tools: params['tools'] ?? [],
    top_logprobs: 0,
    top_p: params['top_p'] ?? 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: {},
  };
}

function usageOf(params: Json, turn: ScriptedTurn, cachedTokens: number): Json {
  const produced =
    (turn.text ?? '') +
    (turn.toolCalls ?? []).map((call) => call.arguments).join('') +
    (turn.customCalls ?? []).map((call) => call.input).join('') +
    (turn.shellCalls ?? []).map((call) => call.commands.join('')).join('');
  const reasoningTokens = Math.ceil((turn.reasoning ?? '').length / 4);
  const input = turn.usage?.input ?? estimateInputTokens(params);
  const output = turn.usage?.output ?? Math.ceil(produced.length / 4) + reasoningTokens;
  return {
    input_tokens: input,
    // Automatic caching writes without charge, so nothing counts as a cache write.
    input_tokens_details: { cached_tokens: cachedTokens, cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: Math.min(reasoningTokens, output) },
    total_tokens: input + output,
  };
}

/** A deterministic stand-in for a tokenizer: about four characters a token. */
function estimateInputTokens(params: Json): number {
  const counted = [params['instructions'], params['input'], params['tools']].filter((value) => value != null);
  return Math.max(1, Math.ceil(JSON.stringify(counted).length / 4));
}

function frame(event: Json): string {
  return `event: ${String(event['type'])}\ndata: ${JSON.stringify(event)}\n\n`;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

// The real service pads each delta with random characters (`obfuscation`) against length side channels.
const padAlphabet = 'q8Zr0vLkT2mXw5bNcY7pHd';
function pad(delta: string): string {
  return padAlphabet.slice(0, Math.max(0, 16 - delta.length));
}
