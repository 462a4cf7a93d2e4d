import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { BerthError, UpstreamError } from '../../errors/berth-error.js';
import {
  fakeOpenAIResponsesModels,
  startFakeOpenAIResponsesUpstream,
} from '../../../test/support/fake-openai-responses-upstream.js';
import type { FakeUpstream } from '../../../test/support/scripted-turn.js';
import { modelRequest } from '../../../test/support/model-request-fixture.js';
import type { ModelEvent, ModelProvider, ModelRequest } from '../model-provider.js';
import { createOpenAIResponsesProvider } from './openai-responses-provider.js';

// Over 400 lines on purpose: every OpenAI Responses behaviour the adapter promises, each against the
// fake upstream speaking the real wire protocol, kept together so a new upstream quirk has one home.

let upstream: FakeUpstream;
let provider: ModelProvider;

beforeAll(async () => {
  upstream = await startFakeOpenAIResponsesUpstream();
  provider = createOpenAIResponsesProvider({
    name: 'openai',
    baseURL: upstream.baseURL,
    apiKey: 'sk-test',
    maxRetries: 0,
  });
});

afterAll(async () => {
  await provider.close();
  await upstream.close();
});

beforeEach(() => {
  upstream.requests.length = 0;
});

function gptRequest(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return modelRequest({ model: 'gpt-5', ...overrides });
}

async function streamAll(
  request: ModelRequest,
  signal = new AbortController().signal,
): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of provider.stream(request, signal)) events.push(event);
  return events;
}

function complete(request: ModelRequest): Promise<readonly ModelEvent[]> {
  return provider.complete(request, new AbortController().signal);
}

/** The text of every delta of one kind, joined. */
function joined(
  events: readonly ModelEvent[],
  type: 'text-delta' | 'reasoning-delta' | 'tool-call-delta',
): string {
  return events.flatMap((event) => (event.type === type ? [event.delta] : [])).join('');
}

function lastBody(): Record<string, unknown> {
  return upstream.requests.at(-1)?.body as Record<string, unknown>;
}

describe('text', () => {
  it('streams text deltas, then finish with usage', async () => {
    upstream.script({ text: 'Hello, world!', usage: { input: 5, output: 3 } });
    const events = await streamAll(
      gptRequest({ instructions: 'Be brief.', temperature: 0.2, maxOutputTokens: 50 }),
    );

    const [start] = events;
    expect(start).toEqual({
      type: 'text-start',
      id: expect.any(String) as string,
      message: { key: '0', phase: null },
    });
    expect(joined(events, 'text-delta')).toBe('Hello, world!');
    expect(events.filter((event) => event.type === 'text-delta').length).toBeGreaterThan(1);
    expect(events.at(-2)).toEqual({ type: 'text-end', id: start?.type === 'text-start' ? start.id : '' });
    expect(events.at(-1)).toEqual({
      type: 'finish',
      reason: 'stop',
      usage: {
        inputTokens: 5,
        outputTokens: 3,
        cachedInputTokens: 0,
        cacheWriteInputTokens: 0,
        reasoningTokens: 0,
      },
    });

    const request = upstream.requests.at(-1);
    expect(request?.path).toBe('/v1/responses');
    expect(request?.headers['authorization']).toBe('Bearer sk-test');
    expect(request?.body).toEqual({
      model: 'gpt-5',
      input: [{ type: 'message', role: 'user', content: 'Hi' }],
      instructions: 'Be brief.',
      store: false,
      temperature: 0.2,
      max_output_tokens: 50,
      stream: true,
    });
  });

  it('returns the same events from the non-streaming API', async () => {
    upstream.script({ text: 'Hello, world!', usage: { input: 5, output: 3 } });
    const events = await complete(gptRequest());

    expect(events.map((event) => event.type)).toEqual(['text-start', 'text-delta', 'text-end', 'finish']);
    expect(joined(events, 'text-delta')).toBe('Hello, world!');
    expect(events.at(-1)).toMatchObject({ reason: 'stop', usage: { inputTokens: 5, outputTokens: 3 } });
    expect(lastBody()['stream']).toBe(false);
  });

  it('sends assistant history as output_text without Berth ids', async () => {
    const input: ResponseInputItem[] = [
      { role: 'developer', content: [{ type: 'input_text', text: 'Rules.' }] },
      { role: 'user', content: 'Hi' },
      {
        type: 'message',
        id: 'msg_berth_1',
        role: 'assistant',
        status: 'completed',
        content: [
          { type: 'output_text', text: 'Hello.', annotations: [] },
          { type: 'refusal', refusal: 'Not that.' },
        ],
      },
      // Clients often write assistant turns with input_text parts, which the upstream rejects.
      { role: 'assistant', content: [{ type: 'input_text', text: 'Anything else?' }] },
      { role: 'user', content: 'No.' },
    ];
    await streamAll(gptRequest({ input }));

    expect(lastBody()['input']).toEqual([
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Rules.' }] },
      { type: 'message', role: 'user', content: 'Hi' },
      {
        type: 'message',
        role: 'assistant',
        content: [
          { type: 'output_text', text: 'Hello.' },
          { type: 'refusal', refusal: 'Not that.' },
        ],
      },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Anything else?' }] },
      { type: 'message', role: 'user', content: 'No.' },
    ]);
  });
});

