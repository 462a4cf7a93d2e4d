import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { chunkText, finishReasonOf, type FakeUpstream, type ScriptedTurn } from './scripted-turn.js';

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
  return startFakeUpstreamServer({ baseURLPath: '/v1', handle });
}

async function handle({
  route,
  body,
  bodyIsJson,
  response,
  disconnected,
  nextTurn,
}: FakeUpstreamExchange): Promise<void> {
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
    await respond(asObject(body), nextTurn(), response, disconnected);
  } else {
    sendError(response, 404, `Invalid URL (${route})`, 'invalid_request_error');
  }
}

async function respond(
  params: Json,
  turn: ScriptedTurn,
  response: ServerResponse,
  disconnected: AbortSignal,
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
  const reply = renderTurn(params, turn);
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

/** The SSE events and the final Response object for one scripted turn. */
function renderTurn(params: Json, turn: ScriptedTurn): { events: Json[]; final: Json } {
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

  if (turn.text !== undefined) {
    const id = `msg_${hex(24)}`;
    const output_index = output.length;
    const part = { type: 'output_text', annotations: [], logprobs: [], text: turn.text };
    const location = { item_id: id, output_index, content_index: 0 };
    const message = { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' };
    emit({ type: 'response.output_item.added', output_index, item: message });
    emit({ type: 'response.content_part.added', ...location, part: { ...part, text: '' } });
    for (const delta of chunkText(turn.text, size)) {
      emit({ type: 'response.output_text.delta', ...location, delta, logprobs: [], obfuscation: pad(delta) });
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

  const final: Json = {
    ...base,
    status: incomplete ? 'incomplete' : 'completed',
    completed_at: incomplete ? null : base['created_at'],
    incomplete_details: incomplete
      ? { reason: finishReason === 'length' ? 'max_output_tokens' : 'content_filter' }
      : null,
    output,
    usage: usageOf(params, turn),
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
    prompt_cache_key: null,
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

function usageOf(params: Json, turn: ScriptedTurn): Json {
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
    input_tokens_details: { cached_tokens: 0 },
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
