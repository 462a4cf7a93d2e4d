import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { ModelRequest } from '../model-provider.js';

/**
 * Maps `text.format` to `response_format`. Free text sends nothing, since it is the default and some
 * servers reject a `response_format` they do not implement.
 */
export function convertToChatResponseFormat(
  textFormat: ModelRequest['textFormat'],
): ChatCompletionCreateParamsBase['response_format'] {
  switch (textFormat?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      return {
        type: 'json_schema',
        json_schema: {
          name: textFormat.name,
          schema: textFormat.schema,
          ...(textFormat.description ? { description: textFormat.description } : {}),
          ...(typeof textFormat.strict === 'boolean' ? { strict: textFormat.strict } : {}),
        },
      };
  }
}