describe('tool calls', () => {
  const tool = {
    type: 'function' as const,
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  };

  it('round-trips a function call and its output', async () => {
    upstream.script({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const first = await streamAll(
      gptRequest({ tools: [tool], toolChoice: 'auto', parallelToolCalls: false }),
    );

    const start = first.find((event) => event.type === 'tool-call-start');
    expect(start).toMatchObject({ name: 'get_weather', callId: expect.stringMatching(/^call_/) as string });
    expect(start?.id).not.toMatch(/^fc_/);
    expect(joined(first, 'tool-call-delta')).toBe('{"city":"Paris"}');
    expect(first.find((event) => event.type === 'tool-call-end')).toMatchObject({
      id: start?.id,
      arguments: '{"city":"Paris"}',
    });
    expect(first.at(-1)).toMatchObject({ type: 'finish', reason: 'tool_calls' });
    expect(lastBody()).toMatchObject({ tools: [tool], tool_choice: 'auto', parallel_tool_calls: false });

    const callId = start?.type === 'tool-call-start' ? start.callId : '';
    upstream.script({ text: 'It is 21 °C in Paris.' });
    const second = await streamAll(
      gptRequest({
        tools: [tool],
        input: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            type: 'function_call',
            id: 'fc_berth_1',
            call_id: callId,
            name: 'get_weather',
            arguments: '{"city":"Paris"}',
            status: 'completed',
          },
          { type: 'function_call_output', id: 'fco_berth_1', call_id: callId, output: '{"celsius":21}' },
        ],
      }),
    );

    expect(joined(second, 'text-delta')).toBe('It is 21 °C in Paris.');
    expect(lastBody()['input']).toEqual([
      { type: 'message', role: 'user', content: 'Weather in Paris?' },
      { type: 'function_call', call_id: callId, name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: callId, output: '{"celsius":21}' },
    ]);
  });

  it('maps function calls from the non-streaming API', async () => {
    upstream.script({
      text: 'Checking.',
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }],
    });
    const events = await complete(gptRequest({ tools: [tool] }));

    expect(events.map((event) => event.type)).toEqual([
      'text-start',
      'text-delta',
      'text-end',
      'tool-call-start',
      'tool-call-delta',
      'tool-call-end',
      'finish',
    ]);
    expect(events.at(-2)).toMatchObject({ arguments: '{"city":"Oslo"}' });
    expect(events.at(-1)).toMatchObject({ reason: 'tool_calls' });
  });
});

describe('prompt caching', () => {
  it("sends the client's cache key and retention, and reports cache hits as cached input", async () => {
    upstream.script({ text: 'ok', usage: { input: 2000, output: 5, cached: 1536 } });
    const events = await streamAll(gptRequest({ promptCache: { key: 'session-1', retention: 'in_memory' } }));

    expect(lastBody()).toMatchObject({ prompt_cache_key: 'session-1', prompt_cache_retention: 'in_memory' });
    expect(events.at(-1)).toMatchObject({
      type: 'finish',
      usage: { inputTokens: 2000, cachedInputTokens: 1536, cacheWriteInputTokens: 0 },
    });
  });

  it('sends neither field when the client set neither', async () => {
    await complete(gptRequest({ promptCache: { key: null, retention: null } }));
    expect(lastBody()).not.toHaveProperty('prompt_cache_key');
    expect(lastBody()).not.toHaveProperty('prompt_cache_retention');
  });
});

