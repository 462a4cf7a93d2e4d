import type { MessageParam, ToolUnion } from '@anthropic-ai/sdk/resources/messages';
import { describe, expect, it } from 'vitest';
import { anthropicBashTool } from './anthropic-bash-tool.js';
import {
  cacheControlFor,
  maxCacheBreakpoints,
  placeCacheBreakpoints,
  type AnthropicCachePrompt,
} from './anthropic-cache-breakpoints.js';

const caching = { key: null, retention: null } as const;
const weather: ToolUnion = { name: 'get_weather', input_schema: { type: 'object' } };

/** Where the prompt carries `cache_control`, as `tools.N`, `system.N` or `messages.N.content.M`. */
function breakpointsOf(prompt: AnthropicCachePrompt): string[] {
  const found: string[] = [];
  const marked = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && 'cache_control' in value;
  prompt.tools?.forEach((tool, index) => marked(tool) && found.push(`tools.${index}`));
  if (Array.isArray(prompt.system)) {
    prompt.system.forEach((block, index) => marked(block) && found.push(`system.${index}`));
  }
  prompt.messages.forEach((message, messageIndex) => {
    if (typeof message.content === 'string') return;
    message.content.forEach(
      (block, index) => marked(block) && found.push(`messages.${messageIndex}.content.${index}`),
    );
  });
  return found;
}

const user = (text: string): MessageParam => ({ role: 'user', content: [{ type: 'text', text }] });
const toolCall = (id: string): MessageParam => ({
  role: 'assistant',
  content: [
    { type: 'text', text: 'Checking.' },
    { type: 'tool_use', id, name: 'get_weather', input: { city: 'Oslo' } },
  ],
});
const toolResult = (id: string): MessageParam => ({
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: id, content: 'Sunny' }],
});

describe('placeCacheBreakpoints', () => {
  it('marks the tools, the system prompt, the final message and the user message before it', () => {
    const prompt: AnthropicCachePrompt = {
      tools: [weather, anthropicBashTool],
      system: 'Be brief.',
      messages: [user('Weather?'), toolCall('toolu_1'), toolResult('toolu_1')],
    };
    const placed = placeCacheBreakpoints(prompt, caching);

    expect(breakpointsOf(placed)).toEqual([
      'tools.1',
      'system.0',
      'messages.0.content.0',
      'messages.2.content.0',
    ]);
    expect(placed.system).toEqual([
      { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } },
    ]);
    expect(placed.tools?.[1]).toEqual({ ...anthropicBashTool, cache_control: { type: 'ephemeral' } });
    // Copies are marked: the shared bash tool and the caller's prompt stay as they were.
    expect(anthropicBashTool).not.toHaveProperty('cache_control');
    expect(breakpointsOf(prompt)).toEqual([]);
  });

  it('leaves the prompt alone when the request should not be cached', () => {
    const prompt: AnthropicCachePrompt = { system: 'Summarize.', messages: [user('A long transcript')] };
    expect(placeCacheBreakpoints(prompt, null)).toBe(prompt);
  });

  it('asks for the one-hour TTL only when the client asks for 24h retention', () => {
    expect(cacheControlFor('24h')).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(cacheControlFor('in_memory')).toEqual({ type: 'ephemeral' });
    expect(cacheControlFor(null)).toEqual({ type: 'ephemeral' });

    const placed = placeCacheBreakpoints(
      { tools: [weather], system: 'Be brief.', messages: [user('Hi')] },
      { key: 'k', retention: '24h' },
    );
    expect(placed.tools?.[0]).toMatchObject({ cache_control: { type: 'ephemeral', ttl: '1h' } });
    expect(placed.messages[0]?.content).toEqual([
      { type: 'text', text: 'Hi', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
  });

  it('never places more than four breakpoints, however long the conversation', () => {
    const messages: MessageParam[] = [user('Go')];
    for (let turn = 0; turn < 30; turn += 1)
      messages.push(toolCall(`toolu_${turn}`), toolResult(`toolu_${turn}`));
    const placed = placeCacheBreakpoints({ tools: [weather], system: 'Be brief.', messages }, caching);

    expect(breakpointsOf(placed)).toHaveLength(maxCacheBreakpoints);
    expect(breakpointsOf(placed)).toEqual([
      'tools.0',
      'system.0',
      'messages.58.content.0',
      'messages.60.content.0',
    ]);
  });

  it('marks only the conversation when there are no tools or instructions', () => {
    expect(breakpointsOf(placeCacheBreakpoints({ messages: [user('Hi')] }, caching))).toEqual([
      'messages.0.content.0',
    ]);
    const chain = [user('Hi'), { role: 'assistant', content: 'Hello!' } as MessageParam, user('More')];
    expect(breakpointsOf(placeCacheBreakpoints({ system: '', messages: chain }, caching))).toEqual([
      'messages.0.content.0',
      'messages.2.content.0',
    ]);
  });

  it('skips blocks Anthropic refuses a marker on: thinking and empty text', () => {
    const messages: MessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_0', content: 'done' },
          { type: 'text', text: '' },
        ],
      },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'Hmm.', signature: 'sig' }] },
    ];
    const placed = placeCacheBreakpoints({ messages }, caching);
    // The final message holds only thinking, so the user message before it carries the only marker.
    expect(breakpointsOf(placed)).toEqual(['messages.0.content.0']);
  });

  it('turns string content into a marked text block', () => {
    const placed = placeCacheBreakpoints({ messages: [{ role: 'user', content: 'Hi' }] }, caching);
    expect(placed.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] },
    ]);
  });
});
