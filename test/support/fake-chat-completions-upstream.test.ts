import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import OpenAI from 'openai';
import { startFakeChatCompletionsUpstream } from './fake-chat-completions-upstream.js';
import type { FakeUpstream } from './scripted-turn.js';

/** POSTs a Chat Completions body and returns the raw response text, as bytes on the wire. */
async function post(
  upstream: FakeUpstream,
  body: unknown,
): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`${upstream.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

/** The JSON payloads of `data:` frames, checking the framing on the way. */
function framesOf(text: string): unknown[] {
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  const frames = text.split('\n\n').filter((frame) => frame !== '');
  for (const frame of frames) expect(frame).toMatch(/^data: /);
  return frames.slice(0, -1).map((frame) => JSON.parse(frame.slice('data: '.length)) as unknown);
}

const hello = { model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }] };

describe('fake Chat Completions upstream', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeChatCompletionsUpstream();
  });

  afterAll(async () => {
    await upstream.close();
  });

  it('renders a custom tool call as a call of its function with the input as its one argument', async () => {
    upstream.script({ customCalls: [{ name: 'calculator', input: 'add(1, 2)' }] });
    const reply = await post(upstream, hello);
    const completion = JSON.parse(reply.text) as { choices: { message: unknown; finish_reason: string }[] };
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        tool_calls: [
          { type: 'function', function: { name: 'calculator', arguments: '{"input":"add(1, 2)"}' } },
        ],
      },
    });
  });

  it('renders apply_patch and local_shell calls as calls of the functions Berth offers', async () => {
    upstream.script({
      applyPatchCalls: [{ type: 'delete_file', path: 'old.txt' }],
      localShellCalls: [{ command: ['ls'], timeoutMs: 10 }],
    });
    const reply = await post(upstream, hello);
    const completion = JSON.parse(reply.text) as { choices: { message: unknown; finish_reason: string }[] };
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        tool_calls: [
          { function: { name: 'apply_patch', arguments: '{"type":"delete_file","path":"old.txt"}' } },
          { function: { name: 'local_shell', arguments: '{"command":["ls"],"timeout_ms":10}' } },
        ],
      },
    });
  });

  it('streams chat.completion.chunk frames: role, deltas, tool calls, finish, usage, [DONE]', async () => {
    upstream.script({
      reasoning: 'Hmm.',
      text: 'Hello!',
      toolCalls: [{ name: 'look', arguments: '{"at":"sky"}' }],
      usage: { input: 7, output: 9 },
    });

    const reply = await post(upstream, { ...hello, stream: true, stream_options: { include_usage: true } });

    expect(reply.status).toBe(200);
    expect(reply.type).toBe('text/event-stream; charset=utf-8');
    const chunks = framesOf(reply.text) as {
      object: string;
      choices: {
        delta: { reasoning_content?: string; content?: string; tool_calls?: Record<string, unknown>[] };
        finish_reason: string | null;
      }[];
      usage?: unknown;
    }[];
    for (const chunk of chunks) expect(chunk.object).toBe('chat.completion.chunk');
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
    expect(deltas.map((delta) => delta.reasoning_content ?? '').join('')).toBe('Hmm.');
    expect(deltas.map((delta) => delta.content ?? '').join('')).toBe('Hello!');
    const calls = deltas.flatMap((delta) => delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({
      index: 0,
      id: expect.stringMatching(/^call_/) as string,
      type: 'function',
    });
    expect(calls[0]).toMatchObject({ function: { name: 'look', arguments: '' } });
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.slice(1).every((call) => call['id'] === undefined)).toBe(true);
    const finish = chunks.at(-2);
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    expect(finish?.usage).toBeNull();
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 },
    });
  });

  it('sends no usage without stream_options.include_usage, and the same stream when paced', async () => {
    upstream.script({ text: 'abcdefgh', chunkDelayMs: 1 });

    const reply = await post(upstream, { ...hello, stream: true });

    const chunks = framesOf(reply.text) as Record<string, unknown>[];
    for (const chunk of chunks) expect(chunk).not.toHaveProperty('usage');
    expect(chunks).toHaveLength(4);
  });

  it('answers a non-streaming chat.completion that the official client reads', async () => {
    upstream.script({ text: 'Hello!', usage: { input: 3, output: 2 } });
    const client = new OpenAI({ baseURL: upstream.baseURL, apiKey: 'test', maxRetries: 0 });

    const completion = await client.chat.completions.create({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Hi' }],
    });

    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]).toMatchObject({
      index: 0,
      message: { role: 'assistant', content: 'Hello!' },
      finish_reason: 'stop',
    });
    expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  it('sends reasoning in the field the turn names, streaming and not', async () => {
    upstream.script(
      { reasoning: 'Hmm.', text: 'Hi' },
      { reasoning: 'Hmm.', text: 'Hi', reasoningField: 'reasoning' },
      { reasoning: 'Hmm.', text: 'Hi', reasoningField: 'reasoning' },
    );

    const asVLLM = JSON.parse((await post(upstream, hello)).text) as {
      choices: { message: Record<string, unknown> }[];
    };
    const asOllama = JSON.parse((await post(upstream, hello)).text) as typeof asVLLM;
    const streamed = framesOf((await post(upstream, { ...hello, stream: true })).text) as {
      choices: { delta: { reasoning?: string; reasoning_content?: string } }[];
    }[];

    expect(asVLLM.choices[0]?.message).toMatchObject({ content: 'Hi', reasoning_content: 'Hmm.' });
    expect(asOllama.choices[0]?.message).toMatchObject({ content: 'Hi', reasoning: 'Hmm.' });
    expect(asOllama.choices[0]?.message).not.toHaveProperty('reasoning_content');
    const deltas = streamed.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
    expect(deltas.map((delta) => delta.reasoning ?? '').join('')).toBe('Hmm.');
    expect(deltas.some((delta) => 'reasoning_content' in delta)).toBe(false);
  });

  it("answers errors in OpenAI's envelope", async () => {
    upstream.script({ error: { status: 429, message: 'Slow down.', type: 'rate_limit_exceeded' } });

    const scripted = await post(upstream, hello);
    const unordered = await post(upstream, {
      ...hello,
      messages: [{ role: 'tool', tool_call_id: 'call_1', content: 'x' }],
    });
    const unknown = await fetch(`${upstream.baseURL}/completions`, { method: 'POST', body: '{}' });

    expect(scripted.status).toBe(429);
    expect(JSON.parse(scripted.text)).toEqual({
      error: { message: 'Slow down.', type: 'rate_limit_exceeded', param: null, code: null },
    });
    expect(unordered.status).toBe(400);
    expect(JSON.parse(unordered.text)).toMatchObject({ error: { param: 'messages.[0].role' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/completions)' } });
  });
});
