import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { APIUserAbortError } from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { BerthError, UpstreamError } from '../../errors/berth-error.js';
import {
  fakeChatCompletionsModels,
  startFakeChatCompletionsUpstream,
} from '../../../test/support/fake-chat-completions-upstream.js';
import type { FakeUpstream } from '../../../test/support/scripted-turn.js';
import { modelRequest } from '../../../test/support/model-request-fixture.js';
import type { ModelEvent, ModelProvider, ModelRequest } from '../model-provider.js';
import { createOpenAIChatProvider } from './openai-chat-provider.js';

// Over 400 lines on purpose: every Chat Completions behaviour the adapter promises, each against the
// fake upstream speaking the real wire protocol, kept together so a new server quirk has one home.

function requestOf(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return modelRequest({ model: 'llama3.2', ...overrides });
}

async function collect(events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const collected: ModelEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

/** Concatenated deltas per part type, the way a client would see the reply. */
function textOf(
  events: readonly ModelEvent[],
  type: 'text-delta' | 'reasoning-text-delta' | 'tool-call-delta',
): string {
  return events
    .filter((event) => event.type === type)
    .map((event) => ('delta' in event ? event.delta : ''))
    .join('');
}

function lastBody(upstream: FakeUpstream): Record<string, unknown> {
  const request = upstream.requests.at(-1);
  return (request?.body ?? {}) as Record<string, unknown>;
}

const weatherTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
} as const;