describe('shell tool', () => {
  const tool = {
    type: 'function' as const,
    name: 'lookup',
    parameters: { type: 'object', properties: {} },
    strict: false,
  };

  function commandText(events: readonly ModelEvent[], commandIndex: number): string {
    return events
      .flatMap((event) =>
        event.type === 'shell-call-command-delta' && event.commandIndex === commandIndex ? [event.delta] : [],
      )
      .join('');
  }

  it("offers OpenAI's own shell tool, client-executed, and streams the model's call as shell events", async () => {
    upstream.script({ shellCalls: [{ commands: ['echo hello', 'uname -a'], maxOutputLength: 2048 }] });
    const events = await streamAll(
      gptRequest({ tools: [tool], shellTool: true, toolChoice: { type: 'shell' } }),
    );

    expect(lastBody()).toMatchObject({ tools: [tool, { type: 'shell' }], tool_choice: { type: 'shell' } });
    const start = events.find((event) => event.type === 'shell-call-start');
    expect(start).toMatchObject({ callId: expect.stringMatching(/^call_/) as string });
    expect(start?.id).not.toMatch(/^sh_/);
    expect(commandText(events, 0)).toBe('echo hello');
    expect(commandText(events, 1)).toBe('uname -a');
    expect(events.at(-2)).toEqual({
      type: 'shell-call-end',
      id: start?.id,
      action: { commands: ['echo hello', 'uname -a'], timeoutMs: null, maxOutputLength: 2048 },
    });
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'tool_calls' });
  });

  it('maps a shell call from the non-streaming API', async () => {
    upstream.script({ text: 'Let me look.', shellCalls: [{ commands: ['ls /mnt/data'], timeoutMs: 30000 }] });
    const events = await complete(gptRequest({ shellTool: true }));

    expect(events.map((event) => event.type)).toEqual([
      'text-start',
      'text-delta',
      'text-end',
      'shell-call-start',
      'shell-call-end',
      'finish',
    ]);
    expect(events[4]).toMatchObject({
      action: { commands: ['ls /mnt/data'], timeoutMs: 30000, maxOutputLength: null },
    });
    expect(events[5]).toMatchObject({ reason: 'tool_calls' });
  });

  it("sends Berth's shell history natively, without Berth's container, ids or bookkeeping", async () => {
    // As Berth stores them: its own ids, the Berth container the call ran in, and who created it.
    const storedCall = {
      type: 'shell_call' as const,
      id: 'sh_berth_1',
      call_id: 'call_abc',
      status: 'completed' as const,
      action: { commands: ['cat notes.txt', 'sleep 99'], timeout_ms: 1000, max_output_length: 100 },
      environment: { type: 'container_reference' as const, container_id: 'cntr_berth_1' },
      caller: { type: 'direct' as const },
      created_by: 'resp_berth_1',
    };
    const storedOutput = {
      type: 'shell_call_output' as const,
      id: 'sho_berth_1',
      call_id: 'call_abc',
      status: 'completed' as const,
      max_output_length: 100,
      output: [
        { stdout: 'hello\n', stderr: '', outcome: { type: 'exit' as const, exit_code: 0 }, created_by: 'x' },
        { stdout: '', stderr: '', outcome: { type: 'timeout' as const } },
      ],
    };
    const input: ResponseInputItem[] = [
      { role: 'user', content: 'Read my notes.' },
      storedCall,
      storedOutput,
    ];
    upstream.script({ text: 'Your notes say hello.' });
    const events = await streamAll(gptRequest({ shellTool: true, input }));

    expect(joined(events, 'text-delta')).toBe('Your notes say hello.');
    expect(lastBody()['input']).toEqual([
      { type: 'message', role: 'user', content: 'Read my notes.' },
      {
        type: 'shell_call',
        call_id: 'call_abc',
        action: { commands: ['cat notes.txt', 'sleep 99'], timeout_ms: 1000, max_output_length: 100 },
      },
      {
        type: 'shell_call_output',
        call_id: 'call_abc',
        max_output_length: 100,
        output: [
          { stdout: 'hello\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } },
          { stdout: '', stderr: '', outcome: { type: 'timeout' } },
        ],
      },
    ]);
  });

  it('counts input tokens with the shell tool offered', async () => {
    await provider.countInputTokens(gptRequest({ shellTool: true }), new AbortController().signal);
    expect(lastBody()).toMatchObject({ tools: [{ type: 'shell' }] });
  });

  it('offers no shell tool when the response does not', async () => {
    await streamAll(gptRequest({ tools: [tool] }));
    expect(lastBody()['tools']).toEqual([tool]);
  });
});

