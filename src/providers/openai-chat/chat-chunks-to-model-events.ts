import type { ModelEvent } from '../model-provider.js';
import { chatShellToolName, shellArgumentsToShellAction } from './chat-shell-tool.js';
import { chatCompletionChunkSchema, type ChatUsageData } from './chat-completion-schemas.js';
import { mapChatFinishReason } from './map-chat-finish-reason.js';
import { mapChatUsage } from './map-chat-usage.js';
import {
  completeArgumentsText,
  readChatArgumentsText,
  readChatContentText,
  readChatReasoningText,
} from './read-chat-message-fields.js';

/** One streamed tool call being assembled from its deltas. */
interface ToolCallState {
  readonly id: string;
  callId: string | null;
  name: string | null;
  arguments: string;
  started: boolean;
  /** True when this is a call of the `shell` function standing for the shell tool. */
  shell: boolean;
}

/** What a converter needs beyond the upstream's reply. */
export interface ChatEventOptions {
  /** Makes a `call_id` for servers that send tool calls without an `id`. */
  readonly newCallId: () => string;
  /** True when the `shell` function stands for the shell tool: its calls are then shell calls. */
  readonly shellTool: boolean;
}

/**
 * Turns a stream of `chat.completion.chunk` payloads into ModelEvents.
 *
 * Reasoning and text alternate as exclusive parts (a new one starts whenever the stream switches
 * between them). The reasoning servers send (`reasoning_content` or `reasoning`) is the model's raw
 * reasoning, not a summary, so it streams as `reasoning-text-delta`. Refusal text is its own part,
 * and tool calls are assembled from deltas keyed by `index` and stay open until the stream ends,
 * because servers may interleave the deltas of parallel calls. A call of the `shell` function (when
 * it stands for the shell tool) is a shell call: its arguments are JSON, not command text, so it
 * streams no deltas and ends with the parsed action. `finish` comes after the source is exhausted, since the usage chunk follows
 * the finish chunk. `newCallId` serves servers that send tool calls without an `id` (older Ollama and
 * llama.cpp builds, some Gemini responses).
 */
export async function* chatChunksToModelEvents(
  chunks: AsyncIterable<unknown>,
  { newCallId, shellTool }: ChatEventOptions,
): AsyncGenerator<ModelEvent> {
  let partCount = 0;
  const nextPartId = (kind: string): string => `${kind}-${partCount++}`;
  let current: { readonly kind: 'text' | 'reasoning'; readonly id: string } | null = null;
  let refusalId: string | null = null;
  const toolCalls = new Map<string, ToolCallState>();
  let lastToolCallKey: string | null = null;
  let finishReason: string | null = null;
  let usage: ChatUsageData = null;

  function* endCurrent(): Generator<ModelEvent> {
    if (current === null) return;
    yield current.kind === 'text'
      ? { type: 'text-end', id: current.id }
      : { type: 'reasoning-end', id: current.id, encryptedContent: null };
    current = null;
  }

  function* appendTo(kind: 'text' | 'reasoning', delta: string): Generator<ModelEvent> {
    if (current?.kind !== kind) {
      yield* endCurrent();
      current = { kind, id: nextPartId(kind) };
      yield { type: kind === 'text' ? 'text-start' : 'reasoning-start', id: current.id };
    }
    yield { type: kind === 'text' ? 'text-delta' : 'reasoning-text-delta', id: current.id, delta };
  }

  for await (const raw of chunks) {
    const parsed = chatCompletionChunkSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`malformed chat.completion.chunk (${parsed.error.message})`);
    const chunk = parsed.data;
    // With `include_usage` the usage rides on a final chunk with no choices; some servers instead put
    // it on every chunk (cumulative) or on the finish chunk. The last one seen is the total.
    if (chunk.usage) usage = chunk.usage;
    // Berth never asks for `n > 1`, so the first choice is the only one.
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    if (choice.finish_reason) finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (!delta) continue;

    const reasoning = readChatReasoningText(delta);
    if (reasoning !== '') yield* appendTo('reasoning', reasoning);
    const text = readChatContentText(delta.content);
    if (text !== '') yield* appendTo('text', text);
    if (delta.refusal) {
      if (refusalId === null) {
        refusalId = nextPartId('refusal');
        yield { type: 'refusal-start', id: refusalId };
      }
      yield { type: 'refusal-delta', id: refusalId, delta: delta.refusal };
    }

    for (const [position, call] of (delta.tool_calls ?? []).entries()) {
      // Deltas are keyed by `index`. Without one, a delta with a new `id` is a new call and a
      // delta with neither continues the call before it.
      const key: string =
        typeof call.index === 'number'
          ? `index:${call.index}`
          : call.id
            ? `id:${call.id}`
            : (lastToolCallKey ?? `position:${position}`);
      lastToolCallKey = key;
      let state = toolCalls.get(key);
      if (state === undefined) {
        state = {
          id: nextPartId('call'),
          callId: null,
          name: null,
          arguments: '',
          started: false,
          shell: false,
        };
        toolCalls.set(key, state);
      }
      // Some servers repeat `id` and `name` on every delta of a call; the first ones count.
      if (call.id && state.callId === null && !state.started) state.callId = call.id;
      if (call.function?.name && state.name === null) state.name = call.function.name;
      // Arguments usually arrive in pieces; Gemini and Ollama deliver them whole in one delta.
      const argumentsDelta = readChatArgumentsText(call.function?.arguments);
      state.arguments += argumentsDelta;
      if (!state.started && state.name !== null) {
        yield* endCurrent();
        state.started = true;
        state.callId ??= newCallId();
        state.shell = shellTool && state.name === chatShellToolName;
        if (state.shell) {
          yield { type: 'shell-call-start', id: state.id, callId: state.callId };
          continue;
        }
        yield { type: 'tool-call-start', id: state.id, callId: state.callId, name: state.name };
        // Arguments that came before the name are sent now.
        if (state.arguments !== '') yield { type: 'tool-call-delta', id: state.id, delta: state.arguments };
      } else if (state.started && !state.shell && argumentsDelta !== '') {
        yield { type: 'tool-call-delta', id: state.id, delta: argumentsDelta };
      }
    }
  }

  yield* endCurrent();
  if (refusalId !== null) yield { type: 'refusal-end', id: refusalId };
  for (const state of toolCalls.values()) {
    if (!state.started) throw new Error('a tool call arrived without a function name');
    yield state.shell
      ? { type: 'shell-call-end', id: state.id, action: shellArgumentsToShellAction(state.arguments) }
      : { type: 'tool-call-end', id: state.id, arguments: completeArgumentsText(state.arguments) };
  }
  yield {
    type: 'finish',
    reason: mapChatFinishReason(finishReason, toolCalls.size > 0),
    usage: mapChatUsage(usage),
  };
}
