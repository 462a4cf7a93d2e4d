/**
 * An upstream request body without Anthropic's `cache_control` markers, for tests about something
 * else: Berth places prompt-cache breakpoints on every Anthropic request (prompt-caching.test.ts
 * asserts where), and they would otherwise ride along in every exact comparison.
 */
export function withoutCacheControl<T>(body: T): T {
  return JSON.parse(JSON.stringify(body), (key, value: unknown) =>
    key === 'cache_control' ? undefined : value,
  ) as T;
}