describe('reasoning', () => {
  const reasoning = { effort: 'low' as const, summary: 'auto' as const };

  it('streams the summary and returns encrypted content to carry to the next turn', async () => {
    upstream.script({ reasoning: 'Thinking it over.', text: 'Yes.', usage: { input: 9, output: 20 } });
    const events = await streamAll(gptRequest({ reasoning }));

    expect(events.map((event) => event.type).slice(0, 1)).toEqual(['reasoning-start']);
    expect(joined(events, 'reasoning-delta')).toBe('Thinking it over.');
    const end = events.find((event) => event.type === 'reasoning-end');
    expect(end).toMatchObject({ encryptedContent: expect.stringMatching(/^gAAAAA/) as string });
    expect(joined(events, 'text-delta')).toBe('Yes.');
    expect(events.at(-1)).toMatchObject({ reason: 'stop', usage: { outputTokens: 20, reasoningTokens: 5 } });
    expect(lastBody()).toMatchObject({ reasoning, include: ['reasoning.encrypted_content'], store: false });

    const encrypted = end?.type === 'reasoning-end' ? end.encryptedContent : null;
    await streamAll(
      gptRequest({
        reasoning,
        input: [
          { role: 'user', content: 'Is it?' },
          {
            type: 'reasoning',
            id: 'rs_berth_1',
            summary: [{ type: 'summary_text', text: 'Thinking it over.' }],
            encrypted_content: encrypted ?? null,
          },
          { type: 'reasoning', id: 'rs_berth_2', summary: [{ type: 'summary_text', text: 'Lost state.' }] },
          // An open model's raw reasoning (from a Chat Completions turn): nothing OpenAI could verify.
          {
            type: 'reasoning',
            id: 'rs_berth_3',
            summary: [],
            content: [{ type: 'reasoning_text', text: 'Raw thoughts.' }],
          },
          { role: 'assistant', content: 'Yes.' },
          { role: 'user', content: 'Sure?' },
        ],
      }),
    );
    expect(lastBody()['input']).toEqual([
      { type: 'message', role: 'user', content: 'Is it?' },
      {
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 'Thinking it over.' }],
        encrypted_content: encrypted,
      },
      { type: 'message', role: 'assistant', content: 'Yes.' },
      { type: 'message', role: 'user', content: 'Sure?' },
    ]);
  });

  it('maps reasoning from the non-streaming API', async () => {
    upstream.script({ reasoning: 'Hmm.', text: 'No.' });
    const events = await complete(gptRequest({ reasoning }));

    expect(events.map((event) => event.type)).toEqual([
      'reasoning-start',
      'reasoning-delta',
      'reasoning-end',
      'text-start',
      'text-delta',
      'text-end',
      'finish',
    ]);
    expect(events[2]).toMatchObject({ encryptedContent: expect.stringMatching(/^gAAAAA/) as string });
  });
});

