import type { ModelUsage } from '../model-provider.js';
import type { ChatUsageData } from './chat-completion-schemas.js';

/**
 * Maps Chat Completions `usage` to ours. Servers that send no usage at all (streams without
 * `include_usage` support, some proxies) report zero rather than failing the turn.
 */
export function mapChatUsage(usage: ChatUsageData): ModelUsage {
  const cachedInputTokens = usage?.prompt_tokens_details?.cached_tokens;
  const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    ...(typeof cachedInputTokens === 'number' ? { cachedInputTokens } : {}),
    ...(typeof reasoningTokens === 'number' ? { reasoningTokens } : {}),
  };
}
