import { describe, expect, it } from 'vitest';
import { mapAnthropicUsage, mergeAnthropicUsage } from './map-anthropic-usage.js';

describe('mapAnthropicUsage', () => {
  it('counts cache reads and writes into the input total, as OpenAI does, and reports reads as cached', () => {
    const usage = mapAnthropicUsage({
      input_tokens: 10,
      cache_read_input_tokens: 1000,
      cache_creation_input_tokens: 200,
      output_tokens: 50,
      output_tokens_details: { thinking_tokens: 30 },
    });
    expect(usage).toEqual({
      inputTokens: 1210,
      outputTokens: 50,
      cachedInputTokens: 1000,
      cacheWriteInputTokens: 200,
      reasoningTokens: 30,
    });
  });

  it('reads missing counters as zero', () => {
    expect(mapAnthropicUsage({})).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
    });
  });

  it("lets message_delta's cumulative counts override message_start's, keeping what it leaves null", () => {
    const merged = mergeAnthropicUsage(
      { input_tokens: 40, cache_read_input_tokens: 8, output_tokens: 1 },
      { input_tokens: null, output_tokens: 25 },
    );
    expect(mapAnthropicUsage(merged)).toEqual({
      inputTokens: 48,
      outputTokens: 25,
      cachedInputTokens: 8,
      cacheWriteInputTokens: 0,
    });
  });
});
