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

/** The model ids the fake lists at `GET /v1/models`. */
export const fakeChatCompletionsModels: readonly string[] = ['llama3.2', 'qwen3:8b', 'deepseek-r1'];

/**
 * Starts a loopback server that speaks OpenAI's Chat Completions API as api.openai.com does:
 * `POST /v1/chat/completions` (SSE `chat.completion.chunk`s ending in `data: [DONE]`, or one
 * `chat.completion` body), `GET /v1/models`, and the `{"error":{…}}` envelope. Reasoning is sent in
 * one of the fields servers add to the protocol: `reasoning_content` (vLLM, DeepSeek, llama.cpp) or,
 * when the turn's `reasoningField` says so, `reasoning` (Ollama, OpenRouter).
 *
 * @example
 * const upstream = await startFakeChatCompletionsUpstream();
 * upstream.script({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
 */
export function startFakeChatCompletionsUpstream(): Promise<FakeUpstream> {
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
    sendModelList(response, fakeChatCompletionsModels);
  } else if (route === 'POST /v1/chat/completions') {
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
  if (!(await scriptedWait(turn, disconnected))) return;
  if (turn.error) {
    sendScriptedError(response, turn.error);
    return;
  }
  const rejection = rejectionOf(params);
  if (rejection) {
    sendRejection(response, rejection);
    return;
  }
  const usage = usageOf(params, turn, cachedTokensOf(params, turn, cache));
  if (params['stream'] !== true) {
    sendJson(response, 200, renderCompletion(params, turn, usage));
    return;
  }
  const chunks = renderChunks(params, turn, usage);
  writeEventStreamHead(response);
  const paced = turn.chunkDelayMs !== undefined && turn.chunkDelayMs > 0;
  if (!paced) {
    // The common case ("instant upstream"): one write for the whole stream.
    response.end(chunks.map(({ chunk }) => frame(chunk)).join('') + done);
    return;
  }
  for (const { chunk, isDelta } of chunks) {
    if (isDelta && !(await pause(turn.chunkDelayMs, disconnected))) return;
    if (response.destroyed) return;
    response.write(frame(chunk));
  }
  response.end(done);
}

/**
 * Real-API rejections a Berth adapter must not provoke, so tests catch a wrong conversion (for
 * example tool results split from the assistant message whose calls they answer).
 */
