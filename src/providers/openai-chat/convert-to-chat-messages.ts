import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { BerthError } from '../../errors/berth-error.js';
import { shellCallOutputToChatToolMessage, shellCallToChatToolCall } from './chat-shell-tool.js';
import { convertToChatText, convertToChatUserContent } from './convert-to-chat-content.js';

/** An assistant message being assembled: its text, then the function calls that follow it. */
interface PendingAssistant {
  readonly content: string | null;
  readonly toolCalls: ChatCompletionMessageFunctionToolCall[];
}

/**
 * Converts Berth's context (Responses input items) into Chat Completions messages.
 *
 * - `instructions` becomes the leading system message; `developer` messages become `system` (most
 *   compatible servers reject the `developer` role).
 * - `function_call` items join the assistant message before them as `tool_calls`: Chat Completions
 *   has one assistant message per turn holding both its text and its calls.
 * - `function_call_output` becomes a `tool` message.
 * - `shell_call` and `shell_call_output` become a call of the `shell` function and its `tool` message,
 *   the output as plain text.
 * - `reasoning` items are dropped: Chat Completions has no field to send reasoning back in.
 * - Anything else (hosted tool calls, item references) cannot be expressed: 400 `invalid_value`.
 *
 * @example
 * convertToChatMessages('Be brief.', [{ role: 'user', content: 'Hi' }]);
 * // [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]
 */
export function convertToChatMessages(
  instructions: string | null,
  input: readonly ResponseInputItem[],
): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  if (instructions) messages.push({ role: 'system', content: instructions });

  let assistant: PendingAssistant | null = null;
  const flushAssistant = (): void => {
    if (assistant === null) return;
    messages.push({
      role: 'assistant',
      // `null` (not "") is the spec's value for a message that is only tool calls.
      content: assistant.content,
      ...(assistant.toolCalls.length > 0 ? { tool_calls: assistant.toolCalls } : {}),
    });
    assistant = null;
  };

  for (const item of input) {
    if (item.type === 'reasoning') {
      // Dropped without ending the pending assistant message: reasoning often sits between an
      // assistant's text and its function calls, which still belong to one Chat message.
      continue;
    }
    if (item.type === 'function_call') {
      assistant ??= { content: null, toolCalls: [] };
      assistant.toolCalls.push({
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: item.arguments },
      });
      continue;
    }
    if (item.type === 'shell_call') {
      assistant ??= { content: null, toolCalls: [] };
      assistant.toolCalls.push(shellCallToChatToolCall(item));
      continue;
    }
    if (item.type === 'shell_call_output') {
      flushAssistant();
      if (!item.call_id) {
        throw new BerthError('invalid_value', 'A shell_call_output item needs its call_id.', {
          param: 'input',
        });
      }
      messages.push(shellCallOutputToChatToolMessage(item));
      continue;
    }
    if (item.type === 'message' || (item.type === undefined && 'role' in item)) {
      flushAssistant();
      if (item.role === 'assistant') {
        assistant = { content: convertToChatText(item.content, 'assistant'), toolCalls: [] };
      } else if (item.role === 'user') {
        messages.push({ role: 'user', content: convertToChatUserContent(item.content) });
      } else {
        messages.push({ role: 'system', content: convertToChatText(item.content, item.role) });
      }
      continue;
    }
    if (item.type === 'function_call_output') {
      flushAssistant();
      if (!item.call_id) {
        throw new BerthError('invalid_value', 'A function_call_output item needs its call_id.', {
          param: 'input',
        });
      }
      messages.push({
        role: 'tool',
        tool_call_id: item.call_id,
        content: convertToChatText(item.output, 'function_call_output'),
      });
      continue;
    }
    // Hosted-tool calls and item references (which may come without `type`) have no Chat form.
    throw new BerthError(
      'invalid_value',
      `Input items of type '${item.type ?? 'item_reference'}' cannot be sent to a Chat Completions upstream.`,
      { param: 'input' },
    );
  }
  flushAssistant();
  return messages;
}
