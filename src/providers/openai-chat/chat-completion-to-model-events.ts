import type { ModelEvent } from '../model-provider.js';
import type { ChatEventOptions } from './chat-chunks-to-model-events.js';
import { chatShellToolName, shellArgumentsToShellAction } from './chat-shell-tool.js';
import { chatCompletionSchema } from './chat-completion-schemas.js';
import { mapChatFinishReason } from './map-chat-finish-reason.js';
import { mapChatUsage } from './map-chat-usage.js';
import {
  completeArgumentsText,
  readChatArgumentsText,
  readChatContentText,
  readChatReasoningText,
} from './read-chat-message-fields.js';

/**
 * Turns a non-streaming `chat.completion` into the events its streaming twin would produce, in the
 * same order: reasoning (raw text, as `reasoning-text-delta`), text, refusal, tool and shell calls,
 * finish.
 */
export function chatCompletionToModelEvents(
  raw: unknown,
  { newCallId, shellTool }: ChatEventOptions,
): ModelEvent[] {
  const parsed = chatCompletionSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`malformed chat.completion (${parsed.error.message})`);
  const completion = parsed.data;
  const choice = completion.choices?.[0];
  // `message` may be missing when a server cut the reply short (for example `length` at 0 tokens).
  const message = choice?.message;
  const events: ModelEvent[] = [];

  const reasoning = message ? readChatReasoningText(message) : '';
  if (reasoning !== '') {
    events.push(
      { type: 'reasoning-start', id: 'reasoning-0' },
      { type: 'reasoning-text-delta', id: 'reasoning-0', delta: reasoning },
      { type: 'reasoning-end', id: 'reasoning-0', encryptedContent: null },
    );
  }
  const text = readChatContentText(message?.content);
  if (text !== '') {
    events.push(
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: text },
      { type: 'text-end', id: 'text-0' },
    );
  }
  if (message?.refusal) {
    events.push(
      { type: 'refusal-start', id: 'refusal-0' },
      { type: 'refusal-delta', id: 'refusal-0', delta: message.refusal },
      { type: 'refusal-end', id: 'refusal-0' },
    );
  }
  const toolCalls = message?.tool_calls ?? [];
  for (const [index, call] of toolCalls.entries()) {
    const name = call.function?.name;
    if (!name) throw new Error('a tool call arrived without a function name');
    const id = `call-${index}`;
    const callId = call.id || newCallId();
    if (shellTool && name === chatShellToolName) {
      const action = shellArgumentsToShellAction(readChatArgumentsText(call.function?.arguments));
      events.push({ type: 'shell-call-start', id, callId }, { type: 'shell-call-end', id, action });
      continue;
    }
    const argumentsText = completeArgumentsText(readChatArgumentsText(call.function?.arguments));
    events.push(
      { type: 'tool-call-start', id, callId, name },
      { type: 'tool-call-delta', id, delta: argumentsText },
      { type: 'tool-call-end', id, arguments: argumentsText },
    );
  }
  events.push({
    type: 'finish',
    reason: mapChatFinishReason(choice?.finish_reason, toolCalls.length > 0),
    usage: mapChatUsage(completion.usage),
  });
  return events;
}
