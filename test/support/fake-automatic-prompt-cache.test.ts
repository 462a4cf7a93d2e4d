import { describe, expect, it } from 'vitest';
import {
  automaticCacheMinimumTokens,
  createFakeAutomaticPromptCache,
} from './fake-automatic-prompt-cache.js';

/** A prompt of about `tokens` estimated tokens (four characters each). */
const prompt = (tokens: number, tail = ''): string => 'abcd'.repeat(tokens) + tail;

describe('the fake automatic prompt cache', () => {
  it('reports the shared prefix of an earlier prompt, in 128-token steps from 1,024 on', () => {
    const cache = createFakeAutomaticPromptCache();
    expect(cache.use('gpt-5', prompt(1500, 'first question'))).toBe(0);
    // 1,500 shared tokens: 1,024 plus three whole steps of 128.
    expect(cache.use('gpt-5', prompt(1500, 'second question'))).toBe(1024 + 3 * 128);
  });

  it('caches nothing shorter than the minimum, and nothing across routing keys', () => {
    const cache = createFakeAutomaticPromptCache();
    cache.use('gpt-5', prompt(automaticCacheMinimumTokens - 1, 'a'));
    expect(cache.use('gpt-5', prompt(automaticCacheMinimumTokens - 1, 'b'))).toBe(0);

    cache.use('gpt-5 key-a', prompt(2000));
    expect(cache.use('gpt-5 key-b', prompt(2000))).toBe(0);
    // 2,000 shared tokens: 1,024 plus seven whole steps of 128.
    expect(cache.use('gpt-5 key-a', prompt(2000))).toBe(1024 + 7 * 128);
  });
});
