import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';
import { invalidInput } from '../invalid-input-error.js';
import type { ResponsesContentPart } from '../responses-content-part.js';

/**
 * User content. A lone text part becomes a plain string, which every compatible server accepts; text
 * with images or files becomes an array of Chat content parts.
 */
export function convertToChatUserContent(
  content: string | readonly ResponsesContentPart[],
): string | ChatCompletionContentPart[] {
  if (typeof content === 'string') return content;
  const parts = content.map(convertToChatUserPart);
  const [only] = parts;
  return parts.length === 1 && only?.type === 'text' ? only.text : parts;
}

/**
 * Content of a role that Chat Completions lets carry text only (system, assistant, tool). Parts are
 * flattened into one string because several compatible servers (older llama.cpp and Ollama builds)
 * reject part arrays outside user messages. A refusal is rendered as the text the model said.
 */
export function convertToChatText(content: string | readonly ResponsesContentPart[], role: string): string {
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      if (part.type === 'input_text' || part.type === 'output_text') return part.text;
      if (part.type === 'refusal') return part.refusal;
      throw invalidInput(
        `A ${role} message can carry only text on a Chat Completions upstream; it contains '${part.type}'.`,
      );
    })
    .join('\n');
}

function convertToChatUserPart(part: ResponsesContentPart): ChatCompletionContentPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image':
      return convertToChatImagePart(part);
    case 'input_file':
      return convertToChatFilePart(part);
    default:
      // Reached only by items that skipped request validation; kept so the switch is total at runtime.
      throw invalidInput(`Unsupported content part type '${(part as { type: string }).type}'.`);
  }
}

function convertToChatImagePart(
  part: Extract<ResponsesContentPart, { type: 'input_image' }>,
): ChatCompletionContentPart {
  if (!part.image_url) {
    throw invalidInput(
      'An image given only by file_id cannot be sent to a Chat Completions upstream; give its image_url (an https: or data: URL).',
    );
  }
  // Chat Completions knows low/high/auto; `original` (full resolution) is closest to `high`, and
  // `auto` is the default, so it is left out for servers that do not know the field.
  const detail = part.detail === 'original' ? 'high' : part.detail;
  return {
    type: 'image_url',
    image_url: { url: part.image_url, ...(detail === 'low' || detail === 'high' ? { detail } : {}) },
  };
}

function convertToChatFilePart(
  part: Extract<ResponsesContentPart, { type: 'input_file' }>,
): ChatCompletionContentPart {
  // Chat Completions carries a file inline (`file_data`) or by an upstream file id; a URL has no field,
  // and Berth's file ids mean nothing to the upstream.
  if (!part.file_data) {
    throw invalidInput(
      'A file given by file_id or file_url cannot be sent to a Chat Completions upstream; give its file_data.',
    );
  }
  return {
    type: 'file',
    file: { file_data: part.file_data, ...(part.filename ? { filename: part.filename } : {}) },
  };
}
