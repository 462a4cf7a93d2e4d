import type { ModelUsage } from '../model-provider.js';

/**
 * The usage counters Anthropic reports, all optional: `message_start` and `message_delta` each carry
 * some of them and older API versions or proxies leave fields out, so nothing here is required.
 */
export interface AnthropicUsageCounters {
  readonly input_tokens?: number | null;
  readonly output_tokens?: number | null;
  readonly cache_read_input_tokens?: number | null;
  readonly cache_creation_input_tokens?: number | null;
  readonly output_tokens_details?: { readonly thinking_tokens?: number | null } | null;
}

/**
 * Converts Anthropic usage to OpenAI's terms. Anthropic's `input_tokens` counts only the tokens after
 * the last cache breakpoint, while OpenAI's counts every input token, so cache reads and cache writes
 * are added back in; reads are reported as `cachedInputTokens` and writes as `cacheWriteInputTokens`.
 */
export function mapAnthropicUsage(usage: AnthropicUsageCounters): ModelUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheCreation = usage.cache_creation_input_tokens ?? 0;
  const thinkingTokens = usage.output_tokens_details?.thinking_tokens;
  return {
    inputTokens: (usage.input_tokens ?? 0) + cacheRead + cacheCreation,
    outputTokens: usage.output_tokens ?? 0,
    cachedInputTokens: cacheRead,
    cacheWriteInputTokens: cacheCreation,
    ...(typeof thinkingTokens === 'number' ? { reasoningTokens: thinkingTokens } : {}),
  };
}

/** Folds a later usage report into an earlier one: Anthropic's counts are cumulative, so non-null values win. */
export function mergeAnthropicUsage(
  earlier: AnthropicUsageCounters,
  later: AnthropicUsageCounters,
): AnthropicUsageCounters {
  return {
    input_tokens: later.input_tokens ?? earlier.input_tokens ?? null,
    output_tokens: later.output_tokens ?? earlier.output_tokens ?? null,
    cache_read_input_tokens: later.cache_read_input_tokens ?? earlier.cache_read_input_tokens ?? null,
    cache_creation_input_tokens:
      later.cache_creation_input_tokens ?? earlier.cache_creation_input_tokens ?? null,
    output_tokens_details: later.output_tokens_details ?? earlier.output_tokens_details ?? null,
  };
}