function rejectionOf(params: Json): Rejection | null {
  if (typeof params['model'] !== 'string') {
    return {
      message: "Missing required parameter: 'model'.",
      param: 'model',
      code: 'missing_required_parameter',
    };
  }
  if (!Array.isArray(params['messages'])) {
    return {
      message: "Missing required parameter: 'messages'.",
      param: 'messages',
      code: 'missing_required_parameter',
    };
  }
  for (const field of ['tool_choice', 'parallel_tool_calls']) {
    if (params[field] !== undefined && !Array.isArray(params['tools'])) {
      return {
        message: `Invalid value for '${field}': '${field}' is only allowed when 'tools' are specified.`,
        param: field,
        code: null,
      };
    }
  }
  const messages = (params['messages'] as unknown[]).map(asObject);
  let unanswered: string[] = [];
  for (const [index, message] of messages.entries()) {
    if (message['role'] === 'tool') {
      const callId = message['tool_call_id'];
      if (typeof callId !== 'string' || !unanswered.includes(callId)) {
        return {
          message:
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          param: `messages.[${index}].role`,
          code: null,
        };
      }
      unanswered = unanswered.filter((id) => id !== callId);
      continue;
    }
    if (unanswered.length > 0) {
      return {
        message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${unanswered.join(', ')}`,
        param: `messages.[${index}].role`,
        code: null,
      };
    }
    const toolCalls = Array.isArray(message['tool_calls']) ? (message['tool_calls'] as unknown[]) : [];
    unanswered = toolCalls.map((call) => String(asObject(call)['id']));
  }
  return null;
}

/**
 * The turn's function calls: its tool calls, then its custom tool calls as calls of the function
 * Berth offers for each (`{"input": …}`), then its shell calls as calls of the `shell` function Berth
 * offers Chat Completions models, with the limits the script sets.
 */
function functionCallsOf(turn: ScriptedTurn): { name: string; arguments: string }[] {
  const shellCalls = (turn.shellCalls ?? []).map((call) => ({
    name: 'shell',
    arguments: JSON.stringify({
      commands: call.commands,
      ...(call.timeoutMs === undefined ? {} : { timeout_ms: call.timeoutMs }),
      ...(call.maxOutputLength === undefined ? {} : { max_output_length: call.maxOutputLength }),
    }),
  }));
  const customCalls = (turn.customCalls ?? []).map((call) => ({
    name: call.name,
    arguments: JSON.stringify({ input: call.input }),
  }));
  const applyPatchCalls = (turn.applyPatchCalls ?? []).map((call) => ({
    name: 'apply_patch',
    arguments: JSON.stringify(applyPatchArgumentsOf(call)),
  }));
  const localShellCalls = (turn.localShellCalls ?? []).map((call) => ({
    name: 'local_shell',
    arguments: JSON.stringify(localShellArgumentsOf(call)),
  }));
  const toolCalls = (turn.toolCalls ?? []).map((call) => ({
    name: flatCallName(call),
    arguments: call.arguments,
  }));
  return [
    ...toolSearchFunctionCalls(turn),
    ...toolCalls,
    ...customCalls,
    ...shellCalls,
    ...applyPatchCalls,
    ...localShellCalls,
  ];
}

/**
 * Input tokens read from the prompt cache: as scripted, or what the emulated automatic cache had of
 * the prompt's tools and messages.
 */
function cachedTokensOf(params: Json, turn: ScriptedTurn, cache: FakeAutomaticPromptCache): number {
  if (turn.usage !== undefined) return turn.usage.cached ?? 0;
  const routingKey = JSON.stringify([params['model'], params['prompt_cache_key'] ?? null]);
  const prompt = JSON.stringify([params['tools'] ?? null, params['messages']]);
  return Math.min(cache.use(routingKey, prompt), estimateInputTokens(params));
}

/** The SSE chunks of one scripted turn; `isDelta` marks the ones `chunkDelayMs` paces. */
function renderChunks(params: Json, turn: ScriptedTurn, usage: Json): { chunk: Json; isDelta: boolean }[] {
  const includeUsage = asObject(params['stream_options'])['include_usage'] === true;
  const size = turn.chunkSize ?? 4;
  const base = {
    id: `chatcmpl-${alphanumeric(29)}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: params['model'],
    service_tier: 'default',
    system_fingerprint: systemFingerprint,
  };
  const chunks: { chunk: Json; isDelta: boolean }[] = [];
  const push = (delta: Json, finishReason: string | null, isDelta: boolean): void => {
    const choice = { index: 0, delta, logprobs: null, finish_reason: finishReason };
    const chunk: Json = { ...base, choices: [choice] };
    // With `include_usage`, every chunk carries `usage: null` until the usage chunk.
    if (includeUsage) chunk['usage'] = null;
    chunk['obfuscation'] = pad(JSON.stringify(delta));
    chunks.push({ chunk, isDelta });
  };

  push({ role: 'assistant', content: '', refusal: null }, null, false);
  const reasoningField = turn.reasoningField ?? 'reasoning_content';
  for (const piece of chunkText(turn.reasoning ?? '', size)) push({ [reasoningField]: piece }, null, true);
  for (const piece of chunkText(turn.text ?? '', size)) push({ content: piece }, null, true);
  for (const [index, call] of functionCallsOf(turn).entries()) {
    // The first delta of each call carries its id and name; the arguments follow in pieces.
    const first = {
      index,
      id: `call_${alphanumeric(24)}`,
      type: 'function',
      function: { name: call.name, arguments: '' },
    };
    push({ tool_calls: [first] }, null, false);
    for (const piece of chunkText(call.arguments, size)) {
      push({ tool_calls: [{ index, function: { arguments: piece } }] }, null, true);
    }
  }
  push({}, finishReasonOf(turn), false);
  if (includeUsage) {
    chunks.push({
      chunk: { ...base, choices: [], usage, obfuscation: pad('') },
      isDelta: false,
    });
  }
  return chunks;
}

/** The non-streaming `chat.completion` for one scripted turn. */
function renderCompletion(params: Json, turn: ScriptedTurn, usage: Json): Json {
  const message: Json = {
    role: 'assistant',
    content: turn.text ?? null,
    refusal: null,
    annotations: [],
  };
  if (turn.reasoning !== undefined) message[turn.reasoningField ?? 'reasoning_content'] = turn.reasoning;
  const calls = functionCallsOf(turn);
  if (calls.length > 0) {
    message['tool_calls'] = calls.map((call) => ({
      id: `call_${alphanumeric(24)}`,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: `chatcmpl-${alphanumeric(29)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: params['model'],
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(turn) }],
    usage,
    service_tier: 'default',
    system_fingerprint: systemFingerprint,
  };
}

function usageOf(params: Json, turn: ScriptedTurn, cachedTokens: number): Json {
  const produced =
    (turn.text ?? '') +
    functionCallsOf(turn)
      .map((call) => call.arguments)
      .join('');
  const reasoningTokens = Math.ceil((turn.reasoning ?? '').length / 4);
  const input = turn.usage?.input ?? estimateInputTokens(params);
  const output = turn.usage?.output ?? Math.ceil(produced.length / 4) + reasoningTokens;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: Math.min(reasoningTokens, output),
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** A deterministic stand-in for a tokenizer: about four characters a token. */
function estimateInputTokens(params: Json): number {
  const counted = [params['messages'], params['tools']].filter((value) => value != null);
  return Math.max(1, Math.ceil(JSON.stringify(counted).length / 4));
}

/** Waits, unless the client disconnects first; true when the reply should go on. */
async function pause(milliseconds: number, disconnected: AbortSignal): Promise<boolean> {
  try {
    await sleep(milliseconds, undefined, { signal: disconnected });
    return true;
  } catch {
    return false;
  }
}

const done = 'data: [DONE]\n\n';
const systemFingerprint = 'fp_560af6e559';

/** Chat Completions frames have no `event:` line: just `data:` and a blank line. */
function frame(chunk: Json): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** OpenAI's `chatcmpl-…` and `call_…` ids are random letters and digits. */
function alphanumeric(length: number): string {
  let text = '';
  for (const byte of randomBytes(length)) text += alphabet[byte % alphabet.length];
  return text;
}

// The real service pads each chunk with characters (`obfuscation`) against length side channels.
const padAlphabet = 'q8Zr0vLkT2mXw5bNcY7pHd';
function pad(content: string): string {
  return padAlphabet.slice(0, Math.max(1, 16 - (content.length % 16)));
}
