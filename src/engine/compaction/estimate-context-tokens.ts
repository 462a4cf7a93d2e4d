import type { ModelRequest } from '../../providers/model-provider.js';
import { imageTokens, type ImagePart, type ImageTokenRule } from './image-tokens.js';

/**
 * A rough, local count of a request's context tokens (about four characters of its JSON per token),
 * for deciding whether to compact before a response's first model turn. Later turns use the tokens
 * the upstream reported for the turn before, which are exact. A local estimate costs no upstream call,
 * and the threshold is a budget, not a limit that must be met to the token.
 *
 * Images are priced by the provider's rule (`imageTokens`), not by their base64 characters; a file's
 * inline data counts as the text it decodes to.
 */
export function estimateContextTokens(request: ModelRequest, rule: ImageTokenRule = 'openai'): number {
  let imageTotal = 0;
  let fileCharacters = 0;
  const json = JSON.stringify(request.input, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || !('type' in value)) return value;
    if (value.type === 'input_image') {
      imageTotal += imageTokens(value as ImagePart, rule);
      return { type: 'input_image' };
    }
    if (value.type === 'input_file' && 'file_data' in value && typeof value.file_data === 'string') {
      fileCharacters += Math.floor((value.file_data.length * 3) / 4);
      return { ...value, file_data: '' };
    }
    return value;
  });
  const characters = json.length + fileCharacters + (request.instructions?.length ?? 0);
  return Math.ceil(characters / 4) + imageTotal;
}
