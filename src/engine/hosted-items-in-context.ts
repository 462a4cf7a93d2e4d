import type { ResponseInputItem } from 'openai/resources/responses/responses';
import type { ProviderKind } from '../providers/model-provider.js';
import { isHostedItemType } from './hosted-item-schema.js';

/**
 * The context with hosted tools' items kept only for the provider kind that can read them. OpenAI's
 * Responses API takes them back as they are (a stateless client resends them every turn). Other kinds
 * have no such items: what the tool found already reached the model's answer, which stays in the
 * context as text, so the items are left out. Anthropic's web search results could only go back with
 * Anthropic's encrypted content, which the `web_search_call` item does not carry (see
 * docs/compatibility.md).
 */
export function hostedItemsFor(kind: ProviderKind, input: ResponseInputItem[]): ResponseInputItem[] {
  if (kind === 'openai') return input;
  return input.filter((item) => !isHostedItemType(item.type));
}
