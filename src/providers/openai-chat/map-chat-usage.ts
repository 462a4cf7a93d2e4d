import type { ModelUsage } from '../model-provider.js';
import type { ChatUsageData } from './chat-completion-schemas.js';

/**
 * Maps Chat Completions `usage` to ours. Servers that send no usage at all (streams without
 * `include_usage` support, some proxies) report zero rather than failing the turn. Cache hits come
 * from `prompt_tokens_details.cached_tokens` (OpenAI, vLLM, OpenRouter) or DeepSeek's
 * `prompt_cache_hit_tokens`; both are already part of `prompt_tokens`, as OpenAI counts them.
 */
export function mapChatUsage(usage: ChatUsageData): ModelUsage {
  const cachedInputTokens = usage?.prompt_tokens_details?.cached_tokens ?? usage?.prompt_cache_hit_tokens;
  const cacheWriteInputTokens = usage?.prompt_tokens_details?.cache_write_tokens;
  const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    ...(typeof cachedInputTokens === 'number' ? { cachedInputTokens } : {}),
    ...(typeof cacheWriteInputTokens === 'number' ? { cacheWriteInputTokens } : {}),
    ...(typeof reasoningTokens === 'number' ? { reasoningTokens } : {}),
  };
}
