import { z } from 'zod';
import type { PromptCacheRetention, PromptCacheSettings } from '../providers/model-provider.js';

/**
 * `prompt_cache_retention` as clients send it. OpenAI's API and the current `openai` types spell the
 * short retention `in_memory`; earlier `openai` releases typed it `in-memory`, and clients built on
 * them still send that, so both are accepted and read as one value.
 */
export const promptCacheRetentionSchema = z.enum(['in_memory', 'in-memory', '24h']);

type RetentionParam = z.infer<typeof promptCacheRetentionSchema>;

/** The one spelling Berth keeps, echoes and sends upstream: the API's own (`in_memory`). */
export function canonicalRetention(
  retention: RetentionParam | null | undefined,
): PromptCacheRetention | null {
  if (retention === undefined || retention === null) return null;
  return retention === '24h' ? '24h' : 'in_memory';
}

/** The request's prompt-caching settings for a provider; fields the client left out are null. */
export function promptCacheSettingsOf(params: {
  readonly prompt_cache_key?: string | null | undefined;
  readonly prompt_cache_retention?: RetentionParam | null | undefined;
}): PromptCacheSettings {
  return {
    key: params.prompt_cache_key ?? null,
    retention: canonicalRetention(params.prompt_cache_retention),
  };
}