describe('images and unconvertible input', () => {
  it('sends data: and https: images', async () => {
    const dataURL = 'data:image/png;base64,iVBORw0KGgo=';
    await streamAll(
      gptRequest({
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is this?' },
              { type: 'input_image', image_url: dataURL, detail: 'low' },
              { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' },
            ],
          },
        ],
      }),
    );
    expect(lastBody()['input']).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is this?' },
          { type: 'input_image', image_url: dataURL, detail: 'low' },
          { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' },
        ],
      },
    ]);
  });

  it.each<[string, ResponseInputItem]>([
    [
      'a file_id-only image',
      { role: 'user', content: [{ type: 'input_image', file_id: 'file_1', detail: 'auto' }] },
    ],
    ['an item reference', { type: 'item_reference', id: 'msg_1' }],
  ])('rejects %s with a 400 invalid_value before calling the upstream', async (_name, item) => {
    const error = await streamAll(gptRequest({ input: [item] })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BerthError);
    expect(error).toMatchObject({ code: 'invalid_value', status: 400, param: 'input' });
    await expect(complete(gptRequest({ input: [item] }))).rejects.toMatchObject({ code: 'invalid_value' });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('finish reasons', () => {
  it.each([
    ['length', 'length'],
    ['content_filter', 'content_filter'],
  ] as const)('maps an incomplete response (%s) when streaming and not', async (finish, reason) => {
    upstream.script({ text: 'Cut', finish }, { text: 'Cut', finish });
    const streamed = await streamAll(gptRequest({ maxOutputTokens: 16 }));
    const completed = await complete(gptRequest({ maxOutputTokens: 16 }));

    expect(streamed.at(-1)).toMatchObject({ type: 'finish', reason });
    expect(completed.at(-1)).toMatchObject({ type: 'finish', reason });
    expect(joined(streamed, 'text-delta')).toBe('Cut');
  });
});

describe('errors', () => {
  it.each([
    [400, 'Unsupported parameter: temperature.', 'invalid_request_error'],
    [500, 'The server had an error while processing your request.', 'server_error'],
  ])('keeps an upstream %i status and message', async (status, message, type) => {
    upstream.script({ error: { status, message, type } }, { error: { status, message, type } });
    const streamed = await streamAll(gptRequest()).catch((caught: unknown) => caught);
    expect(streamed).toBeInstanceOf(UpstreamError);
    expect(streamed).toMatchObject({ status, message, type, provider: 'openai' });
    await expect(complete(gptRequest())).rejects.toMatchObject({ status, message, type });
  });

  it('reports an unreachable upstream as a 502', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const unreachable = createOpenAIResponsesProvider({
      name: 'down',
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: 'sk-test',
      maxRetries: 0,
    });

    const error = await unreachable
      .complete(gptRequest(), new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      status: 502,
      message: expect.stringContaining("provider 'down'") as string,
    });
  });
});

describe('mid-stream failures', () => {
  const created = {
    type: 'response.created',
    sequence_number: 0,
    response: { id: 'resp_1', status: 'in_progress' },
  };
  const frame = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

  it.each([
    [
      'an error event',
      frame('error', {
        type: 'error',
        code: 'rate_limit_exceeded',
        message: 'Slow down.',
        param: null,
        sequence_number: 1,
      }),
      { message: 'Slow down.', status: 502, wireCode: 'rate_limit_exceeded' },
    ],
    [
      'a response.failed event',
      frame('response.failed', {
        type: 'response.failed',
        sequence_number: 1,
        response: {
          id: 'resp_1',
          status: 'failed',
          error: { code: 'server_error', message: 'The model crashed.' },
        },
      }),
      { message: 'The model crashed.', status: 502, wireCode: 'server_error' },
    ],
    [
      'a stream cut short',
      '',
      { message: "Provider 'raw' closed the stream before the response completed." },
    ],
  ])('turns %s into an UpstreamError', async (_name, tail, expected) => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(frame('response.created', created) + tail);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const raw = createOpenAIResponsesProvider({
      name: 'raw',
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: 'sk-test',
      maxRetries: 0,
    });
    try {
      const error = await (async () => {
        for await (const _event of raw.stream(gptRequest(), new AbortController().signal)) void _event;
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject(expected);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('cancellation', () => {
  it('aborting mid-stream cancels the upstream request and surfaces as an abort', async () => {
    upstream.script({ text: 'x'.repeat(200), chunkSize: 1, chunkDelayMs: 5 });
    const controller = new AbortController();
    const seen: ModelEvent[] = [];
    const error = await (async () => {
      for await (const event of provider.stream(gptRequest(), controller.signal)) {
        seen.push(event);
        if (event.type === 'text-delta') controller.abort();
      }
    })().catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'AbortError' });
    expect(error).not.toBeInstanceOf(UpstreamError);
    expect(seen.some((event) => event.type === 'finish')).toBe(false);
    await vi.waitFor(() => expect(upstream.abortedRequests).toBe(1), { timeout: 60_000 });
  });
});

describe('models and token counting', () => {
  it('lists the upstream models', async () => {
    await expect(provider.listModels(new AbortController().signal)).resolves.toEqual(
      fakeOpenAIResponsesModels,
    );
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it("counts input tokens with the upstream's counter", async () => {
    const count = await provider.countInputTokens(
      gptRequest({ instructions: 'Be brief.', temperature: 0.5 }),
      new AbortController().signal,
    );
    expect(count).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/responses/input_tokens',
      body: {
        model: 'gpt-5',
        instructions: 'Be brief.',
        input: [{ type: 'message', role: 'user', content: 'Hi' }],
      },
    });
    expect(lastBody()).not.toHaveProperty('temperature');
  });
});
