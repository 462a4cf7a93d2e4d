/** OpenAI caches only prompts of at least this many tokens. */
export const automaticCacheMinimumTokens = 1024;
/** Beyond the minimum, cache hits grow in steps of this many tokens. */
const cacheIncrementTokens = 128;

/**
 * OpenAI's automatic prompt caching, as both OpenAI fakes (Responses and Chat Completions) report it:
 * every prompt is remembered, and a later prompt that starts the same way is reported as having read
 * the shared prefix from the cache, rounded down to 128-token steps and only from 1,024 tokens on.
 * Prompts are remembered per routing key (the model and `prompt_cache_key`), as OpenAI routes them.
 * Tokens are estimated as four characters each, like the rest of the fakes' usage.
 */
export interface FakeAutomaticPromptCache {
  /**
   * Remembers `prompt` (the request's tools, instructions and context, serialized in order) and
   * returns how many of its tokens an earlier prompt with the same routing key had cached.
   */
  use(routingKey: string, prompt: string): number;
}

/**
 * Prompts remembered per routing key, newest kept: a real cache evicts too, and without a bound a
 * long-running fake (the gateway benchmark's upstream sends it hundreds of thousands of requests)
 * would grow without end and compare each prompt with every earlier one.
 */
const promptsPerKey = 64;

export function createFakeAutomaticPromptCache(): FakeAutomaticPromptCache {
  const prompts = new Map<string, string[]>();
  return {
    use(routingKey, prompt) {
      // A prompt below the minimum is neither cached nor read from the cache.
      if (prompt.length < automaticCacheMinimumTokens * 4) return 0;
      const earlier = prompts.get(routingKey) ?? [];
      const shared = Math.max(0, ...earlier.map((cached) => sharedPrefixLength(cached, prompt)));
      prompts.set(routingKey, [...earlier, prompt].slice(-promptsPerKey));
      const tokens = Math.floor(shared / 4);
      if (tokens < automaticCacheMinimumTokens) return 0;
      return tokens - ((tokens - automaticCacheMinimumTokens) % cacheIncrementTokens);
    },
  };
}

function sharedPrefixLength(first: string, second: string): number {
  const limit = Math.min(first.length, second.length);
  let length = 0;
  while (length < limit && first.charCodeAt(length) === second.charCodeAt(length)) length += 1;
  return length;
}
