import type { FinishReason, ModelUsage } from '../model-provider.js';
import type { WireResponse, WireUsage } from './openai-responses-wire-schemas.js';

/**
 * The finish reason of a completed or incomplete Response. The Responses API has no "tool_calls"
 * status: a completed response that holds function calls is one the client must continue.
 */
export function mapOpenAIResponsesFinishReason(response: WireResponse, hasToolCalls: boolean): FinishReason {
  if (response.status === 'incomplete') {
    // `max_output_tokens` and any reason newer than this adapter read as a truncated answer.
    return response.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
  }
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/** Usage in Berth's terms; missing counts (some compatible servers send none) read as zero. */
export function mapOpenAIResponsesUsage(usage: WireUsage | null | undefined): ModelUsage {
  const cached = usage?.input_tokens_details?.cached_tokens;
  const cacheWrites = usage?.input_tokens_details?.cache_write_tokens;
  const reasoning = usage?.output_tokens_details?.reasoning_tokens;
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    ...(typeof cached === 'number' ? { cachedInputTokens: cached } : {}),
    ...(typeof cacheWrites === 'number' ? { cacheWriteInputTokens: cacheWrites } : {}),
    ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
  };
}