describe('openai-chat provider', () => {
  let upstream: FakeUpstream;
  let provider: ModelProvider;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    upstream = await startFakeChatCompletionsUpstream();
    provider = createOpenAIChatProvider({ name: 'local', baseURL: upstream.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await provider.close();
    await upstream.close();
  });

  it('streams text with usage, asking the server for a usage chunk', async () => {
    upstream.script({ text: 'Hello there, world!', usage: { input: 12, output: 5 } });

    const events = await collect(provider.stream(requestOf({ instructions: 'Be brief.' }), signal));

    expect(events[0]).toEqual({ type: 'text-start', id: expect.any(String) as string });
    expect(textOf(events, 'text-delta')).toBe('Hello there, world!');
    expect(events.filter((event) => event.type === 'text-delta').length).toBeGreaterThan(1);
    expect(events.at(-2)).toMatchObject({ type: 'text-end' });
    expect(events.at(-1)).toEqual({
      type: 'finish',
      reason: 'stop',
      usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 0, reasoningTokens: 0 },
    });
    const body = lastBody(upstream);
    expect(body).toMatchObject({
      model: 'llama3.2',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(upstream.requests.at(-1)?.path).toBe('/v1/chat/completions');
  });

  it('completes text with the non-streaming API', async () => {
    upstream.script({ text: 'Hello there, world!', usage: { input: 12, output: 5 } });

    const events = await provider.complete(requestOf(), signal);

    expect(events).toEqual([
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hello there, world!' },
      { type: 'text-end', id: 'text-0' },
      {
        type: 'finish',
        reason: 'stop',
        usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 0, reasoningTokens: 0 },
      },
    ]);
    expect(lastBody(upstream)['stream']).toBe(false);
  });

  it('sends the request options in their Chat Completions form', async () => {
    await collect(
      provider.stream(
        requestOf({
          temperature: 0.2,
          topP: 0.9,
          maxOutputTokens: 256,
          reasoning: { effort: 'high', summary: 'auto' },
          textFormat: {
            type: 'json_schema',
            name: 'answer',
            schema: { type: 'object', properties: { value: { type: 'number' } } },
            strict: true,
          },
          input: [
            { role: 'developer', content: 'Answer in JSON.' },
            { role: 'user', content: 'What is 6 × 7?' },
          ],
        }),
        signal,
      ),
    );

    const body = lastBody(upstream);
    expect(body).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 256,
      reasoning_effort: 'high',
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'answer',
          schema: { type: 'object', properties: { value: { type: 'number' } } },
          strict: true,
        },
      },
      messages: [
        { role: 'system', content: 'Answer in JSON.' },
        { role: 'user', content: 'What is 6 × 7?' },
      ],
    });
    expect(body).not.toHaveProperty('max_completion_tokens');
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');

    await collect(provider.stream(requestOf({ textFormat: { type: 'json_object' } }), signal));
    expect(lastBody(upstream)['response_format']).toEqual({ type: 'json_object' });
  });

  it('round-trips tool calls: function calls out, results back in as tool messages', async () => {
    upstream.script({
      toolCalls: [
        { name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { name: 'get_weather', arguments: '{"city":"Bergen"}' },
      ],
      usage: { input: 40, output: 20 },
    });

    const events = await collect(
      provider.stream(
        requestOf({ tools: [weatherTool], toolChoice: 'required', parallelToolCalls: true }),
        signal,
      ),
    );

    expect(lastBody(upstream)).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city.',
            parameters: weatherTool.parameters,
            strict: true,
          },
        },
      ],
      tool_choice: 'required',
      parallel_tool_calls: true,
    });
    const starts = events.filter((event) => event.type === 'tool-call-start');
    const ends = events.filter((event) => event.type === 'tool-call-end');
    expect(starts).toHaveLength(2);
    expect(starts.map((event) => event.name)).toEqual(['get_weather', 'get_weather']);
    for (const start of starts) expect(start.callId).toMatch(/^call_/);
    expect(ends.map((event) => event.arguments)).toEqual(['{"city":"Oslo"}', '{"city":"Bergen"}']);
    const firstId = starts[0]?.id;
    const firstDeltas = events.filter((event) => event.type === 'tool-call-delta' && event.id === firstId);
    expect(firstDeltas.length).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'tool_calls' });

    const [oslo, bergen] = starts;
    const input: ResponseInputItem[] = [
      { role: 'user', content: 'Weather in Oslo and Bergen?' },
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Checking both.', annotations: [] }],
      },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two cities.' }] },
      {
        type: 'function_call',
        call_id: oslo?.callId ?? '',
        name: 'get_weather',
        arguments: '{"city":"Oslo"}',
      },
      {
        type: 'function_call',
        call_id: bergen?.callId ?? '',
        name: 'get_weather',
        arguments: '{"city":"Bergen"}',
      },
      { type: 'function_call_output', call_id: oslo?.callId ?? '', output: '4°C, rain' },
      {
        type: 'function_call_output',
        call_id: bergen?.callId ?? '',
        output: [{ type: 'input_text', text: '6°C, sun' }],
      },
    ];
    upstream.script({ text: 'Oslo is rainy; Bergen is sunny.' });

    const answer = await collect(provider.stream(requestOf({ input, tools: [weatherTool] }), signal));

    expect(textOf(answer, 'text-delta')).toBe('Oslo is rainy; Bergen is sunny.');
    expect(lastBody(upstream)['messages']).toEqual([
      { role: 'user', content: 'Weather in Oslo and Bergen?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          {
            id: oslo?.callId,
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
          },
          {
            id: bergen?.callId,
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Bergen"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: oslo?.callId, content: '4°C, rain' },
      { role: 'tool', tool_call_id: bergen?.callId, content: '6°C, sun' },
    ]);
  });

  it('completes tool calls with the non-streaming API', async () => {
    upstream.script({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }] });

    const events = await provider.complete(
      requestOf({ tools: [weatherTool], toolChoice: { type: 'function', name: 'get_weather' } }),
      signal,
    );

    expect(lastBody(upstream)['tool_choice']).toEqual({
      type: 'function',
      function: { name: 'get_weather' },
    });
    expect(events.map((event) => event.type)).toEqual([
      'tool-call-start',
      'tool-call-delta',
      'tool-call-end',
      'finish',
    ]);
    expect(events[0]).toMatchObject({
      name: 'get_weather',
      callId: expect.stringMatching(/^call_/) as string,
    });
    expect(events[2]).toMatchObject({ arguments: '{"city":"Oslo"}' });
    expect(events[3]).toMatchObject({ reason: 'tool_calls' });
  });

  it.each(['stream', 'complete'] as const)(
    'offers the shell as a `shell` function and reports its calls as shell calls (%s)',
    async (mode) => {
      upstream.script({ shellCalls: [{ commands: ['cd /mnt/data', 'ls'], timeoutMs: 5000 }] });
      const request = requestOf({ tools: [weatherTool], shellTool: true, toolChoice: { type: 'shell' } });
      const events =
        mode === 'stream'
          ? await collect(provider.stream(request, signal))
          : await provider.complete(request, signal);

      const body = lastBody(upstream);
      const tools = body['tools'] as { function: { name: string; description?: string } }[];
      expect(tools.map((tool) => tool.function.name)).toEqual(['get_weather', 'shell']);
      expect(tools[1]).toMatchObject({
        type: 'function',
        function: {
          description: expect.stringContaining('sandboxed Linux container') as string,
          parameters: { type: 'object', required: ['commands'] },
        },
      });
      expect(body['tool_choice']).toEqual({ type: 'function', function: { name: 'shell' } });
      expect(events).toEqual([
        {
          type: 'shell-call-start',
          id: expect.any(String) as string,
          callId: expect.stringMatching(/^call_/) as string,
        },
        {
          type: 'shell-call-end',
          id: events[0]?.type === 'shell-call-start' ? events[0].id : '',
          action: { commands: ['cd /mnt/data', 'ls'], timeoutMs: 5000, maxOutputLength: null },
        },
        expect.objectContaining({ type: 'finish', reason: 'tool_calls' }),
      ]);
    },
  );

  it('answers shell arguments that do not fit with an invalid shell call', async () => {
    upstream.script({ toolCalls: [{ name: 'shell', arguments: '{"cmd":"ls"}' }] });
    const events = await collect(provider.stream(requestOf({ shellTool: true }), signal));
    expect(events.find((event) => event.type === 'shell-call-end')).toMatchObject({
      action: { commands: ['{"cmd":"ls"}'], invalid: expect.stringContaining('commands') as string },
    });
  });

  it('sends shell history as a call of the shell function and a tool message', async () => {
    const exit = (exit_code: number) => ({ type: 'exit' as const, exit_code });
    const input: ResponseInputItem[] = [
      { role: 'user', content: 'What is in /mnt/data?' },
      { role: 'assistant', content: 'Let me look.' },
      {
        type: 'shell_call',
        id: 'sh_1',
        call_id: 'call_1',
        status: 'completed',
        environment: { type: 'container_reference', container_id: 'cntr_1' },
        action: { commands: ['ls /mnt/data'], timeout_ms: 1000, max_output_length: null },
      },
      {
        type: 'shell_call_output',
        id: 'sho_1',
        call_id: 'call_1',
        output: [{ stdout: 'a.csv\n', stderr: 'note\n', outcome: exit(3) }],
      },
    ];
    upstream.script({ text: 'One CSV file.' });
    await collect(provider.stream(requestOf({ shellTool: true, input }), signal));

    expect(lastBody(upstream)['messages']).toEqual([
      { role: 'user', content: 'What is in /mnt/data?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'shell', arguments: '{"commands":["ls /mnt/data"],"timeout_ms":1000}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'a.csv\nstderr:\nnote\n[exit code 3]' },
    ]);
  });

  it('turns reasoning_content and reasoning into raw reasoning text, streaming and not', async () => {
    const turn = { reasoning: 'Six sevens are forty-two.', text: '42', usage: { input: 9, output: 12 } };
    const ollamaTurn = { ...turn, reasoningField: 'reasoning' } as const;
    upstream.script(turn, turn, ollamaTurn, ollamaTurn);

    const runs = [
      await collect(provider.stream(requestOf(), signal)),
      await provider.complete(requestOf(), signal),
      await collect(provider.stream(requestOf(), signal)),
      await provider.complete(requestOf(), signal),
    ];

    for (const events of runs) {
      expect(textOf(events, 'reasoning-text-delta')).toBe('Six sevens are forty-two.');
      expect(events.map((event) => event.type)).not.toContain('reasoning-delta');
      expect(textOf(events, 'text-delta')).toBe('42');
      const types = events.map((event) => event.type);
      expect(types.indexOf('reasoning-end')).toBeLessThan(types.indexOf('text-start'));
      expect(events.find((event) => event.type === 'reasoning-end')).toMatchObject({
        encryptedContent: null,
      });
      expect(events.at(-1)).toMatchObject({
        type: 'finish',
        reason: 'stop',
        usage: { inputTokens: 9, outputTokens: 12, reasoningTokens: 7 },
      });
    }
  });

  it('sends images as image_url parts and rejects file_id-only images', async () => {
    const dataURL =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await collect(
      provider.stream(
        requestOf({
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: 'What are these?' },
                { type: 'input_image', image_url: dataURL, detail: 'low' },
                { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' },
              ],
            },
          ],
        }),
        signal,
      ),
    );

    expect(lastBody(upstream)['messages']).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What are these?' },
          { type: 'image_url', image_url: { url: dataURL, detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
        ],
      },
    ]);

    const sent = upstream.requests.length;
    const fileImage = requestOf({
      input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-abc', detail: 'auto' }] }],
    });
    const rejection = await collect(provider.stream(fileImage, signal)).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(BerthError);
    expect(rejection).toMatchObject({ status: 400, code: 'invalid_value', param: 'input' });
    expect(upstream.requests.length).toBe(sent);
  });

  it('maps the length and content_filter finish reasons, streaming and not', async () => {
    upstream.script(
      { text: 'It was a dark and', finish: 'length' },
      { text: 'It was a dark and', finish: 'length' },
      { text: '', finish: 'content_filter' },
    );

    const streamed = await collect(provider.stream(requestOf({ maxOutputTokens: 5 }), signal));
    const completed = await provider.complete(requestOf({ maxOutputTokens: 5 }), signal);
    const filtered = await collect(provider.stream(requestOf(), signal));

    expect(streamed.at(-1)).toMatchObject({ type: 'finish', reason: 'length' });
    expect(completed.at(-1)).toMatchObject({ type: 'finish', reason: 'length' });
    expect(filtered).toEqual([
      { type: 'finish', reason: 'content_filter', usage: expect.any(Object) as object },
    ]);
  });

  it('keeps the status, message and type of an upstream 4xx error', async () => {
    const error = {
      status: 400,
      message: "'messages' must contain the word 'json'.",
      type: 'invalid_request_error',
    };
    upstream.script({ error }, { error });

    for (const attempt of [
      () => collect(provider.stream(requestOf(), signal)),
      () => provider.complete(requestOf(), signal),
    ]) {
      const failure = await attempt().catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(UpstreamError);
      expect(failure).toMatchObject({ status: 400, message: error.message, type: 'invalid_request_error' });
    }
  });

  it('keeps the status and message of an upstream 5xx error', async () => {
    upstream.script({ error: { status: 503, message: 'The model is overloaded.' } });

    const failure = await collect(provider.stream(requestOf(), signal)).catch((caught: unknown) => caught);

    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ status: 503, message: 'The model is overloaded.', type: 'server_error' });
  });

  it('reports an unreachable upstream as a 502', async () => {
    const gone = await startFakeChatCompletionsUpstream();
    await gone.close();
    const unreachable = createOpenAIChatProvider({ name: 'gone', baseURL: gone.baseURL, maxRetries: 0 });

    const failure = await collect(unreachable.stream(requestOf(), signal)).catch((caught: unknown) => caught);

    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({
      status: 502,
      message: expect.stringContaining("provider 'gone'") as string,
    });
  });

  it('cancels the upstream request when the stream is aborted', async () => {
    upstream.script({ text: 'a long answer '.repeat(40), chunkSize: 2, chunkDelayMs: 5 });
    const controller = new AbortController();
    const seen: ModelEvent[] = [];
    const before = upstream.abortedRequests;

    const failure = await (async () => {
      for await (const event of provider.stream(requestOf(), controller.signal)) {
        seen.push(event);
        if (event.type === 'text-delta') controller.abort();
      }
    })().catch((caught: unknown) => caught);

    // An abort, not an UpstreamError: the signal's reason (the SDK ends an aborted stream quietly) or
    // the SDK's own abort error.
    expect(failure === controller.signal.reason || failure instanceof APIUserAbortError).toBe(true);
    expect(seen.some((event) => event.type === 'finish')).toBe(false);
    await vi.waitFor(() => expect(upstream.abortedRequests).toBe(before + 1), { timeout: 60_000 });
  });

  it('cancels a request still waiting for the upstream', async () => {
    upstream.script({ text: 'late', delayMs: 60_000 });
    const controller = new AbortController();
    const before = upstream.abortedRequests;
    const sent = upstream.requests.length;

    const pending = collect(provider.stream(requestOf(), controller.signal)).catch(
      (caught: unknown) => caught,
    );
    await vi.waitFor(() => expect(upstream.requests.length).toBe(sent + 1), { timeout: 60_000 });
    controller.abort();

    // The SDK's own abort error, passed through unwrapped.
    expect(await pending).toBeInstanceOf(APIUserAbortError);
    await vi.waitFor(() => expect(upstream.abortedRequests).toBe(before + 1), { timeout: 60_000 });
  });

  it('lists the upstream models', async () => {
    expect(await provider.listModels(signal)).toEqual(fakeChatCompletionsModels);
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it('estimates input tokens locally, without calling the upstream', async () => {
    const sent = upstream.requests.length;
    // "Be brief." + "Hi" = 11 characters → 3 tokens, plus 4 per message and 3 to prime the reply.
    expect(await provider.countInputTokens(requestOf({ instructions: 'Be brief.' }), signal)).toBe(14);
    const withImage = requestOf({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Hi' },
            { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' },
          ],
        },
      ],
    });
    // 2 characters → 1 token, one message, reply priming, one image.
    expect(await provider.countInputTokens(withImage, signal)).toBe(1 + 4 + 3 + 85);
    const withReasoning = requestOf({
      input: [
        { role: 'user', content: 'Hi' },
        { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'Greet.' }] },
        { role: 'assistant', content: 'Hello' },
      ],
    });
    // The reasoning sent back counts: "Hi" + "Greet." + "Hello" = 13 characters → 4 tokens, two messages.
    expect(await provider.countInputTokens(withReasoning, signal)).toBe(4 + 2 * 4 + 3);
    expect(upstream.requests.length).toBe(sent);
  });

  it('rejects allowed_tools as an unsupported tool_choice, before calling the upstream', async () => {
    const sent = upstream.requests.length;
    const request = requestOf({
      tools: [weatherTool],
      toolChoice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'get_weather' }] },
    });

    for (const attempt of [
      () => collect(provider.stream(request, signal)),
      () => provider.complete(request, signal),
      () => provider.countInputTokens(request, signal),
    ]) {
      const failure = await attempt().catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(BerthError);
      expect(failure).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'tool_choice' });
    }
    expect(upstream.requests.length).toBe(sent);
  });

  it('sends no Authorization header without an API key, and the bearer key with one', async () => {
    await collect(provider.stream(requestOf(), signal));
    expect(upstream.requests.at(-1)?.headers['authorization']).toBeUndefined();

    const keyed = createOpenAIChatProvider({
      name: 'keyed',
      baseURL: upstream.baseURL,
      apiKey: 'sk-test',
      maxRetries: 0,
    });
    await collect(keyed.stream(requestOf(), signal));
    expect(upstream.requests.at(-1)?.headers['authorization']).toBe('Bearer sk-test');
  });
});
