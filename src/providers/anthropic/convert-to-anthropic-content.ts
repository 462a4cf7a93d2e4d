import type {
  Base64ImageSource,
  DocumentBlockParam,
  ImageBlockParam,
  TextBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import { invalidInput } from '../invalid-input-error.js';
import type { ResponsesContentPart } from '../responses-content-part.js';

/** What a user turn (or a tool result) can hold in the Messages API. */
export type AnthropicUserContentBlock = TextBlockParam | ImageBlockParam | DocumentBlockParam;

type ImageMediaType = Base64ImageSource['media_type'];

const imageMediaTypes: ReadonlySet<string> = new Set<ImageMediaType>([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
]);

/** Splits a `data:<media type>;base64,<data>` URL; null for any other form. */
function parseBase64DataUrl(url: string): { mediaType: string; data: string } | null {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (match === null) return null;
  return { mediaType: (match[1] ?? '').toLowerCase(), data: match[2] ?? '' };
}

function convertImage(imageUrl: string | null | undefined): ImageBlockParam {
  if (imageUrl === null || imageUrl === undefined || imageUrl === '') {
    // Anthropic cannot read OpenAI file ids, and Berth has no file store to resolve them from.
    throw invalidInput(
      'Images must be given as an image_url (a data: URL or an http(s) URL) for Anthropic models.',
    );
  }
  if (/^https?:\/\//i.test(imageUrl)) return { type: 'image', source: { type: 'url', url: imageUrl } };
  const dataUrl = parseBase64DataUrl(imageUrl);
  if (dataUrl === null) {
    throw invalidInput('image_url must be a base64 data: URL or an http(s) URL.');
  }
  if (!imageMediaTypes.has(dataUrl.mediaType)) {
    throw invalidInput(`Anthropic accepts JPEG, PNG, GIF and WebP images, not '${dataUrl.mediaType}'.`);
  }
  return {
    type: 'image',
    source: { type: 'base64', media_type: dataUrl.mediaType as ImageMediaType, data: dataUrl.data },
  };
}

function convertFile(
  fileData: string | null | undefined,
  fileUrl: string | null | undefined,
): DocumentBlockParam {
  if (typeof fileUrl === 'string' && /^https?:\/\//i.test(fileUrl)) {
    return { type: 'document', source: { type: 'url', url: fileUrl } };
  }
  const dataUrl = typeof fileData === 'string' ? parseBase64DataUrl(fileData) : null;
  if (dataUrl?.mediaType === 'application/pdf') {
    return {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: dataUrl.data },
    };
  }
  if (dataUrl?.mediaType === 'text/plain') {
    const text = Buffer.from(dataUrl.data, 'base64').toString('utf8');
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: text } };
  }
  throw invalidInput(
    'Files for Anthropic models must be PDF or plain text, given as a base64 data: URL in file_data or an http(s) file_url.',
  );
}

/** Converts one part a user may send: text, image or file. Empty text yields null (Anthropic rejects it). */
function convertUserPart(part: ResponsesContentPart): AnthropicUserContentBlock | null {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return part.text === '' ? null : { type: 'text', text: part.text };
    case 'refusal':
      return part.refusal === '' ? null : { type: 'text', text: part.refusal };
    case 'input_image':
      return convertImage(part.image_url);
    case 'input_file':
      return convertFile(part.file_data, part.file_url);
    default:
      throw invalidInput(
        `Content parts of type '${(part as { type: string }).type}' cannot be sent to Anthropic.`,
      );
  }
}

/** Converts user message content (or a function output's parts) to Messages API blocks. */
export function convertUserContent(
  content: string | readonly ResponsesContentPart[],
): AnthropicUserContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: AnthropicUserContentBlock[] = [];
  for (const part of content) {
    const block = convertUserPart(part);
    if (block !== null) blocks.push(block);
  }
  return blocks;
}

function convertTextOnlyContent(
  content: string | readonly ResponsesContentPart[],
  role: 'assistant' | 'system' | 'developer',
): TextBlockParam[] {
  const blocks = convertUserContent(content);
  for (const block of blocks) {
    if (block.type !== 'text')
      throw invalidInput(`Messages with role '${role}' sent to Anthropic may contain only text.`);
  }
  return blocks as TextBlockParam[];
}

/** Converts assistant message content: text only, since Anthropic's assistant turns cannot hold media. */
export function convertAssistantContent(content: string | readonly ResponsesContentPart[]): TextBlockParam[] {
  return convertTextOnlyContent(content, 'assistant');
}

/** Flattens system or developer message content to the text of Anthropic's `system` prompt. */
export function convertSystemContent(
  content: string | readonly ResponsesContentPart[],
  role: 'system' | 'developer',
): string {
  return convertTextOnlyContent(content, role)
    .map((block) => block.text)
    .join('\n\n');
}
