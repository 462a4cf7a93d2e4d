import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatCompletionRequestBody } from './build-chat-completion-request.js';

/** Chat-template tokens around each message (role markers, separators), per OpenAI's cookbook. */
const tokensPerMessage = 4;
/** Tokens that prime the assistant's reply. */
const replyPrimingTokens = 3;
/**
 * One image. OpenAI charges 85 tokens for a low-detail image; local vision encoders spend anywhere
 * from about 64 to over 1,000, depending on the model and the image size.
 */
const tokensPerImage = 85;

/**
 * An ESTIMATE of a request's input tokens: Chat Completions has no token counting endpoint and
 * compatible servers use tokenizers Berth does not have. About one token per four characters of the
 * rendered text (message content and reasoning, tool call names and arguments, the JSON of the
 * tools and the response format), plus a few tokens per message and a fixed cost per image; a file
 * counts as its decoded bytes read as text. Expect it to be off by ±20% for English prose and more for
 * code or other languages.
 */
export function estimateChatInputTokens(body: ChatCompletionRequestBody): number {
  let characters = 0;
  let images = 0;
  for (const message of body.messages) {
    const counted = countMessage(message);
    characters += counted.characters;
    images += counted.images;
  }
  if (body.tools) characters += JSON.stringify(body.tools).length;
  if (body.response_format) characters += JSON.stringify(body.response_format).length;
  return (
    Math.ceil(characters / 4) +
    body.messages.length * tokensPerMessage +
    replyPrimingTokens +
    images * tokensPerImage
  );
}

function countMessage(message: ChatCompletionMessageParam): { characters: number; images: number } {
  let characters = 0;
  let images = 0;
  const content = message.content;
  if (typeof content === 'string') {
    characters += content.length;
  } else if (content) {
    for (const part of content) {
      switch (part.type) {
        case 'text':
          characters += part.text.length;
          break;
        case 'refusal':
          characters += part.refusal.length;
          break;
        case 'image_url':
          images += 1;
          break;
        case 'file':
          // base64: four characters for every three bytes.
          characters += Math.floor(((part.file.file_data?.length ?? 0) * 3) / 4);
          break;
        case 'input_audio':
          // Never produced by the converter; audio is not part of Berth's input.
          break;
      }
    }
  }
  if (message.role === 'assistant') {
    // Earlier reasoning sent back as `reasoning_content` is read by the model like any other text.
    if ('reasoning_content' in message && typeof message.reasoning_content === 'string') {
      characters += message.reasoning_content.length;
    }
    for (const call of message.tool_calls ?? []) {
      if (call.type === 'function') characters += call.function.name.length + call.function.arguments.length;
    }
  }
  return { characters, images };
}
