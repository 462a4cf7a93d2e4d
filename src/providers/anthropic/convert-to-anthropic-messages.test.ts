import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicUpstream } from '../../../test/support/fake-anthropic-upstream.js';
import type { FakeUpstream } from '../../../test/support/scripted-turn.js';
import { modelRequest } from '../../../test/support/model-request-fixture.js';
import type { ModelEvent, ModelProvider, ModelRequest } from '../model-provider.js';
import { createAnthropicProvider } from './anthropic-provider.js';

function request(input: ResponseInputItem[], overrides: Partial<ModelRequest> = {}): ModelRequest {
  return modelRequest({ model: 'claude-sonnet-5-5', input, ...overrides });
}

async function collect(events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const collected: ModelEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

const signal = new AbortController().signal;
const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

describe('converting Berth context to Anthropic messages', () => {
  let upstream: FakeUpstream;
  let provider: ModelProvider;

  beforeAll(async () => {
    upstream = await startFakeAnthropicUpstream();
    provider = createAnthropicProvider({
      name: 'anthropic',
      baseURL: upstream.baseURL,
      apiKey: 'k',
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await upstream.close();
  });

  /** Sends `input` and returns the Messages body the upstream received. */
  async function sentBody(
    input: ResponseInputItem[],
    overrides: Partial<ModelRequest> = {},
  ): Promise<unknown> {
    await provider.complete(request(input, overrides), signal);
    return upstream.requests.at(-1)?.body;
  }

  it('round-trips a tool call: tool_use out, then tool_use and tool_result back', async () => {
    upstream.script(
      { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { text: '18°C.' },
    );
    const ask: ResponseInputItem = { role: 'user', content: 'Weather in Paris?' };
    const first = await collect(provider.stream(request([ask], { tools: [weatherTool] }), signal));
    const start = first.find((event) => event.type === 'tool-call-start');
    const end = first.find((event) => event.type === 'tool-call-end');
    if (start?.type !== 'tool-call-start' || end?.type !== 'tool-call-end') throw new Error('no tool call');

    const followUp: ResponseInputItem[] = [
      ask,
      { type: 'function_call', call_id: start.callId, name: start.name, arguments: end.arguments },
      { type: 'function_call_output', call_id: start.callId, output: '18°C and sunny' },
    ];
    const answer = await collect(provider.stream(request(followUp, { tools: [weatherTool] }), signal));

    expect(answer.at(-1)).toMatchObject({ type: 'finish', reason: 'stop' });
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather for a city',
          input_schema: weatherTool.parameters,
        },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: start.callId, name: 'get_weather', input: { city: 'Paris' } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: start.callId, content: '18°C and sunny' }],
        },
      ],
    });
  });

  it('sends shell history as the bash tool_use and tool_result Claude would have made', async () => {
    // As Berth stores them: ids, status, the container the calls ran in.
    const environment = { type: 'container_reference' as const, container_id: 'cntr_1' };
    const exit = (exit_code: number) => ({ type: 'exit' as const, exit_code });
    const body = await sentBody(
      [
        { role: 'user', content: 'What is in /tmp?' },
        {
          type: 'shell_call',
          id: 'sh_1',
          call_id: 'call_1',
          status: 'completed',
          environment,
          action: { commands: ['cd /tmp', 'ls'], timeout_ms: null, max_output_length: null },
        },
        {
          type: 'shell_call_output',
          id: 'sho_1',
          call_id: 'call_1',
          status: 'completed',
          max_output_length: null,
          output: [
            { stdout: '', stderr: '', outcome: exit(0) },
            { stdout: 'a.txt\n', stderr: '', outcome: exit(0) },
          ],
        },
        { type: 'shell_call', call_id: 'call_2', action: { commands: ['cat b.txt'] } },
        {
          type: 'shell_call_output',
          call_id: 'call_2',
          output: [{ stdout: '', stderr: 'cat: b.txt: No such file\n', outcome: exit(1) }],
        },
      ],
      { shellTool: true },
    );

    expect(body).toMatchObject({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is in /tmp?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'bash', input: { command: 'cd /tmp\nls' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'call_1',
              content: '--- command 1 of 2 ---\n(no output)\n--- command 2 of 2 ---\na.txt',
            },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_2', name: 'bash', input: { command: 'cat b.txt' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'call_2',
              content: 'cat: b.txt: No such file\n[exit code 1]',
              is_error: true,
            },
          ],
        },
      ],
    });
  });

  it('merges consecutive same-role items into alternating turns, tool results first', async () => {
    const body = await sentBody([
      { role: 'user', content: 'First' },
      { role: 'user', content: [{ type: 'input_text', text: 'Second' }] },
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Checking both.', annotations: [] }],
      },
      { type: 'function_call', call_id: 'call_a', name: 'a', arguments: '' },
      { type: 'function_call', call_id: 'call_b', name: 'b', arguments: '{"x":1}' },
      { type: 'function_call_output', call_id: 'call_a', output: [{ type: 'input_text', text: 'A done' }] },
      { role: 'user', content: 'And?' },
      { type: 'function_call_output', call_id: 'call_b', output: 'B done' },
    ]);

    expect(body).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'First' },
            { type: 'text', text: 'Second' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'call_a', name: 'a', input: {} },
            { type: 'tool_use', id: 'call_b', name: 'b', input: { x: 1 } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_a', content: [{ type: 'text', text: 'A done' }] },
            { type: 'tool_result', tool_use_id: 'call_b', content: 'B done' },
            { type: 'text', text: 'And?' },
          ],
        },
      ],
    });
  });

  it('puts instructions, system and developer messages into `system`', async () => {
    const body = await sentBody(
      [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: [{ type: 'input_text', text: 'Answer in French.' }] },
      ],
      { instructions: 'Follow the rules.' },
    );

    expect(body).toMatchObject({
      system: 'Follow the rules.\n\nYou are terse.\n\nAnswer in French.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
  });

  it('sends data: URL images as base64 and http(s) images as URLs', async () => {
    const body = await sentBody([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'Compare these.' },
          { type: 'input_image', detail: 'auto', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
          { type: 'input_image', detail: 'high', image_url: 'https://example.com/cat.jpg' },
        ],
      },
    ]);

    expect(body).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
  });

  it('sends PDF files as document blocks', async () => {
    const body = await sentBody([
      {
        role: 'user',
        content: [
          { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
          { type: 'input_file', file_url: 'https://example.com/b.pdf' },
        ],
      },
    ]);

    expect(body).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
            { type: 'document', source: { type: 'url', url: 'https://example.com/b.pdf' } },
          ],
        },
      ],
    });
  });

  it('passes thinking back first in its assistant turn, and drops reasoning Anthropic cannot verify', async () => {
    upstream.script({
      reasoning: 'Need the weather.',
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }],
    });
    const ask: ResponseInputItem = { role: 'user', content: 'Weather in Oslo?' };
    const thinking = { reasoning: { effort: 'low' as const }, tools: [weatherTool] };
    const first = await collect(provider.stream(request([ask], thinking), signal));
    const reasoningEnd = first.find((event) => event.type === 'reasoning-end');
    const call = first.find((event) => event.type === 'tool-call-start');
    if (reasoningEnd?.type !== 'reasoning-end' || call?.type !== 'tool-call-start')
      throw new Error('no reply');

    await sentBody(
      [
        ask,
        { type: 'reasoning', id: 'rs_openai', summary: [], encrypted_content: 'gAAAAABopenai-encrypted' },
        // An open model's raw reasoning (from a Chat Completions turn) has no signature either.
        {
          type: 'reasoning',
          id: 'rs_open',
          summary: [],
          content: [{ type: 'reasoning_text', text: 'Raw thoughts.' }],
        },
        { type: 'function_call', call_id: call.callId, name: 'get_weather', arguments: '{"city":"Oslo"}' },
        {
          type: 'reasoning',
          id: 'rs_1',
          summary: [{ type: 'summary_text', text: 'Need the weather.' }],
          encrypted_content: reasoningEnd.encryptedContent ?? null,
        },
        { type: 'function_call_output', call_id: call.callId, output: '-3°C' },
      ],
      thinking,
    );

    const signature = (reasoningEnd.encryptedContent ?? '').replace(/^anthropic-thinking:/, '');
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Need the weather.', signature },
            { type: 'tool_use', id: call.callId, name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.callId, content: '-3°C' }] },
      ],
    });
  });

  it.each([
    [
      'an image given only by file id',
      { role: 'user', content: [{ type: 'input_image', detail: 'auto', file_id: 'file_1' }] },
    ],
    [
      'invalid function_call arguments',
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{oops' },
    ],
    [
      'an image in an assistant message',
      {
        role: 'assistant',
        content: [{ type: 'input_image', detail: 'auto', image_url: 'https://example.com/a.png' }],
      },
    ],
    [
      'a hosted tool item',
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'q' } },
    ],
  ] as [string, ResponseInputItem][])('rejects %s as a 400 on input', async (_name, item) => {
    const before = upstream.requests.length;
    await expect(
      provider.complete(request([{ role: 'user', content: 'Hi' }, item]), signal),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_value',
      param: 'input',
    });
    expect(upstream.requests.length).toBe(before);
  });
});
