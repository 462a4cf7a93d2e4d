import type { ChatArguments, ChatContent } from './chat-completion-schemas.js';

/** The text of a message's or delta's `content`, whether a string or an array of typed parts. */
export function readChatContentText(content: ChatContent): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  // Mistral-style part arrays: keep plain text parts; `thinking` parts carry no `text` and drop out.
  let text = '';
  for (const part of content) {
    if ((part.type === 'text' || part.type == null) && typeof part.text === 'string') text += part.text;
  }
  return text;
}

/**
 * Reasoning text from whichever field the server uses. Some vLLM versions send the same text in both
 * `reasoning_content` and `reasoning`, so exactly one field is read, never both.
 */
export function readChatReasoningText(fields: {
  readonly reasoning_content?: string | null | undefined;
  readonly reasoning?: string | null | undefined;
}): string {
  if (typeof fields.reasoning_content === 'string' && fields.reasoning_content !== '') {
    return fields.reasoning_content;
  }
  return typeof fields.reasoning === 'string' ? fields.reasoning : '';
}

/** Tool call arguments as JSON text; some servers send them already parsed as an object. */
export function readChatArgumentsText(value: ChatArguments): string {
  if (typeof value === 'string') return value;
  if (value == null) return '';
  return JSON.stringify(value);
}

/**
 * Arguments as the Responses API reports them. A call to a parameterless function arrives with no
 * arguments at all from Ollama and llama.cpp, and `""` is not JSON, so it becomes `{}`.
 */
export function completeArgumentsText(text: string): string {
  return text.trim() === '' ? '{}' : text;
}
