import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { BerthError } from '../../errors/berth-error.js';
import { ChatAssistantMessages } from './chat-assistant-messages.js';
import { shellCallOutputToChatToolMessage, shellCallToChatToolCall } from './chat-shell-tool.js';
import { convertToChatText, convertToChatUserContent } from './convert-to-chat-content.js';

/**
 * Converts Berth's context (Responses input items) into Chat Completions messages.
 *
 * - `instructions` becomes the leading system message; `developer` messages become `system` (most
 *   compatible servers reject the `developer` role).
 * - `function_call` items join the assistant message before them as `tool_calls`: Chat Completions
 *   has one assistant message per turn holding both its text and its calls.
 * - The raw reasoning text of `reasoning` items goes back as that message's `reasoning_content`;
 *   summaries and encrypted reasoning are dropped (see ChatAssistantMessages).
 * - `function_call_output` becomes a `tool` message.
 * - `shell_call` and `shell_call_output` become a call of the `shell` function and its `tool` message,
 *   the output as plain text.
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

  const assistant = new ChatAssistantMessages(messages);

  for (const item of input) {
    if (item.type === 'reasoning') {
      // Kept without ending the open assistant message: reasoning often sits between an assistant's
      // text and its function calls, which still belong to one Chat message.
      assistant.addReasoning(item);
      continue;
    }
    if (item.type === 'function_call') {
      assistant.addToolCall({
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: item.arguments },
      });
      continue;
    }
    if (item.type === 'shell_call') {
      assistant.addToolCall(shellCallToChatToolCall(item));
      continue;
    }
    if (item.type === 'shell_call_output') {
      assistant.flush();
      if (!item.call_id) {
        throw new BerthError('invalid_value', 'A shell_call_output item needs its call_id.', {
          param: 'input',
        });
      }
      messages.push(shellCallOutputToChatToolMessage(item));
      continue;
    }
    if (item.type === 'message' || (item.type === undefined && 'role' in item)) {
      if (item.role === 'assistant') {
        assistant.addText(convertToChatText(item.content, 'assistant'));
        continue;
      }
      assistant.flush();
      if (item.role === 'user') {
        messages.push({ role: 'user', content: convertToChatUserContent(item.content) });
      } else {
        messages.push({ role: 'system', content: convertToChatText(item.content, item.role) });
      }
      continue;
    }
    if (item.type === 'function_call_output') {
      assistant.flush();
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
  assistant.flush();
  return messages;
}
