import { Readable } from 'node:stream';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { describe, expect, it } from 'vitest';
import type { ModelEvent } from '../model-provider.js';
import { convertAnthropicStreamEvents } from './convert-anthropic-stream-events.js';

/** Partial events on purpose: the converter must read what an upstream sends leniently. */
function streamOf(events: unknown[]): AsyncIterable<RawMessageStreamEvent> {
  return Readable.from(events as RawMessageStreamEvent[]);
}

async function collect(events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const collected: ModelEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

const noShell = { shellTool: false };

describe('convertAnthropicStreamEvents', () => {
  it('hands redacted thinking back as opaque reasoning and ends parts the upstream left open', async () => {
    const events = await collect(
      convertAnthropicStreamEvents(
        streamOf([
          { type: 'message_start', message: { usage: { input_tokens: 5, output_tokens: 1 } } },
          {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'redacted_thinking', data: 'opaque' },
          },
          { type: 'content_block_stop', index: 0 },
          { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
          { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } },
          { type: 'some_future_event' },
          { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } },
          { type: 'message_stop' },
        ]),
        'anthropic',
        noShell,
      ),
    );

    expect(events).toEqual([
      { type: 'reasoning-start', id: 'block-0' },
      {
        type: 'reasoning-end',
        id: 'block-0',
        encryptedContent: 'anthropic-redacted-thinking:opaque',
        sealState: true,
      },
      { type: 'text-start', id: 'block-1' },
      { type: 'text-delta', id: 'block-1', delta: 'Hi' },
      { type: 'text-end', id: 'block-1' },
      {
        type: 'finish',
        reason: 'stop',
        usage: { inputTokens: 5, outputTokens: 9, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
      },
    ]);
  });

  const bashBlock = (index: number, partials: string[]) => [
    {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: `toolu_${index}`, name: 'bash', input: {} },
    },
    ...partials.map((partial_json) => ({
      type: 'content_block_delta',
      index,
      delta: { type: 'input_json_delta', partial_json },
    })),
    { type: 'content_block_stop', index },
  ];
  const stop = [
    { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } },
    { type: 'message_stop' },
  ];

  it('turns bash tool_use blocks into shell calls, whole once each block stops', async () => {
    const events = await collect(
      convertAnthropicStreamEvents(
        streamOf([
          ...bashBlock(0, ['', '{"comma', 'nd": "ls ', '-la"}']),
          ...bashBlock(1, ['{"restart": true}']),
          ...bashBlock(2, ['{"command": 4']),
          ...stop,
        ]),
        'anthropic',
        { shellTool: true },
      ),
    );

    const noLimits = { timeoutMs: null, maxOutputLength: null };
    expect(events).toEqual([
      { type: 'shell-call-start', id: 'block-0', callId: 'toolu_0' },
      { type: 'shell-call-end', id: 'block-0', action: { commands: ['ls -la'], ...noLimits } },
      { type: 'shell-call-start', id: 'block-1', callId: 'toolu_1' },
      { type: 'shell-call-end', id: 'block-1', action: { commands: [], ...noLimits } },
      { type: 'shell-call-start', id: 'block-2', callId: 'toolu_2' },
      {
        type: 'shell-call-end',
        id: 'block-2',
        action: { commands: ['{"command": 4'], ...noLimits, invalid: expect.any(String) as string },
      },
      {
        type: 'finish',
        reason: 'tool_calls',
        usage: { inputTokens: 0, outputTokens: 3, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
      },
    ]);
  });

  it('leaves a bash tool_use a function call when the shell tool is not offered', async () => {
    const events = await collect(
      convertAnthropicStreamEvents(
        streamOf([...bashBlock(0, ['{"command":"ls"}']), ...stop]),
        'anthropic',
        noShell,
      ),
    );
    expect(events.slice(0, 3)).toEqual([
      { type: 'tool-call-start', id: 'block-0', callId: 'toolu_0', name: 'bash' },
      { type: 'tool-call-delta', id: 'block-0', delta: '{"command":"ls"}' },
      { type: 'tool-call-end', id: 'block-0', arguments: '{"command":"ls"}' },
    ]);
  });

  it('fails a stream cut off before message_stop', async () => {
    const cutOff = streamOf([
      { type: 'message_start', message: { usage: { input_tokens: 5 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ]);
    await expect(collect(convertAnthropicStreamEvents(cutOff, 'anthropic', noShell))).rejects.toMatchObject({
      name: 'UpstreamError',
      status: 502,
    });
  });

  it('maps a web search: its query, a failed result, citations, and a search the stream left unanswered', async () => {
    const citation = {
      type: 'web_search_result_location',
      url: 'https://example.com/a',
      title: null,
      cited_text: 'A',
      encrypted_index: 'x',
    };
    const events = await collect(
      convertAnthropicStreamEvents(
        streamOf([
          { type: 'message_start', message: { usage: { input_tokens: 5, output_tokens: 1 } } },
          {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
          },
          {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'input_json_delta', partial_json: '{"query":"a"}' },
          },
          { type: 'content_block_stop', index: 0 },
          {
            type: 'content_block_start',
            index: 1,
            content_block: {
              type: 'web_search_tool_result',
              tool_use_id: 'srvtoolu_1',
              content: { type: 'web_search_tool_result_error', error_code: 'unavailable' },
            },
          },
          { type: 'content_block_stop', index: 1 },
          {
            type: 'content_block_start',
            index: 2,
            content_block: { type: 'text', text: '', citations: null },
          },
          { type: 'content_block_delta', index: 2, delta: { type: 'citations_delta', citation } },
          { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Abc' } },
          { type: 'content_block_stop', index: 2 },
          {
            type: 'content_block_start',
            index: 3,
            content_block: {
              type: 'server_tool_use',
              id: 'srvtoolu_2',
              name: 'web_search',
              input: { query: 'b' },
            },
          },
          { type: 'content_block_stop', index: 3 },
          { type: 'message_delta', delta: { stop_reason: 'pause_turn' }, usage: { output_tokens: 9 } },
          { type: 'message_stop' },
        ]),
        'anthropic',
        noShell,
      ),
    );

    const first = 'web-search-srvtoolu_1';
    const second = 'web-search-srvtoolu_2';
    expect(events.slice(0, -1)).toEqual([
      {
        type: 'hosted-item-start',
        id: first,
        item: { type: 'web_search_call', status: 'in_progress', action: { type: 'search' } },
      },
      { type: 'hosted-item-event', id: first, event: { type: 'response.web_search_call.in_progress' } },
      { type: 'hosted-item-event', id: first, event: { type: 'response.web_search_call.searching' } },
      {
        type: 'hosted-item-done',
        id: first,
        item: { type: 'web_search_call', status: 'failed', action: { type: 'search', query: 'a' } },
      },
      { type: 'text-start', id: 'block-2' },
      { type: 'text-delta', id: 'block-2', delta: 'Abc' },
      {
        type: 'text-end',
        id: 'block-2',
        annotations: [
          {
            type: 'url_citation',
            url: 'https://example.com/a',
            title: 'https://example.com/a',
            start_index: 0,
            end_index: 3,
          },
        ],
      },
      {
        type: 'hosted-item-start',
        id: second,
        item: { type: 'web_search_call', status: 'in_progress', action: { type: 'search' } },
      },
      { type: 'hosted-item-event', id: second, event: { type: 'response.web_search_call.in_progress' } },
      { type: 'hosted-item-event', id: second, event: { type: 'response.web_search_call.searching' } },
      {
        type: 'hosted-item-done',
        id: second,
        item: { type: 'web_search_call', status: 'failed', action: { type: 'search', query: 'b' } },
      },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'stop' });
  });
});
