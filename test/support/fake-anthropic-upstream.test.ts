import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicUpstream } from './fake-anthropic-upstream.js';
import type { FakeUpstream } from './scripted-turn.js';

const headers = {
  'content-type': 'application/json',
  'x-api-key': 'test-key',
  'anthropic-version': '2023-06-01',
};
const body = { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] };

/** Event names of an SSE body, in order. */
function eventNames(sse: string): string[] {
  return [...sse.matchAll(/^event: (.+)$/gm)].map((match) => match[1] ?? '');
}

describe('fake Anthropic upstream', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeAnthropicUpstream();
  });

  afterAll(async () => {
    await upstream.close();
  });

  it('has the bare origin as its base URL, as the Anthropic SDK expects', () => {
    expect(upstream.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('renders a shell call as one bash tool_use, its commands joined by newlines', async () => {
    upstream.script({ shellCalls: [{ commands: ['cd /tmp', 'ls'], timeoutMs: 10 }] });
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, tools: [{ type: 'bash_20250124', name: 'bash' }] }),
    });
    await expect(response.json()).resolves.toMatchObject({
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'bash', input: { command: 'cd /tmp\nls' } }],
    });
  });

  it('renders a custom tool call as a tool_use of its tool with the input as its one field', async () => {
    upstream.script({ customCalls: [{ name: 'calculator', input: 'add(1, 2)' }] });
    const tool = { name: 'calculator', input_schema: { type: 'object' } };
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, tools: [tool] }),
    });
    await expect(response.json()).resolves.toMatchObject({
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'calculator', input: { input: 'add(1, 2)' } }],
    });
  });

  it('renders apply_patch and local_shell calls as tool_use blocks of the tools Berth offers', async () => {
    upstream.script({
      applyPatchCalls: [{ type: 'create_file', path: 'a.txt', diff: '+a\n' }],
      localShellCalls: [{ command: ['ls'] }],
    });
    const tools = ['apply_patch', 'local_shell'].map((name) => ({ name, input_schema: { type: 'object' } }));
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, tools }),
    });
    await expect(response.json()).resolves.toMatchObject({
      stop_reason: 'tool_use',
      content: [
        {
          type: 'tool_use',
          name: 'apply_patch',
          input: { type: 'create_file', path: 'a.txt', diff: '+a\n' },
        },
        { type: 'tool_use', name: 'local_shell', input: { command: ['ls'] } },
      ],
    });
  });

  it('rejects a tool_result that answers no tool_use of the message before it', async () => {
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        ...body,
        tools: [{ type: 'bash_20250124', name: 'bash' }],
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'bash', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'x' }] },
        ],
      }),
    });
    expect(response.status).toBe(400);
    await expect(response.json()).resolves.toMatchObject({
      error: { message: expect.stringContaining('unexpected `tool_use_id`') as string },
    });
  });

  it('streams Messages SSE with the real event names and framing', async () => {
    upstream.script({ reasoning: 'Hmm', text: 'Hello', toolCalls: [{ name: 'f', arguments: '{"a":1}' }] });
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, stream: true }),
    });
    const sse = await response.text();

    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(eventNames(sse)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(sse).toContain('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    expect(sse).toContain('"delta":{"type":"signature_delta","signature":');
    expect(sse).toContain('"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":1}"}');
    expect(sse).toMatch(/"delta":\{"stop_reason":"tool_use"/);
  });

  it('answers a non-streaming request with a Message object', async () => {
    upstream.script({ text: 'Hello', usage: { input: 3, output: 1 } });
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });

    expect(await response.json()).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 3, output_tokens: 1 },
    });
  });

  it.each([
    ['no API key', { 'anthropic-version': '2023-06-01' }, 401, 'authentication_error'],
    ['no anthropic-version', { 'x-api-key': 'k' }, 400, 'invalid_request_error'],
  ])('refuses a request with %s, in the API error envelope', async (_name, sent, status, type) => {
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sent },
      body: JSON.stringify(body),
    });

    expect(response.status).toBe(status);
    const envelope = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(envelope.type).toBe('error');
    expect(envelope.error.type).toBe(type);
    expect(envelope.error.message).not.toBe('');
  });

  it('rejects a body without max_tokens, as the API does', async () => {
    const response = await fetch(`${upstream.baseURL}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'claude-sonnet-5-5', messages: body.messages }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: 'max_tokens: Field required' } });
  });
});
