import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../errors/berth-error.js';
import type { ModelEvent } from '../model-provider.js';
import { OpenAIResponsesEventMapper } from './openai-responses-event-mapper.js';
import { streamEventSchema } from './openai-responses-wire-schemas.js';

function mapAll(events: readonly Record<string, unknown>[]): ModelEvent[] {
  const mapper = new OpenAIResponsesEventMapper('openai');
  return events.flatMap((event) => mapper.map(streamEventSchema.parse(event)));
}

const completed = {
  type: 'response.completed',
  response: { status: 'completed', usage: { input_tokens: 1, output_tokens: 2 } },
};

describe('OpenAIResponsesEventMapper', () => {
  it('maps a refusal', () => {
    const location = { item_id: 'msg_1', output_index: 0, content_index: 0 };
    const events = mapAll([
      { type: 'response.output_item.added', output_index: 0, item: { type: 'message', content: [] } },
      { type: 'response.content_part.added', ...location, part: { type: 'refusal', refusal: '' } },
      { type: 'response.refusal.delta', ...location, delta: "I can't " },
      { type: 'response.refusal.delta', ...location, delta: 'help with that.' },
      { type: 'response.refusal.done', ...location, refusal: "I can't help with that." },
      {
        type: 'response.content_part.done',
        ...location,
        part: { type: 'refusal', refusal: "I can't help." },
      },
      completed,
    ]);
    expect(events).toEqual([
      { type: 'refusal-start', id: 'part_0', message: { key: '0', phase: null } },
      { type: 'refusal-delta', id: 'part_0', delta: "I can't " },
      { type: 'refusal-delta', id: 'part_0', delta: 'help with that.' },
      { type: 'refusal-end', id: 'part_0' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 1, outputTokens: 2 } },
    ]);
  });

  it('keeps two upstream messages apart with their phases', () => {
    const message = (phase: string, text: string) => ({
      type: 'message',
      phase,
      content: [{ type: 'output_text', text }],
    });
    const events = mapAll([
      { type: 'response.output_item.done', output_index: 0, item: message('commentary', 'Checking.') },
      { type: 'response.output_item.done', output_index: 1, item: message('final_answer', 'Done.') },
      completed,
    ]);
    const starts = events.filter((event) => event.type === 'text-start');
    expect(starts).toEqual([
      { type: 'text-start', id: 'part_0', message: { key: '0', phase: 'commentary' } },
      { type: 'text-start', id: 'part_1', message: { key: '1', phase: 'final_answer' } },
    ]);
  });

  it('joins reasoning summary parts as paragraphs', () => {
    const at = (summary_index: number) => ({ item_id: 'rs_1', output_index: 0, summary_index });
    const events = mapAll([
      { type: 'response.output_item.added', output_index: 0, item: { type: 'reasoning', summary: [] } },
      { type: 'response.reasoning_summary_part.added', ...at(0), part: { type: 'summary_text', text: '' } },
      { type: 'response.reasoning_summary_text.delta', ...at(0), delta: 'First.' },
      { type: 'response.reasoning_summary_part.added', ...at(1), part: { type: 'summary_text', text: '' } },
      { type: 'response.reasoning_summary_text.delta', ...at(1), delta: 'Second.' },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: {
          type: 'reasoning',
          summary: [{ text: 'First.' }, { text: 'Second.' }],
          encrypted_content: 'enc',
        },
      },
      completed,
    ]);
    expect(events.slice(0, 5)).toEqual([
      { type: 'reasoning-start', id: 'part_0' },
      { type: 'reasoning-delta', id: 'part_0', delta: 'First.' },
      { type: 'reasoning-delta', id: 'part_0', delta: '\n\n' },
      { type: 'reasoning-delta', id: 'part_0', delta: 'Second.' },
      { type: 'reasoning-end', id: 'part_0', encryptedContent: 'enc' },
    ]);
  });

  it('starts parts a terse server never announced and fills text it never streamed', () => {
    const events = mapAll([
      { type: 'response.output_text.delta', output_index: 0, delta: 'Hi' },
      {
        type: 'response.output_item.done',
        output_index: 1,
        item: { type: 'function_call', call_id: 'call_9', name: 'lookup', arguments: '{}' },
      },
      { ...completed, response: { status: 'completed' } },
    ]);
    expect(events).toEqual([
      { type: 'text-start', id: 'part_0', message: { key: '0', phase: null } },
      { type: 'text-delta', id: 'part_0', delta: 'Hi' },
      { type: 'tool-call-start', id: 'part_1', callId: 'call_9', name: 'lookup' },
      { type: 'tool-call-delta', id: 'part_1', delta: '{}' },
      { type: 'tool-call-end', id: 'part_1', arguments: '{}' },
      { type: 'text-end', id: 'part_0' },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('reads an incomplete response of an unknown reason as length', () => {
    const events = mapAll([
      {
        type: 'response.incomplete',
        response: { status: 'incomplete', incomplete_details: { reason: 'steered' } },
      },
    ]);
    expect(events).toEqual([
      { type: 'finish', reason: 'length', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('throws the upstream message for response.failed and error events', () => {
    const failed = {
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'server_error', message: 'The model crashed.' } },
    };
    expect(() => mapAll([failed])).toThrow(UpstreamError);
    expect(() => mapAll([failed])).toThrow('The model crashed.');
    const error = { type: 'error', code: 'rate_limit_exceeded', message: 'Slow down.', param: null };
    expect(() => mapAll([error])).toThrow(
      expect.objectContaining({ wireCode: 'rate_limit_exceeded' }) as Error,
    );
  });
});
