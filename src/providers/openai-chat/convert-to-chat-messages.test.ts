import { describe, it, expect } from 'vitest';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { BerthError } from '../../errors/berth-error.js';
import { convertToChatMessages } from './convert-to-chat-messages.js';

function rejectionOf(input: readonly ResponseInputItem[]): unknown {
  try {
    convertToChatMessages(null, input);
  } catch (error) {
    return error;
  }
  return null;
}

describe('convertToChatMessages', () => {
  it('puts instructions first and turns developer and system messages into system messages', () => {
    expect(
      convertToChatMessages('Be brief.', [
        { role: 'developer', content: [{ type: 'input_text', text: 'Use metric units.' }] },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Today is Monday.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'Use metric units.' },
      { role: 'system', content: 'Today is Monday.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ]);
  });

  it('merges consecutive function calls into one assistant message, with null content when there is no text', () => {
    const messages = convertToChatMessages(null, [
      { role: 'user', content: 'Go' },
      { type: 'function_call', call_id: 'call_1', name: 'a', arguments: '{}' },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
      { type: 'function_call', call_id: 'call_2', name: 'b', arguments: '{"x":1}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'A' },
      { type: 'function_call_output', call_id: 'call_2', output: 'B' },
      { type: 'function_call', call_id: 'call_3', name: 'a', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_3', output: 'A again' },
    ]);

    expect(messages).toEqual([
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'A' },
      { role: 'tool', tool_call_id: 'call_2', content: 'B' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'a', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_3', content: 'A again' },
    ]);
  });

  it('sends raw reasoning back as reasoning_content on the assistant message it belongs to', () => {
    const reasoning = (id: string, text: string): ResponseInputItem => ({
      type: 'reasoning',
      id,
      summary: [],
      content: [{ type: 'reasoning_text', text }],
    });
    const messages = convertToChatMessages(null, [
      { role: 'user', content: 'Weather?' },
      // Reasoning, text and a call of one turn: one Chat message.
      reasoning('rs_1', 'Need the weather.'),
      { role: 'assistant', content: 'Checking.' },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'Rain' },
      // Reasoning before a call alone opens the call's message.
      reasoning('rs_2', 'Check again.'),
      { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_2', output: 'Still rain' },
      // Reasoning between two messages goes with the one after it.
      { role: 'assistant', content: 'Rain.' },
      reasoning('rs_3', 'Add advice.'),
      { role: 'assistant', content: 'Take an umbrella.' },
      // Reasoning no assistant item follows stays with the message still open.
      reasoning('rs_4', 'Done.'),
      { role: 'user', content: 'Thanks' },
      // With no message open and none following, it has nowhere to go.
      reasoning('rs_5', 'Orphan.'),
      { role: 'user', content: 'Bye' },
      // A summary is not the model's own text, and encrypted reasoning is another provider's.
      { type: 'reasoning', id: 'rs_6', summary: [{ type: 'summary_text', text: 'A summary.' }] },
      { type: 'reasoning', id: 'rs_7', summary: [], encrypted_content: 'opaque' },
      { role: 'assistant', content: 'Welcome.' },
    ]);

    expect(messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning_content: 'Need the weather.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'Rain' },
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'Check again.',
        tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_2', content: 'Still rain' },
      { role: 'assistant', content: 'Rain.' },
      { role: 'assistant', content: 'Take an umbrella.', reasoning_content: 'Add advice.\nDone.' },
      { role: 'user', content: 'Thanks' },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Welcome.' },
    ]);
  });

  it('puts a shell call beside the function calls of the same turn', () => {
    const messages = convertToChatMessages(null, [
      { type: 'function_call', call_id: 'call_1', name: 'a', arguments: '{}' },
      { type: 'shell_call', call_id: 'call_2', action: { commands: [] } },
      { type: 'function_call_output', call_id: 'call_1', output: 'A' },
      { type: 'shell_call_output', call_id: 'call_2', output: [] },
    ]);

    expect(messages).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'shell', arguments: '{"commands":[]}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'A' },
      { role: 'tool', tool_call_id: 'call_2', content: '(no output)' },
    ]);
  });

  it('renders refusals as assistant text and keeps separate assistant messages apart', () => {
    expect(
      convertToChatMessages(null, [
        {
          type: 'message',
          id: 'msg_1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'refusal', refusal: "I can't help with that." }],
        },
        { role: 'assistant', content: 'But here is something else.' },
      ]),
    ).toEqual([
      { role: 'assistant', content: "I can't help with that." },
      { role: 'assistant', content: 'But here is something else.' },
    ]);
  });

  it('sends inline files as file parts', () => {
    const messages = convertToChatMessages(null, [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'Summarize this.' },
          { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
        ],
      },
    ]);

    expect(messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Summarize this.' },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
      ],
    });
  });

  it('rejects what Chat Completions cannot carry with a 400 invalid_value on input', () => {
    const cases: ResponseInputItem[][] = [
      // An image in a tool result: tool messages carry text only.
      [
        { type: 'function_call', call_id: 'call_1', name: 'shot', arguments: '{}' },
        {
          type: 'function_call_output',
          call_id: 'call_1',
          output: [{ type: 'input_image', image_url: 'https://example.com/a.png' }],
        },
      ],
      // A file known only by URL.
      [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }],
      // A hosted tool call.
      [{ type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'x' } }],
      // An unresolved item reference.
      [{ type: 'item_reference', id: 'msg_1' }],
    ];

    for (const input of cases) {
      const error = rejectionOf(input);
      expect(error).toBeInstanceOf(BerthError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_value', param: 'input' });
    }
  });
});
