import { describe, expect, it } from 'vitest';
import {
  anthropicMinimumCacheableTokens,
  createFakeAnthropicPromptCache,
} from './fake-anthropic-prompt-cache.js';

type Json = Record<string, unknown>;

const marker = { type: 'ephemeral' };
/** Instructions long enough to be cached (over 1,024 estimated tokens). */
const longSystem = 'Follow the house rules. '.repeat(250);
const text = (value: string, cached = false): Json => ({
  type: 'text',
  text: value,
  ...(cached ? { cache_control: marker } : {}),
});
const message = (role: string, ...content: Json[]): Json => ({ role, content });
const request = (messages: Json[], extra: Json = {}): Json => ({
  model: 'claude-sonnet-5-5',
  system: [text(longSystem, true)],
  messages,
  ...extra,
});

describe('the fake Anthropic prompt cache', () => {
  it('writes at a breakpoint, then reads the same prefix on the next request', () => {
    const cache = createFakeAnthropicPromptCache();
    const body = request([message('user', text('Hi'))]);

    const first = cache.use(body, 2000);
    expect(first.cache_read_input_tokens).toBe(0);
    expect(first.cache_creation_input_tokens).toBeGreaterThanOrEqual(anthropicMinimumCacheableTokens);
    expect(first.cache_creation).toEqual({
      ephemeral_5m_input_tokens: first.cache_creation_input_tokens,
      ephemeral_1h_input_tokens: 0,
    });
    expect(first.input_tokens + first.cache_creation_input_tokens).toBe(2000);

    const second = cache.use(body, 2000);
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.cache_creation_input_tokens).toBe(0);
    expect(second.input_tokens).toBe(first.input_tokens);
  });

  it('reads the earlier prefix and writes only what a longer conversation adds', () => {
    const cache = createFakeAnthropicPromptCache();
    const first = cache.use(request([message('user', text('Hi', true))]), 3000);
    const second = cache.use(
      request([
        message('user', text('Hi', true)),
        message('assistant', text('Hello!')),
        message('user', text('More, please.', true)),
      ]),
      3000,
    );
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.cache_creation_input_tokens).toBeGreaterThan(0);
  });

  it('finds an earlier entry up to 20 blocks before a breakpoint, and not further', () => {
    const within = createFakeAnthropicPromptCache();
    const start = message('user', text('Start', true));
    const later = (count: number): Json[] => [
      message('user', text('Start'), ...Array.from({ length: count }, (_, index) => text(`step ${index}`))),
    ];
    const written = within.use(request([start]), 4000).cache_creation_input_tokens;
    const near = [...(later(19)[0]?.['content'] as Json[]).slice(0, -1), text('step 18', true)];
    expect(within.use(request([message('user', ...near)]), 4000).cache_read_input_tokens).toBe(written);

    const beyond = createFakeAnthropicPromptCache();
    beyond.use(request([start]), 4000);
    const far = [...(later(21)[0]?.['content'] as Json[]).slice(0, -1), text('step 20', true)];
    // Only the system breakpoint, unchanged, is found: the conversation entry is out of reach.
    const read = beyond.use(request([message('user', ...far)]), 4000).cache_read_input_tokens;
    expect(read).toBeLessThan(written);
    expect(read).toBeGreaterThan(0);
  });

  it('caches nothing below the minimum length, and nothing across models', () => {
    const cache = createFakeAnthropicPromptCache();
    const short = { model: 'claude-sonnet-5-5', messages: [message('user', text('Hi', true))] };
    expect(cache.use(short, 10).cache_creation_input_tokens).toBe(0);
    expect(cache.use(short, 10).cache_read_input_tokens).toBe(0);

    cache.use(request([message('user', text('Hi'))]), 2000);
    const otherModel = cache.use(request([message('user', text('Hi'))], { model: 'claude-opus-5-5' }), 2000);
    expect(otherModel.cache_read_input_tokens).toBe(0);
  });

  it('counts one-hour writes apart', () => {
    const cache = createFakeAnthropicPromptCache();
    const hour = { type: 'ephemeral', ttl: '1h' };
    const usage = cache.use(
      {
        model: 'claude-sonnet-5-5',
        system: [{ type: 'text', text: longSystem, cache_control: hour }],
        messages: [],
      },
      2000,
    );
    expect(usage.cache_creation.ephemeral_1h_input_tokens).toBe(usage.cache_creation_input_tokens);
    expect(usage.cache_creation.ephemeral_5m_input_tokens).toBe(0);
  });

  it("answers Anthropic's 400s for markers it refuses", () => {
    const cache = createFakeAnthropicPromptCache();
    const five = Array.from({ length: 5 }, (_, index) => text(`part ${index}`, true));
    expect(cache.findInvalidBreakpoints(request([message('user', ...five.slice(0, 3))]))).toBeNull();
    expect(cache.findInvalidBreakpoints(request([message('user', ...five)]))).toBe(
      'A maximum of 4 blocks with cache_control may be provided. Found 6.',
    );
    const thinking = { type: 'thinking', thinking: 'Hmm.', signature: 'sig', cache_control: marker };
    expect(
      cache.findInvalidBreakpoints(request([message('user', text('Hi')), message('assistant', thinking)])),
    ).toBe('messages.1.content.0.thinking.cache_control: Extra inputs are not permitted');
    expect(cache.findInvalidBreakpoints(request([message('user', text('', true))]))).toBe(
      'messages.0.content.0.text: cache_control cannot be set for empty text blocks',
    );
    const hourAfterFive = request([
      message('user', { ...text('Hi'), cache_control: { type: 'ephemeral', ttl: '1h' } }),
    ]);
    expect(cache.findInvalidBreakpoints(hourAfterFive)).toMatch(
      /ttl='1h' cache_control block must not come after/,
    );
  });
});
