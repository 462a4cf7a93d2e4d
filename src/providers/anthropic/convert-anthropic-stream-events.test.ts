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
      ),
    );

    expect(events).toEqual([
      { type: 'reasoning-start', id: 'block-0' },
      { type: 'reasoning-end', id: 'block-0', encryptedContent: 'anthropic-redacted-thinking:opaque' },
      { type: 'text-start', id: 'block-1' },
      { type: 'text-delta', id: 'block-1', delta: 'Hi' },
      { type: 'text-end', id: 'block-1' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 5, outputTokens: 9, cachedInputTokens: 0 } },
    ]);
  });

  it('fails a stream cut off before message_stop', async () => {
    const cutOff = streamOf([
      { type: 'message_start', message: { usage: { input_tokens: 5 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ]);
    await expect(collect(convertAnthropicStreamEvents(cutOff, 'anthropic'))).rejects.toMatchObject({
      name: 'UpstreamError',
      status: 502,
    });
  });
});
