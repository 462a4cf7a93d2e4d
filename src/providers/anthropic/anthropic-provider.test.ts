import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError, UpstreamError } from '../../errors/berth-error.js';
import { startFakeAnthropicUpstream } from '../../../test/support/fake-anthropic-upstream.js';
import type { FakeUpstream } from '../../../test/support/scripted-turn.js';
import { modelRequest } from '../../../test/support/model-request-fixture.js';
import type { ModelEvent, ModelProvider, ModelRequest } from '../model-provider.js';
import { createAnthropicProvider } from './anthropic-provider.js';

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return modelRequest({ model: 'claude-sonnet-5-5', ...overrides });
}

async function collect(events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const collected: ModelEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

function textOf(
  events: readonly ModelEvent[],
  type: 'text-delta' | 'reasoning-delta' | 'tool-call-delta',
): string {
  return events.map((event) => (event.type === type ? event.delta : '')).join('');
}

const signal = new AbortController().signal;

describe('Anthropic provider', () => {
  let upstream: FakeUpstream;
  let provider: ModelProvider;

  beforeAll(async () => {
    upstream = await startFakeAnthropicUpstream();
    provider = createAnthropicProvider({
      name: 'anthropic',
      baseURL: upstream.baseURL,
      apiKey: 'test-key',
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await provider.close();
    await upstream.close();
  });

  it('streams a text answer with usage, from a Messages request the API accepts', async () => {
    upstream.script({ text: 'Hello there, friend', usage: { input: 12, output: 5 } });
    const events = await collect(provider.stream(request({ instructions: 'Be brief.' }), signal));

    expect(events[0]).toEqual({ type: 'text-start', id: 'block-0' });
    expect(textOf(events, 'text-delta')).toBe('Hello there, friend');
    expect(events.filter((event) => event.type === 'text-delta').length).toBeGreaterThan(1);
    expect(events.at(-2)).toEqual({ type: 'text-end', id: 'block-0' });
    expect(events.at(-1)).toEqual({
      type: 'finish',
      reason: 'stop',
      usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
    });

    const sent = upstream.requests.at(-1);
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['anthropic-version']).toEqual(expect.any(String));
    expect(sent?.headers['authorization']).toBe('Bearer test-key');
    expect(sent?.body).toEqual({
      model: 'claude-sonnet-5-5',
      max_tokens: 4096,
      stream: true,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
  });

  it('completes the same answer with the non-streaming API', async () => {
    upstream.script({ text: 'Hello there', usage: { input: 7, output: 2 } });
    const events = await provider.complete(request(), signal);

    expect(events).toEqual([
      { type: 'text-start', id: 'block-0' },
      { type: 'text-delta', id: 'block-0', delta: 'Hello there' },
      { type: 'text-end', id: 'block-0' },
      {
        type: 'finish',
        reason: 'stop',
        usage: { inputTokens: 7, outputTokens: 2, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
      },
    ]);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ stream: false, max_tokens: 4096 });
  });

  it.each(['stream', 'complete'] as const)('reports tool calls with their arguments (%s)', async (mode) => {
    const turn = { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] };
    upstream.script(turn);
    const events =
      mode === 'stream'
        ? await collect(provider.stream(request(), signal))
        : await provider.complete(request(), signal);

    const start = events.find((event) => event.type === 'tool-call-start');
    expect(start?.type === 'tool-call-start' && start.name).toBe('get_weather');
    expect(start?.type === 'tool-call-start' && start.callId).toMatch(/^toolu_/);
    expect(JSON.parse(textOf(events, 'tool-call-delta'))).toEqual({ city: 'Paris', unit: 'celsius' });
    const end = events.find((event) => event.type === 'tool-call-end');
    expect(end?.type === 'tool-call-end' && JSON.parse(end.arguments)).toEqual({
      city: 'Paris',
      unit: 'celsius',
    });
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'tool_calls' });
  });

  it.each(['stream', 'complete'] as const)(
    "offers Anthropic's bash tool for the shell and reports its calls as shell calls (%s)",
    async (mode) => {
      upstream.script({ text: 'Looking.', shellCalls: [{ commands: ['cd /mnt/data', 'ls'] }] });
      const weather = { type: 'function' as const, name: 'get_weather', parameters: null, strict: null };
      const shell = request({ tools: [weather], shellTool: true, toolChoice: { type: 'shell' } });
      const events =
        mode === 'stream'
          ? await collect(provider.stream(shell, signal))
          : await provider.complete(shell, signal);

      expect(upstream.requests.at(-1)?.body).toMatchObject({
        tools: [
          { name: 'get_weather', input_schema: { type: 'object', properties: {} } },
          { type: 'bash_20250124', name: 'bash' },
        ],
        tool_choice: { type: 'tool', name: 'bash' },
      });
      expect(events.filter((event) => event.type !== 'text-delta').slice(2)).toEqual([
        { type: 'shell-call-start', id: 'block-1', callId: expect.stringMatching(/^toolu_/) as string },
        {
          type: 'shell-call-end',
          id: 'block-1',
          action: { commands: ['cd /mnt/data\nls'], timeoutMs: null, maxOutputLength: null },
        },
        expect.objectContaining({ type: 'finish', reason: 'tool_calls' }),
      ]);
    },
  );

  it.each(['stream', 'complete'] as const)(
    'streams thinking as reasoning with its signature (%s)',
    async (mode) => {
      upstream.script({ reasoning: 'Six times seven.', text: '42' });
      const thinking = request({ reasoning: { effort: 'medium' } });
      const events =
        mode === 'stream'
          ? await collect(provider.stream(thinking, signal))
          : await provider.complete(thinking, signal);

      expect(events[0]).toEqual({ type: 'reasoning-start', id: 'block-0' });
      expect(textOf(events, 'reasoning-delta')).toBe('Six times seven.');
      const end = events.find((event) => event.type === 'reasoning-end');
      expect(end?.type === 'reasoning-end' && end.encryptedContent).toMatch(/^anthropic-thinking:.+/);
      expect(textOf(events, 'text-delta')).toBe('42');
      expect(events.findIndex((event) => event.type === 'reasoning-end')).toBeLessThan(
        events.findIndex((event) => event.type === 'text-start'),
      );
    },
  );

  it.each([
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['stop', 'stop'],
  ] as const)('maps the stop reason behind a %s finish', async (finish, expected) => {
    upstream.script({ text: 'partial', finish }, { text: 'partial', finish });
    const streamed = await collect(provider.stream(request(), signal));
    const completed = await provider.complete(request(), signal);
    expect(streamed.at(-1)).toMatchObject({ type: 'finish', reason: expected });
    expect(completed.at(-1)).toMatchObject({ type: 'finish', reason: expected });
  });

  it.each(['stream', 'complete'] as const)('keeps an upstream 4xx status and message (%s)', async (mode) => {
    upstream.script({ error: { status: 400, message: 'messages: roles must alternate' } });
    const run =
      mode === 'stream' ? collect(provider.stream(request(), signal)) : provider.complete(request(), signal);
    const error: unknown = await run.catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      status: 400,
      message: 'messages: roles must alternate',
      type: 'invalid_request_error',
      provider: 'anthropic',
    });
  });

  it.each(['stream', 'complete'] as const)('keeps an upstream 5xx status and message (%s)', async (mode) => {
    upstream.script({ error: { status: 529, message: 'Overloaded' } });
    const run =
      mode === 'stream' ? collect(provider.stream(request(), signal)) : provider.complete(request(), signal);
    const error: unknown = await run.catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 529, message: 'Overloaded', type: 'overloaded_error' });
  });

  it('aborting a stream cancels the upstream request', async () => {
    const abortedBefore = upstream.abortedRequests;
    upstream.script({ text: 'x'.repeat(4000), chunkDelayMs: 5 });
    const controller = new AbortController();
    const events: ModelEvent[] = [];
    const run = (async () => {
      for await (const event of provider.stream(request(), controller.signal)) {
        events.push(event);
        if (event.type === 'text-delta') controller.abort();
      }
    })();

    const error: unknown = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toMatch(/AbortError|APIUserAbortError/);
    expect(events.some((event) => event.type === 'finish')).toBe(false);
    while (upstream.abortedRequests === abortedBefore) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(upstream.abortedRequests).toBe(abortedBefore + 1);
  });

  it('aborting before the upstream answers cancels the request', async () => {
    const abortedBefore = upstream.abortedRequests;
    upstream.script({ text: 'late', delayMs: 60_000 });
    const controller = new AbortController();
    const run = provider.complete(request(), controller.signal);
    const received = upstream.requests.length;
    while (upstream.requests.length === received) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();

    await expect(run).rejects.toMatchObject({ name: expect.stringMatching(/Abort/) as unknown });
    while (upstream.abortedRequests === abortedBefore) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(upstream.abortedRequests).toBe(abortedBefore + 1);
  });

  it('lists the upstream models', async () => {
    await expect(provider.listModels(signal)).resolves.toEqual([
      'claude-opus-5-5',
      'claude-sonnet-5-5',
      'claude-haiku-5-5',
    ]);
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it("counts input tokens with Anthropic's counter", async () => {
    const counted = await provider.countInputTokens(request({ instructions: 'Be brief.' }), signal);

    const sent = upstream.requests.at(-1);
    expect(sent?.path).toBe('/v1/messages/count_tokens');
    expect(sent?.body).toEqual({
      model: 'claude-sonnet-5-5',
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    expect(counted).toBeGreaterThan(0);
  });

  it('rejects what Anthropic cannot express before calling it', async () => {
    const before = upstream.requests.length;
    const jsonObject = request({ textFormat: { type: 'json_object' } });

    const error: unknown = await provider.complete(jsonObject, signal).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BerthError);
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'text.format' });
    await expect(collect(provider.stream(request({ temperature: 0.2 }), signal))).rejects.toMatchObject({
      code: 'unsupported_parameter',
      param: 'temperature',
    });
    expect(upstream.requests.length).toBe(before);
  });

  it('reports an unreachable upstream as a 502', async () => {
    const closed = await startFakeAnthropicUpstream();
    await closed.close();
    const unreachable = createAnthropicProvider({
      name: 'gone',
      baseURL: closed.baseURL,
      apiKey: 'k',
      maxRetries: 0,
    });

    await expect(unreachable.complete(request(), signal)).rejects.toMatchObject({
      name: 'UpstreamError',
      status: 502,
      provider: 'gone',
    });
  });

  it("surfaces the upstream's 401 when no key is configured", async () => {
    const keyless = createAnthropicProvider({ name: 'keyless', baseURL: upstream.baseURL, maxRetries: 0 });

    await expect(keyless.complete(request(), signal)).rejects.toMatchObject({
      status: 401,
      type: 'authentication_error',
    });
    expect(upstream.requests.at(-1)?.headers['authorization']).toBeUndefined();
  });
});
